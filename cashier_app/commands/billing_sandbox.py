"""``cashier-app billing-sandbox``: the local stand-in for a subscriber billing's OSMP check/pay endpoint."""

from __future__ import annotations

import argparse

from cashier_app.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    from cashier_app.emulators.billing.args import add_arguments

    p = sub.add_parser("billing-sandbox", help=tr("эмулятор биллинга (OSMP check/pay: ABillS или Ubilling) "
                                                  "на 127.0.0.1"))
    add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cashier_app.emulators.billing.server import run_from_args

    return run_from_args(args)
