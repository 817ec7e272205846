"""``cashier-app pay-card``, ``reconcile`` and ``refund-card``: card payments without the window.

``pay-card`` prints the order number and the payment URL on its first two
lines (flushed at once, so a script or a test can hand the link to the
customer), polls the bank, and ends with one JSON line: exit 0 when paid,
3 when the wait ran out (the order stays pending, it is NOT failed), 1 for
any other final state.  After a lost register answer the order is recovered
or cancelled and replaced before the link is printed; what happened is said
on stderr and in the JSON's ``recovery``.

Test hook (see ``services/card_payments.crash_point``): with
``CASHIER_TEST_HOOKS=1`` and ``CASHIER_TEST_CRASH_AT=<point>`` the process
kills itself with SIGKILL at that point; only the crash tests set it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db, print_json
from cashier_app.commands.fiscal import add_receipt_args, fiscal_json, receipt_contact
from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_money, parse_amount
from cashier_app.i18n import tr

EXIT_PAID = 0
EXIT_NOT_PAID = 1
EXIT_STILL_PENDING = 3
DEFAULT_WAIT = 20 * 60 + 60  # the bank's 20 minutes and a margin


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pay-card", help=tr("оплата картой: ссылка на оплату, ожидание результата"))
    add_db_arg(p)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--account", metavar=tr("НОМЕР"), help=tr("лицевой счёт"))
    target.add_argument("--booking", metavar=tr("НОМЕР"), help=tr("заявка"))
    p.add_argument("--amount", metavar=tr("СУММА"),
                   help=tr("сумма: для счёта в рублях (обязательна), для заявки — в валюте тура (по "
                           "умолчанию весь долг)"))
    p.add_argument("--provider", choices=("sberbank", "tbank"),
                   help=tr("другой банк вместо банка получателя (только для песочницы: тест, демонстрация)"))
    p.add_argument("--new", action="store_true",
                   help=tr("если по счёту (заявке) уже есть неоплаченный заказ — отменить его в банке и создать новый "
                        "(без --new печатается тот заказ и его ссылка)"))
    p.add_argument("--no-browser", action="store_true", help=tr("не открывать ссылку в браузере"))
    add_receipt_args(p)
    p.add_argument("--wait", type=float, metavar=tr("СЕКУНД"), default=DEFAULT_WAIT,
                   help=tr("сколько ждать оплаты (по умолчанию {default_wait}); 0 — не ждать",
                           default_wait=DEFAULT_WAIT))
    add_as_arg(p)
    p.set_defaults(handler=run_pay)

    r = sub.add_parser("reconcile", help=tr("проверить в банке все незавершённые оплаты картой и зачислить "
                                            "оплаченные"))
    add_db_arg(r)
    add_as_arg(r)
    r.set_defaults(handler=run_reconcile)

    f = sub.add_parser("refund-card", help=tr("возврат оплаты картой через банк (полный или частичный)"))
    add_db_arg(f)
    f.add_argument("payment", metavar=tr("НОМЕР_ПЛАТЕЖА"), help=tr("номер платежа, например P-000000123"))
    f.add_argument("--amount", metavar=tr("РУБ"), help=tr("сумма возврата (по умолчанию — весь остаток)"))
    f.add_argument("--reason", required=True, metavar=tr("ТЕКСТ"), help=tr("причина возврата"))
    add_as_arg(f)
    f.set_defaults(handler=run_refund)


def _poll_secs() -> float:
    try:
        return max(0.05, float(os.environ.get("CASHIER_CARD_POLL_SECS", "2")))
    except ValueError:
        return 2.0


def run_pay(args: argparse.Namespace) -> int:
    from cashier_app.services import card_payments, card_pending

    if args.wait < 0:
        raise ValidationError("--wait", tr("не может быть отрицательным"))
    amount = None
    if args.amount is not None:
        amount = parse_amount(args.amount, "--amount")
    elif args.account is not None:
        raise ValidationError("--amount", tr("укажите сумму в рублях"))
    contact = receipt_contact(args)  # kept on the payment: the receipt is made when the bank says «paid»
    db = open_db(args)
    ctx = cli_context(db, args.login)
    started = card_pending.start_or_reuse(ctx, account=args.account, booking=args.booking, amount_minor=amount,
                                          provider=args.provider, new=args.new, receipt_contact=contact,
                                          receipt_paperless=args.paperless)
    order = started.order
    for number in started.cancelled:
        print(tr("Первый заказ {number} отменён в банке: его ссылка больше не работает.", number=number), file=sys.stderr, flush=True)
    if started.reused:
        return _print_reused(order)
    print(order.order_number, flush=True)
    print(order.payment_url or "", flush=True)
    print(f"{order.target}: {format_money(order.amount_minor)}, {order.payee_name}; {order.status_text}",
          file=sys.stderr, flush=True)
    if order.recovery:
        # A lost register answer: what was done about it (recovered, replaced by a new order, kept).
        print(order.recovery, file=sys.stderr, flush=True)
    link_shown, recovery = bool(order.payment_url), order.recovery
    if order.payment_url and not args.no_browser:
        import webbrowser

        webbrowser.open(order.payment_url)
    deadline = time.monotonic() + args.wait
    interval = _poll_secs()
    while not order.final and not order.manual and time.monotonic() < deadline:
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        order = card_payments.check(ctx, order.order_number, allow_register=True)
        if order.payment_url and not link_shown:
            # The bank answered late: the second line was empty, so the link goes here.
            link_shown = True
            print(tr("Заказ {order_number} зарегистрирован, ссылка на оплату: {payment_url}",
                     order_number=order.order_number, payment_url=order.payment_url),
                  file=sys.stderr, flush=True)
    print_json({**order.as_json(), "recovery": recovery, "reused": False, "fiscal": _fiscal(ctx, order),
                "billing": _billing(ctx, order)})
    sys.stdout.flush()
    if order.paid:
        return EXIT_PAID
    return EXIT_NOT_PAID if order.final else EXIT_STILL_PENDING


def _fiscal(ctx, order):  # type: ignore[no-untyped-def]
    """The paid order's receipt, sent now if the settle left it unfinished (asked first, never twice)."""
    if not order.paid:
        return None
    from cashier_app.services.fiscal_delivery import deliver_after_commit

    return fiscal_json(deliver_after_commit(ctx, order.payment_id))


