"""``cashier-app fiscal-sandbox``: the local stand-in for an ATOL register (Web Server and Online)."""

from __future__ import annotations

import argparse

from cashier_app.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    from cashier_app.emulators.register.args import add_arguments

    p = sub.add_parser("fiscal-sandbox", help=tr("эмулятор онлайн-кассы АТОЛ (Веб-сервер и АТОЛ Онлайн) на "
                                                 "127.0.0.1"))
    add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cashier_app.emulators.register.server import run_from_args

    return run_from_args(args)
