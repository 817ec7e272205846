"""Starting a card order: open, register, and settle a lost register answer before the link is shown.

What the F7 dialog and ``cashier-app pay-card`` call (``card_payments.start``).  When
the bank's answer to the register is lost, the link to the payment page is lost with
it: neither bank returns it from a look-up (Sber getOrderStatusExtended, T-Bank
CheckOrder/GetState have no formUrl/PaymentURL).  So (issue 10 §3):

* the bank has no order under our number → registered again under the same number
  and identity (the bank cannot make two of it) → the link;
* the bank has our order (its identity checked) → it is cancelled at the bank, where
  nobody can pay it any more, and a new order is opened and registered → its link;
* the cancel fails → the order stays as it is, watched like any other, and the
  cashier is told not to take payment for it.

``CardOrder.recovery`` says which of these happened, in plain Russian.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from cashier_app.domain.errors import UserError
from cashier_app.i18n import N_, tr
from cashier_app.services.card_open import open_order
from cashier_app.services.card_orders import CardOrder
from cashier_app.services.card_settle import cancel, register
from cashier_app.services.context import DeskContext

log = logging.getLogger(__name__)

# Stored as the payment's reason (Russian); shown through the catalog by card_orders.shown().
LOST_LINK_CANCEL_REASON = N_("ссылка на оплату потерялась вместе с ответом банка — заказ заменён новым")


def start_order(ctx: DeskContext, *, account: str | None, booking: str | None, amount_minor: int | None,
                provider: str | None, reuse_pending: bool = False, receipt_contact: str | None = None,
                receipt_paperless: bool = False) -> CardOrder:
    receipt = {"receipt_contact": receipt_contact, "receipt_paperless": receipt_paperless}  # issue 13
    opened = open_order(ctx, account=account, booking=booking, amount_minor=amount_minor, provider=provider,
                        reuse_pending=reuse_pending, **receipt)
    order = register(ctx, opened.order_number)
    notes: list[str] = []
    if order.order_number != opened.order_number:
        notes.append(tr("номер {old} в банке занят чужим заказом — заказу дан номер {new}",
                        old=opened.order_number, new=order.order_number))
    if order.state == "new" and order.provider != "chronopay":
        # The answer was lost and the bank shows no order under our number: once more, same number
        # and identity — the bank refuses a second order under it, and that refusal is recovered as ours.
        log.info("card order %s: not at the bank after a lost answer, registering again", order.order_number)
        order = register(ctx, order.order_number)
        if order.state == "new":
            notes.append(tr("банк не ответил на регистрацию заказа; заказ будет зарегистрирован, как только банк "
                            "ответит — ссылка на оплату появится тогда"))
        elif order.payment_url:
            notes.append(tr("ответ банка на регистрацию потерялся; заказа в банке не оказалось — "
                            "зарегистрирован повторно, ссылка получена"))
    if order.state in ("registered", "pending") and not order.payment_url and order.provider != "chronopay":
        return _replace_lost_link(ctx, order, notes, account=account, booking=booking, amount_minor=amount_minor,
                                  provider=provider, **receipt)
    return replace(order, recovery=_text(notes)) if notes else order


def _text(notes: list[str]) -> str:
    joined = "; ".join(notes)
    return joined[:1].upper() + joined[1:] + "."


def _replace_lost_link(ctx: DeskContext, order: CardOrder, notes: list[str], **target: Any) -> CardOrder:
    """Our order is at the bank, its link is not: cancel it there and register a new one."""
    old = order.order_number
    try:
        cancelled = cancel(ctx, old, reason=LOST_LINK_CANCEL_REASON)
    except UserError as exc:
        log.warning("card order %s: link lost and cancel failed: %s", old, exc)
        notes.append(tr("ответ банка на регистрацию потерялся: заказ {old} есть в банке, но ссылка на оплату не "
                        "вернулась, а отменить его не удалось ({error}). Не принимайте оплату по этому заказу — "
                        "отмените его и создайте новый", old=old, error=exc))
        return replace(order, recovery=_text(notes))
    if cancelled.state != "cancelled":
        # The bank decided it meanwhile (paid and credited, declined, expired): that is the answer.
        notes.append(tr("ответ банка на регистрацию потерялся; заказ {old} в банке: {status}",
                        old=old, status=cancelled.status_text))
        return replace(cancelled, recovery=_text(notes))
    try:
        fresh = open_order(ctx, **target)
    except UserError as exc:
        notes.append(tr("ответ банка на регистрацию потерялся: заказ {old} найден в банке без ссылки на оплату "
                        "и отменён; новый заказ не создан: {error}", old=old, error=exc))
        return replace(cancelled, recovery=_text(notes))
    fresh = register(ctx, fresh.order_number)
    notes.append(tr("ответ банка на регистрацию потерялся: заказ {old} найден в банке без ссылки на оплату и "
                    "отменён; ссылка — нового заказа {new}", old=old, new=fresh.order_number))
    if not fresh.payment_url:
        notes.append(tr("ссылка нового заказа тоже не получена ({status}) — отмените его и создайте "
                        "новый, если покупатель ещё не платил", status=fresh.status_text))
    log.info("card order %s: link lost, cancelled and replaced by %s", old, fresh.order_number)
    return replace(fresh, recovery=_text(notes))


__all__ = ["LOST_LINK_CANCEL_REASON", "start_order"]
