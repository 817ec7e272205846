"""Card orders as the counter sees them: the DTOs, their Russian state texts, and reading them.

Every stage of the card flow (``card_open``, ``card_settle``, ``card_refunds``,
``card_pending``) reads orders through this module; it calls no bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.card_order_states import ACTIVE_STATES, FINAL_STATES
from cashier_app.domain.errors import NotFound, RuleViolation
from cashier_app.i18n import N_, tr
from cashier_app.services.card_gateway import DEMO_LOGINS, _Row
from cashier_app.services.context import DeskContext
from cashier_app.services.gateways.config import normalise_provider
from cashier_app.storage import models as m

PROVIDER_LABELS = {"sberbank": N_("Сбербанк"), "tbank": N_("Т-Банк"), "chronopay": "ChronoPay"}
STATE_TEXT = {
    "new": N_("Заказ регистрируется в банке…"),
    "registered": N_("Ожидает оплаты"),
    "pending": N_("Ожидает оплаты"),
    "paid": N_("Оплачено"),
    "declined": N_("Отклонено"),
    "expired": N_("Время на оплату истекло"),
    "cancelled": N_("Отменено"),
    "held": N_("Сумма банка не совпала с заказом — платёж задержан, не зачислен"),
    "manual": N_("Подтвердите оплату по выписке банка"),
    "refunded": N_("Возвращено"),
    "partially_refunded": N_("Оплачено, частично возвращено"),
}
# A registered order whose link was lost with the bank's answer: _dto shows it, card_settle notes it.
# Stored in Russian (``last_error``, compared below); translated only where shown.
LOST_LINK_TEXT = N_("банк зарегистрировал заказ, но ссылка на оплату потерялась вместе с ответом; "
                    "отмените заказ и создайте новый, если покупатель ещё не платил")


def shown(note: str | None) -> str:
    """A stored note (Russian, as written) in the current language when the catalog knows it."""
    return tr(note) if note else (note or "")


# --- DTOs ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CardOrder:
    """What the counter shows about one card order."""

    order_number: str
    payment_id: int
    payment_number: str
    provider: str
    payee_name: str
    target: str  # «Лицевой счёт № …» / «Заявка № …»
    account_number: str | None
    booking_number: str | None
    amount_minor: int  # rubles (kopecks) the card is charged
    target_amount_minor: int | None  # booking: tour-currency amount credited
    target_currency: str | None
    state: str
    payment_status: str
    credited: bool
    payment_url: str | None
    bank_order_id: str | None
    card_mask: str | None
    status_text: str  # plain Russian for the cashier
    last_error: str | None
    refunded_minor: int
    # What start() did after a lost register answer (recovered, replaced, kept), in plain Russian.
    recovery: str | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def paid(self) -> bool:
        return self.credited and self.state in ("paid", "refunded", "partially_refunded")

    @property
    def manual(self) -> bool:
        return self.state == "manual"

    def as_json(self) -> dict[str, Any]:
        return {
            "order_number": self.order_number, "payment_number": self.payment_number,
            "provider": self.provider, "state": self.state, "payment_status": self.payment_status,
            "credited": self.credited, "amount_minor": self.amount_minor,
            "target_amount_minor": self.target_amount_minor, "target_currency": self.target_currency,
            "card_mask": self.card_mask, "status": self.status_text, "last_error": self.last_error,
            "refunded_minor": self.refunded_minor, "payment_url": self.payment_url, "recovery": self.recovery,
        }


@dataclass(frozen=True, slots=True)
class ReconcileLine:
    order_number: str
    before: str
    after: CardOrder | None
    note: str | None = None

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after.state != self.before


# --- reading ---------------------------------------------------------------------------------------------

def _order_row(s: Session, order_number: str) -> m.GatewayOrder:
    go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.order_number == order_number)).scalar_one_or_none()
    if go is None:
        raise NotFound(tr("Заказ оплаты картой № {number} не найден.", number=order_number))
    return go


def _snapshot(s: Session, go: m.GatewayOrder) -> _Row:
    p = s.get(m.Payment, go.payment_id)
    assert p is not None
    payee = s.get(m.Payee, p.payee_id) if p.payee_id else None
    if payee is None:
        raise RuleViolation(tr("у платежа {number} не указан получатель", number=p.number))
    own = normalise_provider(payee.gateway_provider) if payee.gateway_provider else None
    login = payee.gateway_login or "" if own == go.provider else DEMO_LOGINS.get(go.provider, "")
    return _Row(go.id, go.order_number, go.provider, go.state, go.bank_order_id, go.amount_minor,
                go.refunded_minor, go.created_at or datetime.now(UTC), p.id, p.number, p.credited,
                payee.code, payee.gateway_provider, payee.gateway_base_url or "", login, payee.gateway_ca_file,
                order_uid=go.order_uid, payment_url=go.payment_url)


def _dto(s: Session, go: m.GatewayOrder) -> CardOrder:
    p = s.get(m.Payment, go.payment_id, populate_existing=True)
    assert p is not None
    payee = s.get(m.Payee, p.payee_id) if p.payee_id else None
    account = booking = None
    if p.account_id is not None:
        account = s.execute(select(m.Account.number).where(m.Account.id == p.account_id)).scalar_one()
        target = tr("Лицевой счёт № {number}", number=account)
    else:
        booking = s.execute(select(m.Booking.number).where(m.Booking.id == p.booking_id)).scalar_one()
        target = tr("Заявка № {number}", number=booking)
    raw = STATE_TEXT.get(go.state, go.state)
    text = tr(raw)
    # The stored reason and last_error stay Russian in the database; the catalog shows them when it knows them.
    if go.state in ("declined", "expired", "held", "cancelled") and p.reason:
        text = f"{text}: {shown(p.reason)}" if p.reason not in raw else text
    elif go.state in ("registered", "pending") and not go.payment_url and go.provider != "chronopay":
        # Derived from the row, not from last_error: a later poll's note must not hide that the link is lost.
        text = f"{text} ({tr(LOST_LINK_TEXT)}" + (f"; {shown(go.last_error)})"
                                                 if go.last_error not in (None, LOST_LINK_TEXT) else ")")
    elif go.state in ("registered", "pending") and go.last_error:
        text = f"{text} ({shown(go.last_error)})"
    return CardOrder(
        order_number=go.order_number, payment_id=p.id, payment_number=p.number, provider=go.provider,
        payee_name=payee.name if payee else "", target=target, account_number=account, booking_number=booking,
        amount_minor=go.amount_minor, target_amount_minor=p.target_amount_minor,
        target_currency=p.target_currency, state=go.state, payment_status=p.status, credited=p.credited,
        payment_url=go.payment_url, bank_order_id=go.bank_order_id, card_mask=go.card_mask or p.card_mask,
        status_text=text, last_error=go.last_error, refunded_minor=go.refunded_minor,
    )


def get(ctx: DeskContext, order_number: str) -> CardOrder:
    with ctx.db.read() as uow:
        s = uow.session
        return _dto(s, _order_row(s, order_number))


def find_by_payment(ctx: DeskContext, payment_number: str) -> CardOrder:
    with ctx.db.read() as uow:
        s = uow.session
        go = s.execute(
            select(m.GatewayOrder).join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
            .where(m.Payment.number == payment_number)
        ).scalar_one_or_none()
        if go is None:
            raise NotFound(tr("Платёж № {number} не найден среди оплат картой.", number=payment_number))
        return _dto(s, go)


def open_orders(ctx: DeskContext, *, desk_only: bool = True) -> list[str]:
    """Order numbers still waiting for the bank (this desk's, or every desk's)."""
    with ctx.db.read() as uow:
        q = select(m.GatewayOrder.order_number).where(m.GatewayOrder.state.in_(ACTIVE_STATES))
        if desk_only:
            q = q.where(m.GatewayOrder.desk == ctx.desk)
        return list(uow.session.execute(q.order_by(m.GatewayOrder.id)).scalars())


def _load(ctx: DeskContext, order_number: str) -> _Row:
    with ctx.db.read() as uow:
        s = uow.session
        return _snapshot(s, _order_row(s, order_number))


def _get_by_id(ctx: DeskContext, order_id: int) -> CardOrder:
    with ctx.db.read() as uow:
        go = uow.session.get(m.GatewayOrder, order_id)
        assert go is not None
        return _dto(uow.session, go)


__all__ = [
    "LOST_LINK_TEXT", "PROVIDER_LABELS", "STATE_TEXT", "CardOrder", "ReconcileLine", "find_by_payment", "get",
    "open_orders",
]
