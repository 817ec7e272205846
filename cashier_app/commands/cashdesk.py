"""Cash desk commands: ``shift``, ``pay-cash``, ``cancel``, ``refund``, ``journal`` (``audit`` is commands/audit).

They act as the authenticated user (``--as`` / ``CASHIER_USER`` with a
password or ``CASHIER_TOKEN``, see ``commands.cli_context``); the services
check that user's role exactly as in the GUI.

Money first, paper second, and the answer always tells which happened:
output files are checked before money moves; a failure after the commit says
«оплата проведена: P-…» and exits ``EXIT_DONE_BUT`` (3); a connection lost
during the commit is answered only after looking the operation up again
(``services/outcomes``): done, not done (exit 2, safe to retry), or — with the
database still unreachable — unknown (exit 4, retry with the same ``--token``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from cashier_app.commands import (
    EXIT_DONE_BUT,
    EXIT_OUTCOME_UNKNOWN,
    EXIT_REFUSED,
    add_as_arg,
    add_db_arg,
    check_output_path,
    cli_context,
    open_db,
    parse_date,
    print_json,
)
from cashier_app.commands.fiscal import add_receipt_args, fiscal_json, receipt_contact, receipt_line
from cashier_app.domain.errors import UserError, ValidationError
from cashier_app.domain.money import format_money, parse_amount
from cashier_app.i18n import tr


def _common(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    add_as_arg(p)


def _ctx(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return cli_context(open_db(args), args.login)


def _paper() -> str:
    from cashier_app.settings import DeskSettings

    return DeskSettings().get("receipt_paper")


def register(sub: argparse._SubParsersAction) -> None:
    sh = sub.add_parser("shift", help=tr("кассовая смена: open, cash-in, cash-out, x, close, status"))
    ssub = sh.add_subparsers(dest="shift_cmd", metavar=tr("ДЕЙСТВИЕ"), required=True)
    o = ssub.add_parser("open", help=tr("открыть смену"))
    o.add_argument("--float", dest="float_", metavar=tr("РУБ"), help=tr("размен (по умолчанию — пересчитано "
                                                                        "при прошлом закрытии)"))
    for name, help_ in (("cash-in", tr("внести наличные")), ("cash-out", tr("изъять наличные"))):
        c = ssub.add_parser(name, help=help_)
        c.add_argument("--amount", required=True, metavar=tr("РУБ"))
        c.add_argument("--reason", required=True)
        c.set_defaults(movement="in" if name == "cash-in" else "out")
    x = ssub.add_parser("x", help=tr("X-отчёт"))
    x.add_argument("--pdf", metavar=tr("ФАЙЛ"))
    cl = ssub.add_parser("close", help=tr("закрыть смену (Z-отчёт)"))
    cl.add_argument("--counted", metavar=tr("РУБ"), help=tr("пересчитанная сумма"))
    cl.add_argument("--denominations", metavar="JSON", help=tr('пересчёт по номиналам: {"500000": 2, "coins": 150}'))
    cl.add_argument("--pdf", metavar=tr("ФАЙЛ"))
    ssub.add_parser("status", help=tr("открытая смена и наличные в кассах"))
    for p in ssub.choices.values():
        _common(p)
        p.add_argument("--json", action="store_true")
    sh.set_defaults(handler=run_shift)

    pc = sub.add_parser("pay-cash", help=tr("принять наличные по лицевому счёту или заявке"))
    g = pc.add_mutually_exclusive_group(required=True)
    g.add_argument("--account", metavar=tr("НОМЕР"))
    g.add_argument("--booking", metavar=tr("НОМЕР"))
    pc.add_argument("--amount", required=True, metavar=tr("СУММА"),
                    help=tr("рубли для лицевого счёта; для заявки — в валюте тура (рубли по курсу дня)"))
    pc.add_argument("--received", metavar=tr("РУБ"), help=tr("получено от клиента (для сдачи)"))
    pc.add_argument("--token", help=tr("идентификатор операции (до 64 знаков): повтор с тем же токеном не платит "
                                    "второй раз; без него создаётся новый и печатается первой строкой в stderr"))
    pc.add_argument("--pdf", metavar=tr("ФАЙЛ"), help=tr("сохранить квитанцию"))
    add_receipt_args(pc)
    _common(pc)
    pc.add_argument("--json", action="store_true")
    pc.set_defaults(handler=run_pay_cash)

    for name, help_ in (("cancel", tr("отменить платёж (та же смена, тот же день)")),
                        ("refund", tr("вернуть платёж (наличные из смены; заявление на возврат)"))):
        c = sub.add_parser(name, help=help_)
        c.add_argument("payment", metavar=tr("ПЛАТЁЖ"))
        c.add_argument("--reason", required=True)
        if name == "refund":
            c.add_argument("--amount", metavar=tr("РУБ"), help=tr("часть суммы (по умолчанию — весь остаток)"))
            c.add_argument("--customer", default="", help=tr("ФИО заявителя"))
            c.add_argument("--pdf", metavar=tr("ФАЙЛ"), help=tr("сохранить заявление"))
        _common(c)
        c.add_argument("--json", action="store_true")
        c.set_defaults(handler=run_correction, correction=name)

    j = sub.add_parser("journal", help=tr("журнал платежей с отбором, итогами и выгрузкой"))
    j.add_argument("--from", dest="date_from", metavar=tr("ГГГГ-ММ-ДД"))
    j.add_argument("--to", dest="date_to", metavar=tr("ГГГГ-ММ-ДД"))
    j.add_argument("--desk")
    j.add_argument("--user")
    j.add_argument("--method")
    j.add_argument("--status")
    j.add_argument("--account")
    j.add_argument("--booking")
    j.add_argument("--csv", metavar=tr("ФАЙЛ"))
    j.add_argument("--xlsx", metavar=tr("ФАЙЛ"))
    _common(j)
    j.add_argument("--json", action="store_true")
    j.set_defaults(handler=run_journal)


def _summary_json(sm) -> dict:  # type: ignore[no-untyped-def]
    from dataclasses import asdict

    return asdict(sm)


def _print_summary(sm) -> None:  # type: ignore[no-untyped-def]
    print(tr("смена {number} ({status}), касса {desk}, кассир {user_login}", number=sm.number,
             status=sm.status, desk=sm.desk, user_login=sm.user_login))
    print(tr("  размен: {amount}", amount=format_money(sm.float_minor)))
    print(tr("  платежей наличными: {payments_count} на {payments}", payments_count=sm.payments_count,
             payments=format_money(sm.payments_minor)))
    print(tr("  отмены и возвраты: {returns_count} на {returns}", returns_count=sm.returns_count,
             returns=format_money(sm.returns_minor)))
    print(tr("  внесено: {cash_in}; изъято: {cash_out}", cash_in=format_money(sm.cash_in_minor),
             cash_out=format_money(sm.cash_out_minor)))
    print(tr("  ожидается в кассе: {expected}", expected=format_money(sm.expected_minor)))
    if sm.counted_minor is not None:
        print(tr("  пересчитано: {counted}; расхождение: {over_short}",
                 counted=format_money(sm.counted_minor), over_short=format_money(sm.over_short_minor)))


def _save_pdf(path: str | None, pdf: bytes) -> str | None:
    """Write the PDF; a sentence saying what failed instead of raising (the money has already moved)."""
    if not path:
        return None
    from cashier_app.printing.pdf_base import write_atomic

    try:
        write_atomic(Path(path), pdf)
    except OSError as exc:
        return tr("файл «{path}» не записан: {reason}", path=path, reason=exc.strerror or exc)
    return None


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_lost_answer(exc: BaseException) -> bool:
    """A database error or an interrupt: the commit may or may not have happened."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError | KeyboardInterrupt)


