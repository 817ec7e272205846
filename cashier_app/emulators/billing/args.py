"""Command-line options of the billing emulator, kept apart so ``cashier-app --help`` stays fast."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 8766  # next to the bank sandbox's 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--dialect", choices=("abills", "ubilling"), default="abills",
                        help="abills: повтор pay → тот же prv_txn, есть cancel; ubilling: повтор → 300 duplicate")
    parser.add_argument("--accounts", default=None,
                        help="CSV лицевых счетов в формате generic-импорта (number, full_name, balance, blocked…)")
    parser.add_argument("--state", default=None,
                        help="файл состояния биллинга (счета, платежи; без него всё в памяти до остановки)")
    parser.add_argument("--office-db", default=None,
                        help="демо: взять лицевые счета получателя --payee из базы офиса (только чтение)")
    parser.add_argument("--payee", default=None, help="код получателя для --office-db (например, interra)")
    parser.add_argument("--login", default=None, help="требовать HTTP Basic с этим логином")
    parser.add_argument("--password", default=None, help="пароль HTTP Basic (с --login)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="разрешить адрес не на этом компьютере (эмулятор без защиты)")
