"""``cashier-app office``: office-wide settings shared by every desk (the time zone of the business day)."""

from __future__ import annotations

import argparse

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db
from cashier_app.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    root = sub.add_parser("office", help=tr("настройки офиса: часовой пояс рабочего дня"))
    ps = root.add_subparsers(dest="office_command", metavar=tr("ДЕЙСТВИЕ"), required=True)

    p = ps.add_parser("timezone", help=tr("показать или задать часовой пояс офиса (дата платежа, курс дня, "
                                          "отчёты)"))
    p.add_argument("zone", nargs="?", metavar=tr("ПОЯС"),
                   help=tr("пояс IANA, например Europe/Moscow или Asia/Vladivostok; без него — показать "
                           "текущий"))
    p.add_argument("--system", action="store_true", help=tr("снова брать пояс операционной системы"))
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_timezone)


def run_timezone(args: argparse.Namespace) -> int:
    from cashier_app.domain.errors import ValidationError
    from cashier_app.services import office_settings, office_time

    if args.system and args.zone:
        raise ValidationError("--system", tr("укажите либо пояс, либо --system"))
    db = open_db(args)
    if args.zone is None and not args.system:
        print(office_time.describe(db))
        return 0
    ctx = cli_context(db, args.login)
    previous = office_settings.set_office_zone(ctx, None if args.system else args.zone)
    now = office_time.describe(db)
    was = previous or tr("системный")
    print(tr("{now} (было: {was}); другие рабочие места применят его после перезапуска", now=now, was=was))
    return 0