def _done_but(what: str, problem: str) -> int:
    print(f"cashier-app: {what}; {problem}", file=sys.stderr)
    return EXIT_DONE_BUT


def run_shift(args: argparse.Namespace) -> int:
    from cashier_app.services import shifts

    cmd = args.shift_cmd
    if cmd in ("x", "close"):
        check_output_path(args.pdf, "--pdf")
    ctx = _ctx(args)
    if cmd == "open":
        float_minor = (parse_amount(args.float_, "--float", allow_zero=True) if args.float_ is not None
                       else shifts.proposed_float(ctx))
        sm = shifts.open_shift(ctx, float_minor)
    elif cmd in ("cash-in", "cash-out"):
        sm = shifts.cash_movement(ctx, args.movement, parse_amount(args.amount, "--amount"), args.reason)
    elif cmd == "x":
        rep = shifts.x_report(ctx, paper=_paper())
        problem = _save_pdf(args.pdf, rep.document.pdf)
        if problem:
            raise UserError(tr("X-отчёт {number}: {problem}", number=rep.document.number, problem=problem))
        sm = rep.summary
    elif cmd == "close":
        denoms = None
        if args.denominations:
            try:
                denoms = json.loads(args.denominations)
            except ValueError as exc:
                raise ValidationError("--denominations", tr("нужен JSON, например {\"500000\": 2}")) from exc
            if not isinstance(denoms, dict):
                raise ValidationError("--denominations", tr("нужен JSON-объект номинал → количество"))
        counted = parse_amount(args.counted, "--counted", allow_zero=True) if args.counted is not None else None
        before = shifts.current(ctx)
        try:
            rep = shifts.close_shift(ctx, counted, denominations=denoms, paper=_paper())
        except UserError:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            if before is None or not _is_lost_answer(exc):
                raise
            return _shift_close_outcome(ctx, before.number, exc)
        sm = rep.summary
        if not args.json:
            print(tr("Z-отчёт {number}, SHA-256 {sha256}", number=rep.document.number,
                     sha256=rep.document.sha256))
        problem = _save_pdf(args.pdf, rep.document.pdf)
        if problem:
            if args.json:
                print_json(_summary_json(sm))
            else:
                _print_summary(sm)
            return _done_but(tr("смена закрыта: {number}, Z-отчёт {number2} (копия: cashier-app reprint "
                                "{number2} -o ФАЙЛ)", number=sm.number, number2=rep.document.number), problem)
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
            print(tr("открытой смены нет"))
        for h in hands:
            print(tr("в кассе {desk} ({user_login}, смена {shift_number}): {expected}", desk=h.desk,
                     user_login=h.user_login, shift_number=h.shift_number,
                     expected=format_money(h.expected_minor)))
        return 0
    if args.json:
        print_json(_summary_json(sm))
    else:
        _print_summary(sm)
    return 0


