"""``cashier-app fiscal``: the fiscal register and the receipts without the window (issue 13).

* ``status`` — the desk's register: ready / paper out / shift expired / offline / documents
  not sent to the tax operator (``fiscal_shifts.register_status``);
* ``reconcile`` — settle every unfinished receipt this desk may (asked at the register
  first, never sent twice);
* ``receipts [--payment P] [--json]`` — a payment's receipts (its sale, returns, corrections)
  or the latest ones;
* ``x`` — the X report printed on the register;
* ``sync`` — finish the register's part of shift actions it missed (open, cash in/out, an
  earlier close) — after the register was offline or out of paper;
* ``retry PAYMENT`` — a failed (or unanswered) receipt again: looked up first; one the register
  refused for certain goes under a new key (it made nothing under the old one);
* ``correct PAYMENT --reason …`` — a correction receipt for a sale that was never made.

Exit codes of ``retry`` and ``correct``: 0 the receipt is made, 1 the register refused it
(the reason is printed), 3 no answer yet (the receipt stays queued; ``reconcile`` settles it).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cashier_app.commands import EXIT_DONE_BUT, add_as_arg, add_db_arg, cli_context, open_db, print_json
from cashier_app.domain.money import format_money
from cashier_app.i18n import tr

EXIT_MADE = 0
EXIT_FAILED = 1
EXIT_WAITING = EXIT_DONE_BUT  # 3: nothing lost, the answer is still to come


def _common(p: argparse.ArgumentParser, *, json: bool = True) -> None:
    add_db_arg(p)
    add_as_arg(p)
    if json:
        p.add_argument("--json", action="store_true", help=tr("одна строка JSON"))


def register(sub: argparse._SubParsersAction) -> None:
    f = sub.add_parser("fiscal", help=tr("фискальные чеки и ККТ: status, reconcile, receipts, x, sync, "
                                         "retry, correct"))
    fsub = f.add_subparsers(dest="fiscal_cmd", metavar=tr("ДЕЙСТВИЕ"), required=True)
    st = fsub.add_parser("status", help=tr("состояние ККТ этой кассы: готова, нет бумаги, смена > 24 ч, нет связи, "
                                        "не отправлено в ОФД"))
    _common(st)
    st.set_defaults(handler=run_status)
    rc = fsub.add_parser("reconcile", help=tr("довести все незавершённые чеки: спросить ККТ, затем отправить"))
    _common(rc)
    rc.set_defaults(handler=run_reconcile)
    rs = fsub.add_parser("receipts", help=tr("чеки платежа (или последние чеки)"))
    rs.add_argument("--payment", metavar=tr("ПЛАТЁЖ"), help=tr("номер платежа, например P-000000123"))
    _common(rs)
    rs.set_defaults(handler=run_receipts)
    x = fsub.add_parser("x", help=tr("X-отчёт на ККТ"))
    _common(x)
    x.set_defaults(handler=run_x)
    sy = fsub.add_parser("sync", help=tr("доделать на ККТ то, что она пропустила: открыть смену, внесения, "
                                         "закрытие"))
    _common(sy)
    sy.set_defaults(handler=run_sync)
    rt = fsub.add_parser("retry", help=tr("повторить непробитый чек платежа (тот же чек, не второй)"))
    rt.add_argument("payment", metavar=tr("ПЛАТЁЖ"))
    _common(rt)
    rt.set_defaults(handler=run_retry)
    co = fsub.add_parser("correct", help=tr("чек коррекции для платежа, чек продажи по которому не пробит"))
    co.add_argument("payment", metavar=tr("ПЛАТЁЖ"))
    co.add_argument("--reason", required=True, metavar=tr("ТЕКСТ"), help=tr("причина коррекции"))
    _common(co)
    co.set_defaults(handler=run_correct)


def add_receipt_args(p: argparse.ArgumentParser) -> None:
    """``--contact`` / ``--paperless`` of ``pay-cash`` and ``pay-card``: the e-receipt (tag 1008)."""
    p.add_argument("--contact", metavar=tr("ТЕЛЕФОН_ИЛИ_EMAIL"),
                   help=tr("куда отправить электронный чек: +7XXXXXXXXXX или e-mail"))
    p.add_argument("--paperless", action="store_true",
                   help=tr("не печатать чек на ККТ (только электронный; нужен --contact)"))


def receipt_contact(args: argparse.Namespace) -> str | None:
    """The ``--contact`` normalised, refused naming the option before any money moves."""
    from cashier_app.domain.errors import ValidationError
    from cashier_app.domain.fiscal_receipt import check_contact

    text = (args.contact or "").strip()
    if not text:
        if args.paperless:
            raise ValidationError("--paperless", tr("чек без печати уходит только покупателю: укажите "
                                                    "--contact"))
        return None
    try:
        return check_contact(text)
    except ValidationError as exc:
        raise ValidationError("--contact", exc.message) from None


def _ctx(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return cli_context(open_db(args), args.login)


def receipt_line(v: Any) -> str:
    """One line per receipt: what it is, its state, its fiscal data."""
    from cashier_app.services.fiscal_views import OPERATION_LABELS, STATE_LABELS

    head = (f"{v.payment_number} {OPERATION_LABELS.get(v.operation, v.operation)} "
            f"{format_money(v.amount_minor)}: {STATE_LABELS.get(v.state, v.state)}")
    if v.state == "done":
        head += tr("; ФД {fd_number}, ФП {fiscal_sign}, ФН {fn_number}", fd_number=v.fd_number,
                   fiscal_sign=v.fiscal_sign, fn_number=v.fn_number)
        if v.shift_number is not None:
            head += tr(", смена {shift_number}", shift_number=v.shift_number)
        if v.qr:
            head += f"; QR {v.qr}"
    elif v.last_error:
        head += f" ({v.last_error})"
    if v.contact:
        head += tr("; электронный чек: {contact}", contact=v.contact)
    return head


def fiscal_json(v: Any) -> dict[str, Any] | None:
    """The receipt's part of a payment's JSON line (``pay-cash``, ``pay-card``): None without a receipt."""
    if v is None:
        return None
    out: dict[str, Any] = {"state": v.state, "key": v.key, "operation": v.operation, "channel": v.channel,
                           "contact": v.contact, "electronically": v.electronically}
    if v.state == "done":
        out.update({"fd_number": v.fd_number, "fiscal_sign": v.fiscal_sign, "fn_number": v.fn_number,
                    "registration_number": v.registration_number, "shift_number": v.shift_number,
                    "receipt_number": v.receipt_number,
                    "fiscal_at": v.fiscal_at.isoformat() if v.fiscal_at else None, "fns_url": v.fns_url,
                    "total_minor": v.fiscal_total_minor, "qr": v.qr})
    elif v.last_error:
        out["error"] = v.last_error
    return out


def _exit_for(views: list[Any]) -> int:
    if any(v.state in ("pending", "sent") for v in views):
        return EXIT_WAITING
    if any(v.state == "failed" for v in views):
        return EXIT_FAILED
    return EXIT_MADE


def _print_views(args: argparse.Namespace, views: list[Any]) -> None:
    if args.json:
        print_json([v.as_json() for v in views])
        return
    for v in views:
        print(receipt_line(v))


def run_status(args: argparse.Namespace) -> int:
    from cashier_app.services import fiscal_shifts

    st = fiscal_shifts.register_status(_ctx(args))
    if args.json:
        print_json(st.as_json() if hasattr(st, "as_json") else _plain(st))
    else:
        print(getattr(st, "text", None) or str(st))
    return 0


def _plain(obj: Any) -> Any:
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) and not isinstance(obj, type) else obj


def run_reconcile(args: argparse.Namespace) -> int:
    from cashier_app.services import fiscal_delivery

    res = fiscal_delivery.reconcile(_ctx(args))
    if args.json:
        print_json({"checked": res.checked, "done": res.done, "failed": res.failed, "unfinished": res.unfinished,
                    "receipts": [v.as_json() for v in res.views]})
    else:
        for v in res.views:
            print(receipt_line(v))
        print(res.text)
    return 0


def run_receipts(args: argparse.Namespace) -> int:
    from cashier_app.services import fiscal_views

    views = fiscal_views.receipts(_ctx(args), payment=args.payment)
    if not views and not args.json:
        print(tr("чеков нет") if args.payment is None else tr("у платежа {payment} фискальных чеков нет",
                                                              payment=args.payment))
        return 0
    _print_views(args, views)
    return 0


def run_x(args: argparse.Namespace) -> int:
    """The shift's X report: journaled in the app and printed on the register (``shifts.x_report``)."""
    from cashier_app.services import shifts
    from cashier_app.settings import DeskSettings

    rep = shifts.x_report(_ctx(args), paper=DeskSettings().get("receipt_paper"))
    note = rep.register_note
    if args.json:
        print_json({"document": rep.document.number, "shift": rep.summary.number,
                    "register_shift_number": rep.summary.register_shift_number,
                    "register_ok": note is None, "register_note": note})
    else:
        print(tr("X-отчёт {number} по смене {number2}", number=rep.document.number, number2=rep.summary.number))
        print(note or tr("X-отчёт напечатан на ККТ"))
    if note:
        return EXIT_FAILED
    return 0


