"""Command-line options of the sandbox, kept apart so ``cashier-app --help`` stays fast."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--db", default=None, help="файл базы заказов (по умолчанию в папке данных пользователя)"
    )
    parser.add_argument("--sber-user", default="demo-api")
    parser.add_argument("--sber-password", default="demo")
    parser.add_argument("--tbank-terminal", default="DemoTerminal")
    parser.add_argument("--tbank-password", default="demo-password")
