"""``cashier-app rates``, ``bonuses`` and ``agency``: the travel desk, headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db, parse_date, print_json
from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_amount, format_money, parse_amount
from cashier_app.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("rates", help=tr("внутренние курсы валют оператора"))
    rs = r.add_subparsers(dest="rates_command", metavar=tr("ДЕЙСТВИЕ"), required=True)
    p = rs.add_parser("set", help=tr("ввести курс валюты на день"))
    p.add_argument("currency", metavar=tr("ВАЛЮТА"))
    p.add_argument("rate", metavar=tr("КУРС"), help=tr("рублей за единицу, до 4 знаков: 92.4567 или 92,4567"))
    p.add_argument("--date", help=tr("день курса, ГГГГ-ММ-ДД (по умолчанию — сегодня)"))
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_rates_set)
    p = rs.add_parser("import", help=tr("загрузить курсы из CSV (currency,date,rate); всё или ничего"))
    p.add_argument("file", metavar=tr("ФАЙЛ"))
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_rates_import)
    p = rs.add_parser("list", help=tr("история курсов"))
    p.add_argument("--currency", metavar=tr("ВАЛЮТА"))
    p.add_argument("--since", help=tr("с даты ГГГГ-ММ-ДД"))
    p.add_argument("--until", help=tr("по дату ГГГГ-ММ-ДД"))
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_rates_list)

    b = sub.add_parser("bonuses", help=tr("бонусы Sales & Smiles: начисление, сгорание, списание"))
    bs = b.add_subparsers(dest="bonus_command", metavar=tr("ДЕЙСТВИЕ"), required=True)
    p = bs.add_parser("accrue", help=tr("начислить бонусы (повторный запуск ничего не добавляет)"))
    p.add_argument("--date", help=tr("день расчёта ГГГГ-ММ-ДД"))
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_accrue)
    p = bs.add_parser("burn", help=tr("сгорание бонусов за месяц без продаж"))
    p.add_argument("--month", required=True, help=tr("месяц ГГГГ-ММ"))
    p.add_argument("--date", help=tr("день запуска ГГГГ-ММ-ДД"))
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_burn)
    p = bs.add_parser("balance", help=tr("остатки бонусных счетов"))
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_balance)
    p = bs.add_parser("spend", help=tr("оплатить заявку бонусами"))
    p.add_argument("booking", metavar=tr("ЗАЯВКА"))
    for t in ("plus", "select", "agent"):
        p.add_argument(f"--{t}", metavar=tr("СУММА"), help=tr("списать {t} в валюте тура", t=t))
    p.add_argument("--account", choices=("manager", "agency"), default="manager")
    p.add_argument("--date", help=tr("день ГГГГ-ММ-ДД"))
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_spend)
    p = bs.add_parser("price", help=tr("новая стоимость заявки (при снижении бонусы возвращаются первыми)"))
    p.add_argument("booking", metavar=tr("ЗАЯВКА"))
    p.add_argument("price", metavar=tr("СТОИМОСТЬ"))
    p.add_argument("--date", help=tr("день ГГГГ-ММ-ДД"))
    add_db_arg(p)
    add_as_arg(p)
    p.set_defaults(handler=run_price)

    a = sub.add_parser("agency", help=tr("агентства: комиссия по кварталам"))
    asub = a.add_subparsers(dest="agency_command", metavar=tr("ДЕЙСТВИЕ"), required=True)
    p = asub.add_parser("report", help=tr("отчёт о комиссии агентств за квартал"))
    p.add_argument("--quarter", required=True, help=tr("квартал, например 2026Q4"))
    p.add_argument("--agency", type=int, metavar="ID")
    p.add_argument("--date", help=tr("на дату ГГГГ-ММ-ДД (по умолчанию — сегодня)"))
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    p.set_defaults(handler=run_agency_report)


def run_rates_set(args: argparse.Namespace) -> int:
    from cashier_app.services.rates import set_rate

    db = open_db(args)
    day = parse_date(args.date)
    res = set_rate(cli_context(db, args.login), args.currency, args.rate, day)
    row = res.row
    was = "" if res.previous is None or res.previous == row.rate else tr(" (было {previous})",
                                                                         previous=res.previous)
    print(f"{row.currency}\t{row.day.isoformat()}\t{row.rate}{was}")
    return 0


def run_rates_import(args: argparse.Namespace) -> int:
    from cashier_app.services.rates import import_csv

    db = open_db(args)
    path = Path(args.file)
    if not path.is_file():
        raise ValidationError(tr("ФАЙЛ"), tr("файл {path} не найден", path=path))
    res = import_csv(cli_context(db, args.login), path)
    print(tr("загружено: новых {added}, изменено {changed}, без изменений {unchanged}", added=res.added,
             changed=res.changed, unchanged=res.unchanged))
    return 0


def run_rates_list(args: argparse.Namespace) -> int:
    from cashier_app.services.rates import list_rates

    db = open_db(args)
    since = parse_date(args.since, "--since") if args.since else None
    until = parse_date(args.until, "--until") if args.until else None
    for row in list_rates(cli_context(db, args.login), args.currency, since, until):
        if args.json:
            print_json(row.to_json())
        else:
            print(f"{row.currency}\t{row.day.isoformat()}\t{row.rate}\t{row.entered_by or ''}")
    return 0


def run_accrue(args: argparse.Namespace) -> int:
    from cashier_app.services.bonuses import accrue

    db = open_db(args)
    r = accrue(cli_context(db, args.login), parse_date(args.date))
    sums = ", ".join(format_money(v, c) for c, v in sorted(r.activated_by_currency.items())) or "—"
    print(tr("новых начислений: {created}, стали активными: {activated} ({sums}), изменено: {updated}, "
             "снято с программы: {removed}, Agent: {agent}", created=r.created, activated=r.activated,
             sums=sums, updated=r.updated, removed=r.removed, agent=r.agent))
    return 0


def run_burn(args: argparse.Namespace) -> int:
    from cashier_app.services.bonuses import burn, parse_month

    db = open_db(args)
    r = burn(cli_context(db, args.login), parse_month(args.month), parse_date(args.date))
    sums = ", ".join(format_money(v, c) for c, v in sorted(r.burnt_by_currency.items())) or "—"
    print(tr("{month:%Y-%m}: счетов {accounts_checked}, с продажами {kept_by_sale}, освобождены {exempt}, "
             "сгорело на {burnt_accounts} счетах: {sums}", month=r.month, accounts_checked=r.accounts_checked,
             kept_by_sale=r.kept_by_sale, exempt=r.exempt, burnt_accounts=r.burnt_accounts, sums=sums))
    return 0


def run_balance(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from cashier_app.services.bonuses import balances

    db = open_db(args)
    for line in balances(cli_context(db, args.login)):
        if args.json:
            print_json(asdict(line))
        else:
            expected = tr("ожидается {amount}", amount=format_amount(line.expected_minor))
            print(f"{line.account_id}\t{line.kind}\t{line.name}\t{line.bonus_type}\t{line.currency}\t"
                  f"{format_amount(line.active_minor)}\t{expected}")
    return 0


def run_spend(args: argparse.Namespace) -> int:
    from cashier_app.services.bonuses import spend

    db = open_db(args)
    requested = {t: parse_amount(v, f"--{t}") for t in ("plus", "select", "agent")
                 if (v := getattr(args, t)) is not None}
    if not requested:
        raise ValidationError("--plus/--select/--agent", tr("укажите сумму хотя бы одного типа бонусов"))
    ctx = cli_context(db, args.login)
    r = spend(ctx, args.booking, requested, parse_date(args.date), account=args.account)
    print(tr("списано {total} со счёта «{account_name}»: платёж {payment_number}, {rub} по курсу {rate}; "
             "оплачено {paid}", total=format_money(r.total_minor, r.currency), account_name=r.account_name,
             payment_number=r.payment_number, rub=format_money(r.rub_minor), rate=r.rate,
             paid=format_money(r.paid_minor, r.currency)))
    return 0


def run_price(args: argparse.Namespace) -> int:
    from cashier_app.services.bonuses import change_price

    db = open_db(args)
    price = parse_amount(args.price, tr("СТОИМОСТЬ"), allow_zero=True)
    r = change_price(cli_context(db, args.login), args.booking, price, parse_date(args.date))
    print(tr("заявка {booking_number}: {old_price} → {new_price}; бонусами возвращено {bonus_refund}, "
             "деньгами к возврату {money_refund}", booking_number=r.booking_number,
             old_price=format_money(r.old_price_minor, r.currency),
             new_price=format_money(r.new_price_minor, r.currency),
             bonus_refund=format_money(r.bonus_refund_minor, r.currency),
             money_refund=format_money(r.money_refund_minor, r.currency)))
    return 0


def run_agency_report(args: argparse.Namespace) -> int:
    from cashier_app.services.commission_report import agency_report, parse_quarter, report_title

    quarter = parse_quarter(args.quarter)
    db = open_db(args)
    rows = agency_report(db, quarter, args.agency, parse_date(args.date))
    if args.json:
        for row in rows:
            print_json(row.to_json())
        return 0
    print(report_title(quarter))
    print(tr("ID\tАгентство\tПред. кв.: туристы\tПред. кв.: USD\tТек. кв.: туристы\tТек. кв.: "
             "USD\tКомиссия, %\tОснование"))
    for row in rows:
        print(f"{row.agency_id}\t{row.agency}\t{row.prev_tourists}\t{format_amount(row.prev_usd_minor)}\t"
              f"{row.current_tourists}\t{format_amount(row.current_usd_minor)}\t{row.percent.replace('.', ',')}\t"
              f"{row.reason}")
    return 0