def run_sync(args: argparse.Namespace) -> int:
    """``fiscal_shifts.sync``: 0 when nothing is left to do on the register, 1 when something is."""
    from cashier_app.services import fiscal_shifts

    res = fiscal_shifts.sync(_ctx(args))
    if args.json:
        print_json({"shift": res.shift_number, "actions": list(res.actions), "problems": list(res.problems)})
    else:
        for line in res.actions:
            print(line)
        for line in res.problems:
            print(line, file=sys.stderr)
        if not res.actions and not res.problems:
            print(tr("ККТ в порядке: доделывать нечего"))
    return EXIT_FAILED if res.problems else 0


def run_retry(args: argparse.Namespace) -> int:
    from cashier_app.services import fiscal_delivery

    views = fiscal_delivery.retry(_ctx(args), args.payment)
    _print_views(args, views)
    code = _exit_for(views)
    if code == EXIT_WAITING:
        print(tr("cashier-app: ККТ ещё не ответила; чек в очереди — повторно он не пробьётся "
              "(cashier-app fiscal reconcile)"), file=sys.stderr)
    return code


def run_correct(args: argparse.Namespace) -> int:
    from cashier_app.services import fiscal_delivery

    view = fiscal_delivery.correct(_ctx(args), args.payment, args.reason)
    _print_views(args, [view])
    return _exit_for([view])
