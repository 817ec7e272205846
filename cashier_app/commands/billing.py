"""``cashier-app billing``: the payees' billing outbox without the window (issue 14).

* ``status`` — rows by state (в очереди / отправлен / доставлен / отклонён / вручную), the oldest
  waiting one's age, and the rows a person must look at;
* ``deliver [--limit N]`` — the rows due now (back-off passed);
* ``reconcile`` — every pending/sent row now, whatever the back-off (after an outage, after a crash):
  the same txn_id is sent, so the billing's answer proves what it has;
* ``retry PAYMENT`` — a person's «Повторить» for one payment (a refused one goes again).

Exit codes: 0 done (nothing waits), 2 refused (by the billing, or a user error), 3 rows still wait.
"""

from __future__ import annotations

import argparse
from typing import Any

from cashier_app.commands import (
    EXIT_DONE_BUT,
    EXIT_REFUSED,
    add_as_arg,
    add_db_arg,
    cli_context,
    open_db,
    print_json,
)
from cashier_app.i18n import tr


def _common(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    add_as_arg(p)
    p.add_argument("--json", action="store_true", help=tr("одна строка JSON"))


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("billing", help=tr("доставка платежей в биллинг получателя (OSMP): status, deliver, "
                                          "reconcile, retry"))
    bs = b.add_subparsers(dest="billing_cmd", metavar=tr("ДЕЙСТВИЕ"), required=True)
    st = bs.add_parser("status", help=tr("доставки по состояниям и те, что требуют внимания"))
    _common(st)
    st.set_defaults(handler=run_status)
    dv = bs.add_parser("deliver", help=tr("отправить доставки, срок которых наступил"))
    dv.add_argument("--limit", type=int, default=200, metavar="N", help=tr("не больше N доставок (200)"))
    _common(dv)
    dv.set_defaults(handler=run_deliver)
    rc = bs.add_parser("reconcile", help=tr("довести все неподтверждённые доставки сейчас (тот же txn_id)"))
    _common(rc)
    rc.set_defaults(handler=run_reconcile)
    rt = bs.add_parser("retry", help=tr("повторить доставку платежа в биллинг"))
    rt.add_argument("payment", metavar=tr("ПЛАТЁЖ"), help=tr("номер платежа, например P-000000123"))
    _common(rt)
    rt.set_defaults(handler=run_retry)


def _ctx(args: argparse.Namespace) -> Any:
    from cashier_app.services.permissions import require

    ctx = cli_context(open_db(args), args.login)
    require(ctx, "take_payment")
    return ctx


def delivery_json(v: Any) -> dict[str, Any] | None:
    """A delivery's part of a payment's JSON line (``pay-cash``, ``billing retry``): None without one."""
    if v is None:
        return None
    return {"state": v.state, "label": v.label, "txn_id": v.txn_id, "prv_txn": v.prv_txn, "attempts": v.attempts,
            "error": v.last_error}


def _counts_text(c: dict[str, int]) -> str:
    return (tr("обработано: {processed}; доставлено: {delivered}; ждут ответа: {waiting}; отклонено: {refused}; "
               "вручную: {manual}", processed=c.get("processed", 0), delivered=c.get("delivered", 0),
               waiting=c.get("sent", 0) + c.get("pending", 0), refused=c.get("refused", 0), manual=c.get("manual", 0)))


def _exit_for(c: dict[str, int]) -> int:
    return EXIT_DONE_BUT if c.get("sent", 0) + c.get("pending", 0) + c.get("refused", 0) + c.get("manual", 0) else 0


def run_status(args: argparse.Namespace) -> int:
    from cashier_app.services.billing import billing_views
    from cashier_app.services.billing.views import DELIVERY_LABELS

    ctx = _ctx(args)
    with ctx.db.read() as uow:
        st = billing_views.status(uow.session)
        problems = billing_views.problems(uow.session)
    if args.json:
        print_json({**st, "problems": [{"payment": n, **(delivery_json(v) or {})} for n, v in problems]})
        return 0
    for state, label in DELIVERY_LABELS.items():
        print(f"{label}: {st['counts'].get(state, 0)}")
    if st["oldest_pending_secs"] is not None:
        print(tr("старейшая недоставленная ждёт: {seconds} с", seconds=st["oldest_pending_secs"]))
    for number, v in problems:
        print(f"{number}\t{v.label}")
    return 0


def run_deliver(args: argparse.Namespace) -> int:
    from cashier_app.services.billing import delivery

    ctx = _ctx(args)
    counts = delivery.deliver_due(ctx.db, limit=max(1, args.limit))
    print_json(counts) if args.json else print(_counts_text(counts))
    return 0 if not (counts.get("sent", 0) + counts.get("pending", 0)) else EXIT_DONE_BUT


def run_reconcile(args: argparse.Namespace) -> int:
    from cashier_app.services.billing import delivery

    ctx = _ctx(args)
    counts = delivery.reconcile(ctx.db)
    print_json(counts) if args.json else print(_counts_text(counts))
    return _exit_for(counts)


def run_retry(args: argparse.Namespace) -> int:
    from cashier_app.services.billing import delivery

    ctx = cli_context(open_db(args), args.login)
    pid = delivery.payment_id_by_number(ctx.db, args.payment)
    v = delivery.retry(ctx, pid)
    if args.json:
        print_json({"payment": args.payment.strip(), **(delivery_json(v) or {})})
    else:
        print(f"{args.payment.strip()}: {v.label}")
    if v.state == "delivered":
        return 0
    return EXIT_REFUSED if v.state in ("refused", "manual") else EXIT_DONE_BUT