def _shift_close_outcome(ctx, number: str, exc: BaseException) -> int:  # type: ignore[no-untyped-def]
    """The connection dropped while closing: ask again whether the shift is closed before answering."""
    from sqlalchemy import select

    from cashier_app.services import outcomes
    from cashier_app.storage import models as m

    try:
        with ctx.db.read() as uow:
            shift_id = uow.session.execute(select(m.CashShift.id).where(m.CashShift.number == number)).scalar_one()
        state = outcomes.shift_state(ctx.db, shift_id)
    except Exception:
        print(tr("cashier-app: исход неизвестен: связь с базой прервалась при закрытии смены {number} "
                 "({exc}), и база не отвечает; проверьте: cashier-app shift status", number=number,
                 exc=_reason(exc)), file=sys.stderr)
        return EXIT_OUTCOME_UNKNOWN
    if state is not None and state.status == "closed":
        z_report = tr(", Z-отчёт {z_report}", z_report=state.z_report) if state.z_report else ""
        print(tr("смена {number} закрыта", number=number) + z_report)
        print(tr("cashier-app: связь с базой прервалась при записи ({exc}), но смена закрыта — проверено "
                 "повторным запросом; копия отчёта: cashier-app reprint {number} -o ФАЙЛ", exc=_reason(exc),
                 number=state.z_report or tr('НОМЕР')),
              file=sys.stderr)
        return 0
    print(tr("cashier-app: смена {number} не закрыта: связь с базой прервалась ({exc}); закрыть ещё раз "
             "безопасно", number=number, exc=_reason(exc)), file=sys.stderr)
    return EXIT_REFUSED


