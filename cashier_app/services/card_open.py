"""Opening a card order: the ledger row first, the bank second (issue 5), one unfinished order per target.

1. :func:`open_order` writes a pending ``card`` payment and a ``gateway_orders``
   row in state ``new`` with a random identity and an order number a restored
   or copied database cannot repeat (``CA-<installation>-<counter>-<token>``,
   ``card_identity.py``) and COMMITS, before the bank is called.  A crash after
   this point leaves a row that ``card_payments.reconcile`` finds.

One unfinished order per account or booking (issue 11 §1, ``card_pending``) is
enforced here, in the transaction that writes the order row
(``open_order(reuse_pending=True)`` calls :func:`claim_target`): the account or
booking row is locked FOR NO KEY UPDATE and the unfinished orders are looked up
under that lock.  Two desks pressing F7 for one account at once thus meet at the
database: the second waits for the first's commit and then sees its order
(PostgreSQL READ COMMITTED reads each statement afresh; SQLite's BEGIN IMMEDIATE
serialises the writers anyway).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.domain.money import check_amount
from cashier_app.i18n import N_, tr
from cashier_app.services import audit, bank_receipts, card_identity, fiscal_settings, fiscal_shifts, ledger
from cashier_app.services.card_gateway import PAY_WINDOW_SECS, _provider_for
from cashier_app.services.card_orders import CardOrder, _dto
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

if TYPE_CHECKING:
    from cashier_app.services.ledger import Target

log = logging.getLogger(__name__)

# Orders a customer may still pay (or has paid and a human must confirm): a second link must not exist.
UNFINISHED_STATES = ("new", "registered", "pending", "manual")
AMOUNT_FIELD = N_("Сумма")


class PendingOrderExists(RuleViolation):
    """The target has an unfinished order; raised inside ``open_order`` before anything is written."""

    def __init__(self, order_number: str) -> None:
        super().__init__(tr("для этого счёта (заявки) уже есть неоплаченный заказ № {number}: "
                            "откройте его или сначала отмените", number=order_number))
        self.order_number = order_number


# --- inside the order's transaction -------------------------------------------------------------------

def _unfinished_q(account_id: int | None, booking_id: int | None):  # type: ignore[no-untyped-def]
    q = (select(m.GatewayOrder).join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
         .where(m.GatewayOrder.state.in_(UNFINISHED_STATES)))
    q = q.where(m.Payment.account_id == account_id) if account_id is not None else q.where(
        m.Payment.booking_id == booking_id)
    return q.order_by(m.GatewayOrder.id.desc())


def claim_target(s: Session, target: Target) -> None:
    """Lock the target row and refuse (``PendingOrderExists``) when it has an unfinished order.

    Called by ``open_order`` before it writes anything, in the same transaction.
    """
    if target.account_id is not None:
        s.execute(select(m.Account.id).where(m.Account.id == target.account_id).with_for_update(key_share=True))
    else:
        s.execute(select(m.Booking.id).where(m.Booking.id == target.booking_id).with_for_update(key_share=True))
    existing = s.execute(_unfinished_q(target.account_id, target.booking_id).limit(1)
                         .execution_options(populate_existing=True)).scalars().first()
    if existing is not None:
        raise PendingOrderExists(existing.order_number)


# --- the receipt's contact -------------------------------------------------------------------------------

def _receipt_contact(contact: str | None, paperless: bool) -> str | None:
    if contact is None or not str(contact).strip():
        if paperless:
            raise ValidationError(fr.CONTACT_FIELD, tr("нужен для чека без печати: чек уйдёт покупателю"))
        return None
    return fr.check_contact(contact)


def _check_bank_receipt(s: Session, payee_id: int, provider: str, contact: str | None) -> None:
    """The bank's online register sends the receipt somewhere: the buyer's contact or the company e-mail."""
    if contact or provider not in bank_receipts.BANK_REGISTER_PROVIDERS:
        return
    rules = fiscal_settings.get_rules(s, payee_id)
    if rules is not None and rules.card_by_bank and not rules.company_email:
        raise ValidationError(fr.CONTACT_FIELD, tr("онлайн-касса банка отправляет чек покупателю: укажите его "
                                                       "телефон или e-mail (или e-mail организации в настройках ККТ)"))


# --- 1. the row before the bank ----------------------------------------------------------------------------

_check_rub = check_amount  # the one amount check (domain.money), under the name open_order calls


def open_order(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
               amount_minor: int | None = None, provider: str | None = None,
               now: datetime | None = None, reuse_pending: bool = False,
               receipt_contact: str | None = None, receipt_paperless: bool = False) -> CardOrder:
    """Write the payment and the order (state ``new``) and commit, before any bank call.

    ``reuse_pending=True`` (F7, pay-card): the target row is locked first and an unfinished
    order of the target refuses with :class:`PendingOrderExists` (issue 11 §1).

    ``amount_minor`` is rubles for an account and the tour currency for a booking
    (None = all that is due); a booking is converted at today's rate by
    ``booking_payments.quote_in`` with method ``card`` (its limit and rules).

    ``receipt_contact`` (the buyer's phone or e-mail, tag 1008) and ``receipt_paperless``
    («без печати») are kept on the payment for its fiscal receipt, made when it is credited —
    by our register or, for a payee with ``card_by_bank``, by the bank's (sent with the order).
    """
    require(ctx, "card_payment")
    if (account is None) == (booking is None):
        raise ValidationError(N_("Получатель"), tr("укажите лицевой счёт или заявку"))
    contact = _receipt_contact(receipt_contact, receipt_paperless)
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        target, payee_id = ledger.find_target(s, account=account, booking=booking)
        if reuse_pending:
            claim_target(s, target)  # locks the target row: one unfinished order per target
        payee = s.get(m.Payee, payee_id)
        assert payee is not None
        prov, _login = _provider_for(payee, provider)
        _check_bank_receipt(s, payee_id, prov, contact)
        rules = fiscal_settings.get_rules(s, payee_id)
        if rules is not None and not rules.card_by_bank:
            # Our register will make this sale's receipt: a shift past 24 h must be closed first.
            fiscal_shifts.check_can_sell(s, ctx, payee_id, now=now)
        booking_amount = None
        if booking is not None:
            from cashier_app.services.booking_payments import quote_in

            q = quote_in(s, booking, "card", amount_minor, ctx.today(), lock=True)  # due minus open orders
            booking_amount = q.booking_amount
            rub = q.total_rub_minor
        else:
            rub = _check_rub(amount_minor, tr(AMOUNT_FIELD))
        if prov == "tbank" and rub < 100:
            raise ValidationError(AMOUNT_FIELD, tr("Т-Банк принимает платёж не меньше 1,00 ₽"))
        from cashier_app.services.shifts import open_shift_row

        shift = open_shift_row(s, ctx)
        number, uid = card_identity.new_identity(s)
        p = ledger.open_payment(s, ctx, target, method="card", amount_minor=rub, payee_id=payee_id,
                                booking_amount=booking_amount, status="pending", gateway_order_number=number,
                                shift_id=shift.id if shift else None, now=now)
        p.receipt_contact, p.receipt_paperless = contact, bool(receipt_paperless)
        go = m.GatewayOrder(payment_id=p.id, provider=prov, order_number=number, order_uid=uid, state="new",
                            amount_minor=rub,
                            refunded_minor=0, checks=0, created_at=now, updated_at=now,
                            expires_at=now + timedelta(seconds=PAY_WINDOW_SECS), desk=ctx.desk)
        s.add(go)
        s.flush()
        audit.record(s, ctx, "card.order", "payment", p.number, None,
                     {"order_number": number, "order_uid": uid, "provider": prov, "amount_minor": rub,
                      "target_amount_minor": p.target_amount_minor, "target_currency": p.target_currency},
                     now=now)
        uow.commit()
        log.info("card order %s opened (%s, %s kopecks)", number, prov, rub)
        return _dto(s, go)


__all__ = ["AMOUNT_FIELD", "UNFINISHED_STATES", "PendingOrderExists", "claim_target", "open_order"]
