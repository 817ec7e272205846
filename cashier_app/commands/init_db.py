"""``cashier-app init-db``: create the schema and, with ``--demo``, the demo office."""

from __future__ import annotations

import argparse
import sys
import time

from cashier_app.commands import add_db_arg, open_db, parse_date
from cashier_app.domain.errors import UserError, ValidationError
from cashier_app.i18n import ntr, tr


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init-db", help=tr("создать схему базы и (с --demo) демо-офис"))
    add_db_arg(p)
    p.add_argument("--demo", action="store_true", help=tr("заполнить демо-данными"))
    p.add_argument("--scale", type=int, metavar="N", help=tr("N лицевых счетов и N/4 заявок (для замеров)"))
    p.add_argument("--date", help=tr("«сегодня» демо-офиса, ГГГГ-ММ-ДД (по умолчанию — сегодня)"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cashier_app.services.bootstrap import is_empty
    from cashier_app.services.passwords import hash_password
    from cashier_app.storage.db import describe
    from cashier_app.storage.demo import generate

    if args.scale is not None and args.scale < 1:
        raise ValidationError("--scale", tr("нужно положительное число"))
    today = parse_date(args.date)
    db = open_db(args)
    print(tr("Схема готова: {db}", db=describe(db.engine)))
    if not (args.demo or args.scale):
        return 0
    if not is_empty(db):
        raise UserError(tr("база уже содержит данные; демо-офис создаётся только в пустой базе"))
    started = time.perf_counter()
    summary = generate(
        db.engine,
        accounts=args.scale or 2000,
        today=today,
        progress=lambda msg: print(f"  … {msg}", file=sys.stderr),
        hash_password=hash_password,
    )
    took = time.perf_counter() - started
    print(tr(
        "Демо-офис создан за {seconds:.1f} с: {accounts}, {contracts}, {bookings}, {payments}.", seconds=took,
        accounts=ntr("{n} лицевой счёт", "{n} лицевых счетов", summary.accounts),
        contracts=ntr("{n} договор", "{n} договоров", summary.contracts),
        bookings=ntr("{n} заявка", "{n} заявок", summary.bookings),
        payments=ntr("{n} платёж", "{n} платежей", summary.payments),
    ))
    print(tr("Пользователи (логин / пароль / роль):"))
    for login, password, role in summary.users:
        print(f"  {login} / {password} / {role}")
    return 0
