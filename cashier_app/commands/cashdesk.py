"""Cash desk commands: ``shift``, ``pay-cash``, ``cancel``, ``refund``, ``journal``, ``audit``, ``users``.

They act as the user named by ``--as`` (or ``CASHIER_USER``); the services
check that user's role exactly as in the GUI.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db, parse_date, print_json
from cashier_app.domain.errors import UserError, ValidationError
from cashier_app.domain.money import format_money, parse_amount


def _common(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    add_as_arg(p)


def _ctx(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return cli_context(open_db(args), args.login)


def _paper() -> str:
    from cashier_app.settings import DeskSettings

    return DeskSettings().get("receipt_paper")


def register(sub: argparse._SubParsersAction) -> None:
    sh = sub.add_parser("shift", help="кассовая смена: open, cash-in, cash-out, x, close, status")
    ssub = sh.add_subparsers(dest="shift_cmd", metavar="ДЕЙСТВИЕ", required=True)
    o = ssub.add_parser("open", help="открыть смену")
    o.add_argument("--float", dest="float_", metavar="РУБ", help="размен (по умолчанию — пересчитано при прошлом закрытии)")
    for name, help_ in (("cash-in", "внести наличные"), ("cash-out", "изъять наличные")):
        c = ssub.add_parser(name, help=help_)
        c.add_argument("--amount", required=True, metavar="РУБ")
        c.add_argument("--reason", required=True)
        c.set_defaults(movement="in" if name == "cash-in" else "out")
    x = ssub.add_parser("x", help="X-отчёт")
    x.add_argument("--pdf", metavar="ФАЙЛ")
    cl = ssub.add_parser("close", help="закрыть смену (Z-отчёт)")
    cl.add_argument("--counted", metavar="РУБ", help="пересчитанная сумма")
    cl.add_argument("--denominations", metavar="JSON", help='пересчёт по номиналам: {"500000": 2, "coins": 150}')
    cl.add_argument("--pdf", metavar="ФАЙЛ")
    ssub.add_parser("status", help="открытая смена и наличные в кассах")
    for p in ssub.choices.values():
        _common(p)
        p.add_argument("--json", action="store_true")
    sh.set_defaults(handler=run_shift)

    pc = sub.add_parser("pay-cash", help="принять наличные по лицевому счёту или заявке")
    g = pc.add_mutually_exclusive_group(required=True)
    g.add_argument("--account", metavar="НОМЕР")
    g.add_argument("--booking", metavar="НОМЕР")
    pc.add_argument("--amount", required=True, metavar="СУММА",
                    help="рубли для лицевого счёта; для заявки — в валюте тура (рубли по курсу дня)")
    pc.add_argument("--received", metavar="РУБ", help="получено от клиента (для сдачи)")
    pc.add_argument("--token", help="идентификатор операции: повтор с тем же токеном не платит второй раз")
    pc.add_argument("--pdf", metavar="ФАЙЛ", help="сохранить квитанцию")
    _common(pc)
    pc.add_argument("--json", action="store_true")
    pc.set_defaults(handler=run_pay_cash)

    for name, help_ in (("cancel", "отменить платёж (та же смена, тот же день)"),
                        ("refund", "вернуть платёж (наличные из смены; заявление на возврат)")):
        c = sub.add_parser(name, help=help_)
        c.add_argument("payment", metavar="ПЛАТЁЖ")
        c.add_argument("--reason", required=True)
        if name == "refund":
            c.add_argument("--amount", metavar="РУБ", help="часть суммы (по умолчанию — весь остаток)")
            c.add_argument("--customer", default="", help="ФИО заявителя")
            c.add_argument("--pdf", metavar="ФАЙЛ", help="сохранить заявление")
        _common(c)
        c.add_argument("--json", action="store_true")
        c.set_defaults(handler=run_correction, correction=name)

    j = sub.add_parser("journal", help="журнал платежей с отбором, итогами и выгрузкой")
    j.add_argument("--from", dest="date_from", metavar="ГГГГ-ММ-ДД")
    j.add_argument("--to", dest="date_to", metavar="ГГГГ-ММ-ДД")
    j.add_argument("--desk")
    j.add_argument("--user")
    j.add_argument("--method")
    j.add_argument("--status")
    j.add_argument("--account")
    j.add_argument("--booking")
    j.add_argument("--csv", metavar="ФАЙЛ")
    j.add_argument("--xlsx", metavar="ФАЙЛ")
    _common(j)
    j.add_argument("--json", action="store_true")
    j.set_defaults(handler=run_journal)

    a = sub.add_parser("audit", help="журнал аудита: verify, list")
    asub = a.add_subparsers(dest="audit_cmd", metavar="ДЕЙСТВИЕ", required=True)
    v = asub.add_parser("verify", help="проверить цепочку; код 1 — цепочка нарушена")
    ls = asub.add_parser("list", help="события аудита")
    ls.add_argument("--user")
    ls.add_argument("--action", help="действие или его начало (payment, shift.close)")
    ls.add_argument("--since", metavar="ГГГГ-ММ-ДД")
    ls.add_argument("--limit", type=int, default=200)
    ls.add_argument("--csv", metavar="ФАЙЛ")
    for p in (v, ls):
        _common(p)
        p.add_argument("--json", action="store_true")
    a.set_defaults(handler=run_audit)

    u = sub.add_parser("users", help="пользователи: list, add, role, password, disable, enable, limit")
    usub = u.add_subparsers(dest="users_cmd", metavar="ДЕЙСТВИЕ", required=True)
    ul = usub.add_parser("list")
    ua = usub.add_parser("add")
    ua.add_argument("user_login", metavar="ЛОГИН")
    ua.add_argument("--name", required=True)
    ua.add_argument("--role", required=True)
    ua.add_argument("--password", required=True)
    ua.add_argument("--limit", metavar="РУБ")
    ur = usub.add_parser("role")
    ur.add_argument("user_login", metavar="ЛОГИН")
    ur.add_argument("role")
    up = usub.add_parser("password")
    up.add_argument("user_login", metavar="ЛОГИН")
    up.add_argument("password")
    ud = usub.add_parser("disable")
    ud.add_argument("user_login", metavar="ЛОГИН")
    ue = usub.add_parser("enable")
    ue.add_argument("user_login", metavar="ЛОГИН")
    um = usub.add_parser("limit")
    um.add_argument("user_login", metavar="ЛОГИН")
    um.add_argument("amount", metavar="РУБ|none")
    for p in (ul, ua, ur, up, ud, ue, um):
        _common(p)
        p.add_argument("--json", action="store_true")
    u.set_defaults(handler=run_users)


def _summary_json(sm) -> dict:  # type: ignore[no-untyped-def]
    from dataclasses import asdict

    return asdict(sm)


def _print_summary(sm) -> None:  # type: ignore[no-untyped-def]
    print(f"смена {sm.number} ({sm.status}), касса {sm.desk}, кассир {sm.user_login}")
    print(f"  размен: {format_money(sm.float_minor)}")
    print(f"  платежей наличными: {sm.payments_count} на {format_money(sm.payments_minor)}")
    print(f"  отмены и возвраты: {sm.returns_count} на {format_money(sm.returns_minor)}")
    print(f"  внесено: {format_money(sm.cash_in_minor)}; изъято: {format_money(sm.cash_out_minor)}")
    print(f"  ожидается в кассе: {format_money(sm.expected_minor)}")
    if sm.counted_minor is not None:
        print(f"  пересчитано: {format_money(sm.counted_minor)}; расхождение: {format_money(sm.over_short_minor)}")


def _save_pdf(path: str | None, pdf: bytes) -> None:
    if path:
        from cashier_app.printing.pdf_base import write_atomic

        write_atomic(Path(path), pdf)


def run_shift(args: argparse.Namespace) -> int:
    from cashier_app.services import shifts

    ctx = _ctx(args)
    cmd = args.shift_cmd
    if cmd == "open":
        float_minor = (parse_amount(args.float_, "--float", allow_zero=True) if args.float_ is not None
                       else shifts.proposed_float(ctx))
        sm = shifts.open_shift(ctx, float_minor)
    elif cmd in ("cash-in", "cash-out"):
        sm = shifts.cash_movement(ctx, args.movement, parse_amount(args.amount, "--amount"), args.reason)
    elif cmd == "x":
        rep = shifts.x_report(ctx, paper=_paper())
        _save_pdf(args.pdf, rep.document.pdf)
        sm = rep.summary
    elif cmd == "close":
        denoms = None
        if args.denominations:
            try:
                denoms = json.loads(args.denominations)
            except ValueError as exc:
                raise ValidationError("--denominations", "нужен JSON, например {\"500000\": 2}") from exc
            if not isinstance(denoms, dict):
                raise ValidationError("--denominations", "нужен JSON-объект номинал → количество")
        counted = parse_amount(args.counted, "--counted", allow_zero=True) if args.counted is not None else None
        rep = shifts.close_shift(ctx, counted, denominations=denoms, paper=_paper())
        _save_pdf(args.pdf, rep.document.pdf)
        sm = rep.summary
        if not args.json:
            print(f"Z-отчёт {rep.document.number}, SHA-256 {rep.document.sha256}")
    else:  # status
        sm = shifts.current(ctx)
        hands = shifts.cash_on_hand(ctx)
        if args.json:
            print_json({"shift": _summary_json(sm) if sm else None,
                        "cash_on_hand": [{"desk": h.desk, "user": h.user_login, "shift": h.shift_number,
                                          "expected_minor": h.expected_minor} for h in hands]})
            return 0
        if sm:
            _print_summary(sm)
        else:
            print("открытой смены нет")
        for h in hands:
            print(f"в кассе {h.desk} ({h.user_login}, смена {h.shift_number}): {format_money(h.expected_minor)}")
        return 0
    if args.json:
        print_json(_summary_json(sm))
    else:
        _print_summary(sm)
    return 0


def run_pay_cash(args: argparse.Namespace) -> int:
    from cashier_app.services import cash

    ctx = _ctx(args)
    amount = parse_amount(args.amount, "--amount")
    received = parse_amount(args.received, "--received") if args.received is not None else None
    res = cash.take_cash(ctx, token=args.token or cash.new_token(), amount_minor=amount, account=args.account,
                         booking=args.booking, received_minor=received, paper=_paper())
    if res.slip:
        _save_pdf(args.pdf, res.slip.pdf)
    if args.json:
        print_json({"payment": res.payment_number, "amount_minor": res.amount_minor,
                    "received_minor": res.received_minor, "change_minor": res.change_minor,
                    "target_amount_minor": res.target_amount_minor, "target_currency": res.target_currency,
                    "repeated": res.repeated, "slip": res.slip.number if res.slip else None})
        return 0
    print(f"платёж {res.payment_number}: {format_money(res.amount_minor)}"
          + (" (повтор: уже оплачено этим токеном)" if res.repeated else ""))
    if res.change_minor is not None:
        print(f"получено {format_money(res.received_minor or 0)}, сдача {format_money(res.change_minor)}")
    if res.slip:
        print(f"квитанция {res.slip.number}")
    return 0


def run_correction(args: argparse.Namespace) -> int:
    from cashier_app.services import corrections

    ctx = _ctx(args)
    if args.correction == "cancel":
        res = corrections.cancel_payment(ctx, args.payment, args.reason)
    else:
        amount = parse_amount(args.amount, "--amount") if args.amount is not None else None
        res = corrections.refund_payment(ctx, args.payment, args.reason, amount_minor=amount, customer=args.customer)
        if res.application:
            _save_pdf(args.pdf, res.application.pdf)
    if args.json:
        print_json({"payment": res.original_number, "entry": res.entry_number, "amount_minor": res.amount_minor,
                    "application": res.application.number if res.application else None})
    else:
        print(f"{res.original_number}: {'отменён' if args.correction == 'cancel' else 'возврат'} "
              f"{format_money(res.amount_minor)} (запись {res.entry_number})")
    return 0


def run_journal(args: argparse.Namespace) -> int:
    from cashier_app.services import payments_journal as pj

    ctx = _ctx(args)
    f = pj.JournalFilter(
        date_from=parse_date(args.date_from, "--from") if args.date_from else None,
        date_to=parse_date(args.date_to, "--to") if args.date_to else None,
        desk=args.desk, user=args.user, method=args.method, status=args.status, account=args.account,
        booking=args.booking,
    )
    result = pj.query(ctx, f)
    if args.csv:
        pj.export_csv(result, args.csv)
    if args.xlsx:
        pj.export_xlsx(result, args.xlsx)
    if args.json:
        for r in result.rows:
            print_json({name: getattr(r, name) for name in pj.row_fields()})
    elif not (args.csv or args.xlsx):
        for r in result.rows:
            print(f"{r.number}\t{r.created_at.astimezone():%Y-%m-%d %H:%M}\t{r.entry_kind}\t{r.method}\t{r.status}\t"
                  f"{format_money(r.amount_minor, r.currency)}\t{r.account or r.booking}\t{r.desk}\t{r.user or ''}")
    t = result.totals
    print(f"итого: записей {t.count}; принято {format_money(t.paid_minor)}; возвращено "
          f"{format_money(-t.returned_minor)}; нетто {format_money(t.net_minor)}", flush=True)
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from cashier_app.services import audit_log

    ctx = _ctx(args)
    if args.audit_cmd == "verify":
        res = audit_log.verify(ctx)
        if args.json:
            print_json({"ok": res.ok, "checked": res.checked, "broken_id": res.broken_id, "problem": res.problem})
        elif res.ok:
            print(f"цепочка аудита цела: проверено записей {res.checked}")
        else:
            print(f"цепочка аудита нарушена: запись № {res.broken_id} — {res.problem}")
        return 0 if res.ok else 1
    if args.limit < 1:
        raise ValidationError("--limit", "нужно положительное число")
    rows = audit_log.list_events(ctx, user=args.user, action=args.action,
                                 since=parse_date(args.since, "--since") if args.since else None, limit=args.limit)
    if args.csv:
        audit_log.export_csv(rows, args.csv)
    for r in rows:
        if args.json:
            print_json({"id": r.id, "at": r.at.isoformat(), "user": r.user, "role": r.role, "desk": r.desk,
                        "action": r.action, "entity": r.entity, "entity_id": r.entity_id, "before": r.before,
                        "after": r.after})
        else:
            print(f"{r.id}\t{r.at.astimezone():%Y-%m-%d %H:%M:%S}\t{r.user or '-'}\t{r.desk}\t{r.action}\t"
                  f"{r.entity} {r.entity_id or ''}")
    return 0


def run_users(args: argparse.Namespace) -> int:
    from cashier_app.services import users

    ctx = _ctx(args)
    cmd = args.users_cmd

    def limit(text: str | None) -> int | None:
        if text is None or text.lower() in ("none", "нет", ""):
            return None
        return parse_amount(text, "Лимит наличных")

    if cmd == "list":
        rows = users.list_users(ctx)
    elif cmd == "add":
        rows = [users.add_user(ctx, args.user_login, args.name, args.role, args.password, limit(args.limit))]
    elif cmd == "role":
        rows = [users.set_role(ctx, args.user_login, args.role)]
    elif cmd == "password":
        rows = [users.reset_password(ctx, args.user_login, args.password)]
    elif cmd in ("disable", "enable"):
        rows = [users.set_active(ctx, args.user_login, cmd == "enable")]
    elif cmd == "limit":
        rows = [users.set_cash_limit(ctx, args.user_login, limit(args.amount))]
    else:  # pragma: no cover
        raise UserError(cmd)
    for r in rows:
        if args.json:
            print_json({"login": r.login, "full_name": r.full_name, "role": r.role, "active": r.active,
                        "locked_until": r.locked_until, "cash_limit_minor": r.cash_limit_minor})
        else:
            lim = format_money(r.cash_limit_minor) if r.cash_limit_minor is not None else "без лимита"
            print(f"{r.login}\t{r.role}\t{'активен' if r.active else 'отключён'}\t{lim}\t{r.full_name}")
    return 0
