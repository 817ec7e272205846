"""``registry``, ``registry-layout`` and ``reconcile-registry``: the payee's payment register and its reconciliation.

Exit codes: 0 done / the lists agree; 2 refused (a user mistake, no permission); 3 the lists differ.
"""

from __future__ import annotations

import argparse
from typing import Any

from cashier_app.commands import (
    EXIT_DONE_BUT,
    add_as_arg,
    add_db_arg,
    check_output_path,
    cli_context,
    open_db,
    parse_date,
    print_json,
)
from cashier_app.domain.money import format_amount
from cashier_app.i18n import tr


def _common(p: argparse.ArgumentParser, *, json: bool = True) -> None:
    add_db_arg(p)
    add_as_arg(p)
    if json:
        p.add_argument("--json", action="store_true", help=tr("одна строка JSON"))


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("registry", help=tr("реестр принятых платежей получателя за день (CSV по шаблону или "
                                           "1С)"))
    r.add_argument("--payee", required=True, metavar=tr("КОД"))
    r.add_argument("--date", metavar=tr("ГГГГ-ММ-ДД"), help=tr("рабочий день офиса (по умолчанию сегодня)"))
    r.add_argument("--to", metavar=tr("ГГГГ-ММ-ДД"), help=tr("последний день периода (по умолчанию --date)"))
    r.add_argument("--format", choices=("csv", "1c"), default="csv",
                   help=tr("csv — по шаблону получателя; 1c — 1CClientBankExchange 1.03"))
    r.add_argument("-o", "--output", required=True, metavar=tr("ФАЙЛ"))
    _common(r)
    r.set_defaults(handler=run_registry)

    lay = sub.add_parser("registry-layout", help=tr("шаблон реестра получателя: show | set"))
    lsub = lay.add_subparsers(dest="layout_cmd", metavar=tr("ДЕЙСТВИЕ"), required=True)
    sh = lsub.add_parser("show", help=tr("показать шаблон"))
    sh.add_argument("payee", metavar=tr("КОД"))
    _common(sh)
    sh.set_defaults(handler=run_layout_show)
    st = lsub.add_parser("set", help=tr("задать шаблон: КЛЮЧ=ЗНАЧЕНИЕ … (columns=number,txn_id,amount "
                                     "separator=; date_format=%%d.%%m.%%Y amount_format=1234,50 encoding=utf-8 "
                                     "header=no crlf=yes totals=yes payer_name=… payer_inn=… payer_account=…)"))
    st.add_argument("payee", metavar=tr("КОД"))
    st.add_argument("pairs", nargs="*", metavar=tr("КЛЮЧ=ЗНАЧЕНИЕ"))
    st.add_argument("--reset", action="store_true", help=tr("начать с шаблона по умолчанию"))
    _common(st)
    st.set_defaults(handler=run_layout_set)

    rc = sub.add_parser("reconcile-registry", help=tr("сверить список платежей биллинга с кассой"))
    rc.add_argument("--payee", required=True, metavar=tr("КОД"))
    rc.add_argument("file", metavar=tr("ФАЙЛ"), help=tr("CSV биллинга (txn_id;prv_txn;account;sum;date) или "
                                                        "реестр кассы"))
    rc.add_argument("--date", metavar=tr("ГГГГ-ММ-ДД"), help=tr("один день"))
    rc.add_argument("--from", dest="date_from", metavar=tr("ГГГГ-ММ-ДД"))
    rc.add_argument("--to", dest="date_to", metavar=tr("ГГГГ-ММ-ДД"))
    rc.add_argument("-o", "--output", metavar=tr("ОТЧЁТ.csv"), help=tr("отчёт о расхождениях для бухгалтерии"))
    _common(rc)
    rc.set_defaults(handler=run_reconcile)