def _billing(ctx, order):  # type: ignore[no-untyped-def]
    """The paid order's delivery to the payee's billing, sent now (short timeout; never fails the command)."""
    if not order.paid:
        return None
    from cashier_app.commands.billing import delivery_json
    from cashier_app.services.billing.delivery import deliver_after_commit

    return delivery_json(deliver_after_commit(ctx.db, order.payment_id))


def _print_reused(order) -> int:  # type: ignore[no-untyped-def]
    """The target's unfinished order instead of a second one: its number and link, exit 0."""
    print(order.order_number, flush=True)
    print(order.payment_url or "", flush=True)
    print(tr("{target}: уже есть неоплаченный заказ {order_number} на {amount} ({status_text}). Новый заказ "
             "не создан — дайте покупателю эту ссылку; чтобы отменить его в банке и создать новый, "
             "повторите с --new.", target=order.target, order_number=order.order_number,
             amount=format_money(order.amount_minor), status_text=order.status_text), file=sys.stderr, flush=True)
    print_json({**order.as_json(), "reused": True})
    return EXIT_PAID


def run_reconcile(args: argparse.Namespace) -> int:
    from cashier_app.services import card_payments

    db = open_db(args)
    ctx = cli_context(db, args.login)
    lines = card_payments.reconcile(ctx)
    for line in lines:
        if line.after is None:
            print(tr("{order_number}: {before} → не проверен: {note}", order_number=line.order_number,
                     before=line.before, note=line.note))
        else:
            print(f"{line.order_number}: {line.before} → {line.after.state} ({line.after.status_text})")
    settled = sum(1 for line in lines if line.after is not None and line.after.final)
    waiting = sum(1 for line in lines if line.after is not None and not line.after.final)
    print(tr("Проверено заказов: {n}, завершено: {settled}, ждут оплаты: {waiting}", n=len(lines), settled=settled,
             waiting=waiting))
    return 0


def run_refund(args: argparse.Namespace) -> int:
    from cashier_app.services import card_payments

    amount = parse_amount(args.amount, "--amount") if args.amount is not None else None
    db = open_db(args)
    ctx = cli_context(db, args.login)
    result = card_payments.refund(ctx, args.payment, amount_minor=amount, reason=args.reason)
    print_json({"payment": result.original_number, "refund_entry": result.entry_number,
                "amount_minor": result.amount_minor})
    return 0
