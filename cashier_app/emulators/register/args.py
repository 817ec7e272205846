"""Command-line options of the register emulator, kept apart so ``cashier-app --help`` stays fast."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 16732  # ATOL Web Server's own default port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--state", default=None,
                        help="файл состояния кассы (ФН, смена, документы; по умолчанию в папке данных)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="разрешить адрес не на этом компьютере (эмулятор без защиты)")
    parser.add_argument("--login", default="demo-login", help="логин АТОЛ Онлайн")
    parser.add_argument("--password", default="demo-pass", help="пароль АТОЛ Онлайн")
    parser.add_argument("--group", default="demo-group", help="код группы ККТ АТОЛ Онлайн")