def run_pay_cash(args: argparse.Namespace) -> int:
    from cashier_app.services import cash

    check_output_path(args.pdf, "--pdf")
    contact = receipt_contact(args)
    amount = parse_amount(args.amount, "--amount")
    received = parse_amount(args.received, "--received") if args.received is not None else None
    if args.token is not None and not (0 < len(args.token) <= 64):
        raise ValidationError("--token", tr("от 1 до 64 знаков"))
    ctx = _ctx(args)
    token = args.token or cash.new_token()
    # Before the money moves, so that whatever happens next the same payment can be retried
    # with ``--token`` and is never taken twice.
    print(tr("токен операции: {token}", token=token), file=sys.stderr, flush=True)
    _warn_billing_check(ctx, args.account)
    try:
        res = cash.take_cash(ctx, token=token, amount_minor=amount, account=args.account, booking=args.booking,
                             received_minor=received, paper=_paper(), contact=contact, paperless=args.paperless)
    except UserError:
        raise  # refused before anything was written
    except (Exception, KeyboardInterrupt) as exc:
        return _pay_cash_outcome(ctx, args, token, exc)
    return _print_cash(args, token, res, _save_pdf(args.pdf, res.slip.pdf) if res.slip else None,
                       _billing_after(ctx, res.payment_id))


def _warn_billing_check(ctx, account: str | None) -> None:  # type: ignore[no-untyped-def]
    """The billing's last word on the account, when it was «не найден»: a warning, never a refusal."""
    if not account:
        return
    from cashier_app.services.billing.checks import last_check_by_number

    try:
        with ctx.db.read() as uow:
            view = last_check_by_number(uow.session, account)
    except Exception:  # a warning must not stop the payment
        return
    if view is not None and view.state == "not_found":
        print(tr("cashier-app: внимание: биллинг не нашёл лицевой счёт {account} (проверка "
                 "{checked_at_text})", account=account, checked_at_text=view.checked_at_text),
              file=sys.stderr)


def _billing_after(ctx, payment_id: int):  # type: ignore[no-untyped-def]
    """The payment's delivery to its billing, sent now with a short timeout; never fails the command."""
    from cashier_app.services.billing.delivery import deliver_after_commit

    return deliver_after_commit(ctx.db, payment_id)


def _print_cash(args: argparse.Namespace, token: str, res, problem: str | None,  # type: ignore[no-untyped-def]
                billing=None) -> int:  # type: ignore[no-untyped-def]
    from cashier_app.commands.billing import delivery_json

    if args.json:
        print_json({"payment": res.payment_number, "amount_minor": res.amount_minor,
                    "received_minor": res.received_minor, "change_minor": res.change_minor,
                    "target_amount_minor": res.target_amount_minor, "target_currency": res.target_currency,
                    "repeated": res.repeated, "slip": res.slip.number if res.slip else None, "token": token,
                    "problem": problem, "fiscal": fiscal_json(res.fiscal), "billing": delivery_json(billing)})
    else:
        print(tr("платёж {payment_number}: {amount}", payment_number=res.payment_number,
                 amount=format_money(res.amount_minor))
              + (tr(" (повтор: уже оплачено этим токеном)") if res.repeated else ""))
        if res.change_minor is not None:
            print(tr("получено {amount}, сдача {change}", amount=format_money(res.received_minor or 0),
                     change=format_money(res.change_minor)))
        if res.slip:
            print(tr("квитанция {number}", number=res.slip.number))
        if res.fiscal is not None:
            print(tr("чек: {fiscal}", fiscal=receipt_line(res.fiscal)))
        if billing is not None:
            print(tr("биллинг: {label}", label=billing.label))
    sys.stdout.flush()
    if problem:
        return _done_but(tr("оплата проведена: {payment_number} ({amount})",
                            payment_number=res.payment_number, amount=format_money(res.amount_minor)), problem)
    return 0


