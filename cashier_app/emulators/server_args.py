"""Command-line options of the sandbox, kept apart so ``cashier-app --help`` stays fast."""

from __future__ import annotations

import argparse
import ipaddress
import socket


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="разрешить адрес не на этом компьютере (песочница без защиты: любой в сети сможет «оплатить»)",
    )
    parser.add_argument(
        "--db", default=None, help="файл базы заказов (по умолчанию в папке данных пользователя)"
    )
    parser.add_argument("--sber-user", default="demo-api")
    parser.add_argument("--sber-password", default="demo")
    parser.add_argument("--tbank-terminal", default="DemoTerminal")
    parser.add_argument("--tbank-password", default="demo-password")
    parser.add_argument(
        "--tbank-online-kassa",
        action="store_true",
        help="терминал Т-Банка подключён к онлайн-кассе банка: Init без Receipt получает ошибку 309",
    )


def is_loopback_host(host: str) -> bool:
    """True only if every address ``host`` names is a loopback one (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).split("%", 1)[0] for info in infos}
    try:
        return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    except ValueError:
        return False
