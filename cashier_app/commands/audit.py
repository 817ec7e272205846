"""``cashier-app audit``: verify the audit chain (with Z-report anchors and the ledger), list events.

``verify`` exits 1 when anything differs — a broken link, an anchor that no
longer matches (rows deleted, the chain re-hashed), or with ``--ledger`` a
balance that does not equal its entries — and names each difference.
"""

from __future__ import annotations

import argparse
from typing import Any

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db, parse_date, print_json
from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_money
from cashier_app.i18n import tr

MAX_LIST = 1_000_000


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("audit", help=tr("журнал аудита: verify, list"))
    asub = a.add_subparsers(dest="audit_cmd", metavar=tr("ДЕЙСТВИЕ"), required=True)
    v = asub.add_parser("verify", help=tr("проверить цепочку (и якоря Z-отчётов); код 1 — нарушена"))
    v.add_argument("--anchor", action="append", default=[], metavar=tr("ЗАПИСЕЙ:ХЭШ"),
                   help=tr("якорь из Z-отчёта: до него ничего не изменено и не удалено (можно несколько)"))
    v.add_argument("--ledger", action="store_true",
                   help=tr("пересчитать балансы лицевых счетов и оплату заявок по записям журнала платежей"))
    ls = asub.add_parser("list", help=tr("события аудита"))
    ls.add_argument("--user")
    ls.add_argument("--action", help=tr("действие или его начало (payment, shift.close)"))
    ls.add_argument("--since", metavar=tr("ГГГГ-ММ-ДД"))
    ls.add_argument("--limit", type=int, default=200)
    ls.add_argument("--csv", metavar=tr("ФАЙЛ"))
    for p in (v, ls):
        add_db_arg(p)
        add_as_arg(p)
        p.add_argument("--json", action="store_true")
    a.set_defaults(handler=run_audit)


def run_audit(args: argparse.Namespace) -> int:
    from cashier_app.services import audit_log
    from cashier_app.services.output_files import check_target

    if args.audit_cmd == "list":
        # Refused before anything is read, naming the option.
        if not 1 <= args.limit <= MAX_LIST:
            raise ValidationError("--limit", tr("нужно число от 1 до {max_list}", max_list=MAX_LIST))
        if args.csv is not None:
            check_target(args.csv, "--csv")
    ctx = cli_context(open_db(args), args.login)
    if args.audit_cmd == "verify":
        return _verify(ctx, args)
    rows = audit_log.list_events(ctx, user=args.user, action=args.action,
                                 since=parse_date(args.since, "--since") if args.since else None, limit=args.limit)
    if args.csv:
        audit_log.export_csv(rows, args.csv, field="--csv")
    for r in rows:
        if args.json:
            print_json({"id": r.id, "at": r.at.isoformat(), "user": r.user, "role": r.role, "desk": r.desk,
                        "action": r.action, "entity": r.entity, "entity_id": r.entity_id, "before": r.before,
                        "after": r.after})
        else:
            # People's words (issue 12 §3): the action's name, the object, «поле: было → стало» in rubles.
            print(f"{r.id}\t{r.at_text}\t{r.user or '-'}\t{r.desk}\t{r.action_text}\t{r.entity_text}\t"
                  f"{r.change_text}")
    return 0


def _verify(ctx, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from cashier_app.services import audit_log, ledger_check

    res = audit_log.verify(ctx, args.anchor)
    ledger = ledger_check.verify(ctx) if args.ledger else None
    ok = res.ok and (ledger is None or ledger.ok)
    if args.json:
        out: dict[str, Any] = {"ok": ok, "checked": res.checked, "broken_id": res.broken_id, "problem": res.problem,
                               "chain_ok": res.ok, "anchors_checked": res.anchors_checked,
                               "head": res.head.text if res.head else None}
        if ledger is not None:
            out["ledger"] = {"ok": ledger.ok, "accounts": ledger.accounts, "bookings": ledger.bookings,
                             "differences": [{"kind": d.kind, "number": d.number, "stored_minor": d.stored_minor,
                                              "computed_minor": d.computed_minor, "currency": d.currency}
                                             for d in ledger.differences]}
        print_json(out)
        return 0 if ok else 1
    if res.ok:
        print(tr("цепочка аудита цела: проверено записей {checked}, якорей {anchors_checked}",
                 checked=res.checked, anchors_checked=res.anchors_checked))
        if res.head:
            print(tr("голова цепочки: {head}", head=res.head.text))
    else:
        where = tr("запись № {broken_id} — ", broken_id=res.broken_id) if res.broken_id is not None else ""
        print(tr("цепочка аудита нарушена: {where}{problem}", where=where, problem=res.problem))
    if ledger is not None:
        if ledger.ok:
            print(tr("балансы сходятся с записями: лицевых счетов {accounts}, заявок {bookings}",
                     accounts=ledger.accounts, bookings=ledger.bookings))
        else:
            print(tr("балансы не сходятся с записями: расхождений {n}", n=len(ledger.differences)))
            for d in ledger.differences:
                print(tr("  {label}: в базе {stored}, по записям {computed}", label=d.label,
                         stored=format_money(d.stored_minor, d.currency),
                         computed=format_money(d.computed_minor, d.currency)))
    return 0 if ok else 1