def _pay_cash_outcome(ctx, args: argparse.Namespace, token: str, exc: BaseException) -> int:  # type: ignore[no-untyped-def]
    """``take_cash`` failed: ask the database, by the token, whether the payment is there before answering."""
    from dataclasses import replace

    from cashier_app.services import cash, outcomes

    retry = tr("повторите с тем же токеном: --token {token} (второй раз не заплатит)", token=token)
    try:
        found = outcomes.cash_payment_by_token(ctx.db, token)
    except Exception:
        print(tr("cashier-app: исход платежа неизвестен: связь с базой прервалась ({exc}), и база не "
                 "отвечает; {retry}", exc=_reason(exc), retry=retry), file=sys.stderr)
        return EXIT_OUTCOME_UNKNOWN
    if found is None:
        if not _is_lost_answer(exc):
            raise exc  # a bug before the commit: nothing was taken, the traceback is for the developer
        print(tr("cashier-app: платёж не проведён: {exc}; деньги не приняты — {retry}", exc=_reason(exc),
                 retry=retry), file=sys.stderr)
        return 130 if isinstance(exc, KeyboardInterrupt) else EXIT_REFUSED
    if _is_lost_answer(exc):
        print(tr("cashier-app: связь с базой прервалась ({exc}), но платёж проведён — проверено по токену",
                 exc=_reason(exc)),
              file=sys.stderr)
    problem: str | None = None
    from cashier_app.services.fiscal_delivery import deliver_after_commit

    # The receipt is queued with the payment; sent (or looked up) now, never raising, before the slip.
    fiscal = deliver_after_commit(ctx, found.payment_id)
    try:  # the slip comes after the money; it can be made again for the same payment
        slip = cash.issue_slip(ctx, found.payment_id, paper=_paper())
    except Exception as slip_exc:
        slip, problem = None, tr("квитанция не сформирована: {slip_exc}", slip_exc=_reason(slip_exc))
    if slip is not None:
        problem = _save_pdf(args.pdf, slip.pdf)
    return _print_cash(args, token, replace(found, slip=slip, fiscal=fiscal), problem,
                       _billing_after(ctx, found.payment_id))


def run_correction(args: argparse.Namespace) -> int:
    from cashier_app.services import corrections

    is_refund = args.correction == "refund"
    if is_refund:
        check_output_path(args.pdf, "--pdf")
    amount = parse_amount(args.amount, "--amount") if is_refund and args.amount is not None else None
    ctx = _ctx(args)
    started = datetime.now(UTC)
    try:
        if not is_refund:
            res = corrections.cancel_payment(ctx, args.payment, args.reason)
        else:
            res = corrections.refund_payment(ctx, args.payment, args.reason, amount_minor=amount,
                                             customer=args.customer)
    except UserError:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        if not _is_lost_answer(exc):
            raise
        return _correction_outcome(ctx, args, started, exc)
    problem = _save_pdf(args.pdf, res.application.pdf) if is_refund and res.application else None
    _print_correction(args, res.original_number, res.entry_number, res.amount_minor,
                      res.application.number if res.application else None)
    if problem:
        return _done_but(tr("возврат проведён: {entry_number} по {original_number} ({amount})",
                            entry_number=res.entry_number, original_number=res.original_number,
                            amount=format_money(res.amount_minor)), problem)
    return 0


def _print_correction(args: argparse.Namespace, original: str, entry: str, amount_minor: int,
                      application: str | None) -> None:
    if args.json:
        print_json({"payment": original, "entry": entry, "amount_minor": amount_minor, "application": application})
    else:
        shown = format_money(amount_minor)
        print(tr("{original}: отменён {amount} (запись {entry})", original=original, amount=shown, entry=entry)
              if args.correction == "cancel" else
              tr("{original}: возврат {amount} (запись {entry})", original=original, amount=shown, entry=entry))
    sys.stdout.flush()


