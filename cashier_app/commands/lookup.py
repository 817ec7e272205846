"""``cashier-app find`` and ``cashier-app show``: the counter's lookup, headless."""

from __future__ import annotations

import argparse

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db, parse_date, print_json
from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.domain.money import format_money
from cashier_app.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("find", help=tr("найти лицевой счёт или заявку (как поле поиска)"))
    p.add_argument("query", metavar=tr("ЗАПРОС"))
    add_db_arg(p)
    p.add_argument("--json", action="store_true", help=tr("по объекту JSON в строке"))
    p.add_argument("--limit", type=int, default=50, metavar="N")
    add_as_arg(p)
    p.set_defaults(handler=run_find)

    s = sub.add_parser("show", help=tr("карточка лицевого счёта или заявки"))
    s.add_argument("kind", choices=("account", "booking"))
    s.add_argument("number", metavar=tr("НОМЕР"))
    add_db_arg(s)
    s.add_argument("--json", action="store_true")
    s.add_argument("--date", help=tr("дата для курса и правил, ГГГГ-ММ-ДД (по умолчанию — сегодня)"))
    add_as_arg(s)
    s.set_defaults(handler=run_show)


def run_find(args: argparse.Namespace) -> int:
    from cashier_app.services.lookup import search

    if not 1 <= args.limit <= 10_000:  # a database integer, not any Python int
        raise ValidationError("--limit", tr("нужно число от 1 до 10 000"))
    # Signed in like every other command: the hits carry names, addresses and phones (``lookup``).
    ctx = cli_context(open_db(args), args.login)
    result = search(ctx, args.query, limit=args.limit)
    if not result.hits:
        raise NotFound(result.message or tr("Ничего не найдено."))
    for hit in result.hits:
        if args.json:
            print_json(hit.to_json())
        else:
            print(
                f"{tr('счёт') if hit.kind == 'account' else tr('заявка')}\t{hit.number}\t{hit.title}\t"
                f"{format_money(hit.amount_minor, hit.currency)}\t{hit.detail}\t[{hit.matched_by}]"
            )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from cashier_app.services.cards import account_card, booking_card

    ctx = cli_context(open_db(args), args.login)
    if args.kind == "account":
        card = account_card(ctx, args.number)
    else:
        card = booking_card(ctx, args.number, parse_date(args.date) if args.date else None)
    if args.json:
        print_json(card.to_json())
        return 0
    data = card.to_json()
    for key, value in data.items():
        if isinstance(value, list):
            print(f"{key}:")
            for item in value:
                print(f"  - {item}")
        else:
            print(f"{key}: {value}")
    return 0