def _ctx(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return cli_context(open_db(args), args.login)


def _rub(minor: int) -> str:
    return format_amount(minor)


def run_registry(args: argparse.Namespace) -> int:
    from cashier_app.services import registry_export

    check_output_path(args.output, "-o")
    ctx = _ctx(args)
    day = parse_date(args.date, "--date")
    last = parse_date(args.to, "--to") if args.to else None
    res = registry_export.export(ctx, args.payee, day, args.output, fmt=args.format, last=last)
    if args.json:
        print_json(res.as_json())
    else:
        print(tr("Реестр {payee} за {day:%d.%m.%Y}: платежей {count}, принято {paid} ₽, возвраты {returned} ₽, "
                 "итого {total} ₽ → {path} ({encoding})", payee=args.payee, day=day, count=res.count,
                 paid=_rub(res.payments_minor), returned=_rub(res.reversals_minor), total=_rub(res.total_minor),
                 path=res.path, encoding=res.encoding))
    return 0


def _print_layout(args: argparse.Namespace, data: dict[str, Any]) -> None:
    if args.json:
        print_json(data)
        return
    print(tr("Получатель {payee}: свой шаблон", payee=data["payee"]) if data["stored"]
          else tr("Получатель {payee}: шаблон по умолчанию", payee=data["payee"]))
    for k, v in data["layout"].items():
        shown = ",".join(v) if isinstance(v, list) else ("tab" if v == "\t" else v)
        print(f"  {k} = {shown}")


def run_layout_show(args: argparse.Namespace) -> int:
    from cashier_app.services import registry_layouts

    _print_layout(args, registry_layouts.show(_ctx(args), args.payee))
    return 0


def run_layout_set(args: argparse.Namespace) -> int:
    from cashier_app.domain import registry_layout as rl
    from cashier_app.services import registry_layouts

    ctx = _ctx(args)
    base = rl.DEFAULT
    if not args.reset:
        base = rl.from_json(registry_layouts.show(ctx, args.payee)["layout"])
    registry_layouts.set_layout(ctx, args.payee, rl.parse_assignments(args.pairs, base))
    _print_layout(args, registry_layouts.show(ctx, args.payee))
    return 0


def run_reconcile(args: argparse.Namespace) -> int:
    from cashier_app.domain.errors import ValidationError
    from cashier_app.services import registry_reconcile as rr

    if args.output:
        check_output_path(args.output, "-o")
    if args.date and (args.date_from or args.date_to):
        raise ValidationError("--date", tr("укажите либо --date, либо --from/--to"))
    first = parse_date(args.date or args.date_from, "--from") if (args.date or args.date_from) else None
    last = parse_date(args.date_to, "--to") if args.date_to else None
    if last is not None and first is None:
        raise ValidationError("--from", tr("укажите начало периода"))
    res = rr.reconcile(_ctx(args), args.payee, args.file, first=first, last=last, report=args.output)
    if args.json:
        print_json(res.as_json())
    else:
        print(tr("Сверка {payee} за {first:%d.%m.%Y}–{last:%d.%m.%Y}: совпало {matched} на {matched_sum} ₽; "
                 "в кассе {app_count} на {app_sum} ₽, в биллинге {billing_count} на {billing_sum} ₽",
                 payee=args.payee, first=res.first, last=res.last, matched=res.matched,
                 matched_sum=_rub(res.matched_minor), app_count=res.app_count, app_sum=_rub(res.app_minor),
                 billing_count=res.billing_count, billing_sum=_rub(res.billing_minor)))
        for d in res.differences:
            amounts = " / ".join(_rub(x) if x is not None else "—" for x in (d.app_minor, d.billing_minor))
            print("  " + tr("{kind}: {number} txn {txn_id} л/с {account} {day} {amounts}", kind=rr.kind_label(d.kind),
                           number=d.number or "—", txn_id=d.txn_id or "—", account=d.account or "—",
                           day=d.day or "", amounts=amounts))
        print(tr("Расхождений нет") if res.agrees else tr("Расхождений: {n}", n=len(res.differences)))
    return 0 if res.agrees else EXIT_DONE_BUT