def _correction_outcome(ctx, args: argparse.Namespace, started: datetime, exc: BaseException) -> int:  # type: ignore[no-untyped-def]
    """The connection dropped during a cancel or refund: look for the entry this command made."""
    from cashier_app.services import documents, outcomes

    what = tr("отмена") if args.correction == "cancel" else tr("возврат")
    kind = "reversal" if args.correction == "cancel" else "refund"
    try:
        made = [e for e in outcomes.reversals_by(ctx.db, args.payment, ctx.user.id, started) if e.kind == kind]
    except Exception:
        print(tr("cashier-app: исход неизвестен: связь с базой прервалась ({exc}), и база не отвечает; "
                 "прежде чем повторять, проверьте: cashier-app journal --status … (записи по {payment})",
                 exc=_reason(exc), payment=args.payment),
              file=sys.stderr)
        return EXIT_OUTCOME_UNKNOWN
    if not made:
        print(tr("cashier-app: {what} не проведён(а): связь с базой прервалась ({exc}); повторить безопасно",
                 what=what, exc=_reason(exc)),
              file=sys.stderr)
        return EXIT_REFUSED
    e = made[-1]
    print(tr("cashier-app: связь с базой прервалась ({exc}), но {what} проведён(а) — проверено повторным "
             "запросом", exc=_reason(exc), what=what), file=sys.stderr)
    _print_correction(args, args.payment, e.number, e.amount_minor, e.application)
    if getattr(args, "pdf", None) and e.application:
        try:
            problem = _save_pdf(args.pdf, documents.reprint(ctx, e.application).pdf)
        except Exception as doc_exc:
            problem = tr("заявление не сохранено: {doc_exc}", doc_exc=_reason(doc_exc))
        if problem:
            return _done_but(tr("возврат проведён: {number} по {payment}", number=e.number,
                                payment=args.payment), problem)
    return 0


def run_journal(args: argparse.Namespace) -> int:
    from cashier_app.services import payments_journal as pj

    check_output_path(args.csv, "--csv")
    check_output_path(args.xlsx, "--xlsx")
    ctx = _ctx(args)
    f = pj.JournalFilter(
        date_from=parse_date(args.date_from, "--from") if args.date_from else None,
        date_to=parse_date(args.date_to, "--to") if args.date_to else None,
        desk=args.desk, user=args.user, method=args.method, status=args.status, account=args.account,
        booking=args.booking,
    )
    # Every row of the filter, streamed; each total is the sum of exactly the rows written.
    t = pj.ExportSummary()
    if args.csv:
        t = pj.export(ctx, f, args.csv, "csv", field="--csv")
    if args.xlsx:
        t = pj.export(ctx, f, args.xlsx, "xlsx", field="--xlsx")
    if args.json or not (args.csv or args.xlsx):
        t = pj.ExportSummary()
        for r in pj.iter_rows(ctx, f):
            t.add(r)
            if args.json:
                print_json({name: getattr(r, name) for name in pj.row_fields()})
            else:
                # People's words and the office clock, as the journal window shows them (issue 12 §3).
                from cashier_app.domain.audit_words import (
                    entry_kind_text,
                    format_instant,
                    method_text,
                    status_text,
                )
                from cashier_app.services.office_time import local_clock

                print(f"{r.number}\t{format_instant(r.created_at, local_clock)}\t{entry_kind_text(r.entry_kind)}\t"
                      f"{method_text(r.method)}\t{status_text(r.status)}\t{format_money(r.amount_minor, r.currency)}\t"
                      f"{r.account or r.booking}\t{r.desk}\t{r.user or ''}")
    print(tr("итого: записей {rows}; принято {paid}; возвращено {amount}; нетто {net}", rows=t.rows,
             paid=format_money(t.paid_minor), amount=format_money(-t.returned_minor),
             net=format_money(t.net_minor)), flush=True)
    return 0
