"""``cashier-app gateway-sandbox``: the local stand-in for the banks' gateways."""

from __future__ import annotations

import argparse

from cashier_app.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    from cashier_app.emulators.server_args import add_arguments

    p = sub.add_parser("gateway-sandbox", help=tr("локальная песочница банков (Сбербанк, Т-Банк) на "
                                                  "127.0.0.1"))
    add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cashier_app.emulators.bank.server import run_from_args

    return run_from_args(args)
