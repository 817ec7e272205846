"""Registering a card order at its bank and settling what the bank says: credit exactly once.

The steps of the flow in ``card_payments`` (1. is ``card_open``):

2. :func:`register` calls Register/Init with the identity.  A lost answer
   (timeout, dropped connection, 5xx, broken JSON) is recovered by order
   number, a duplicate refusal the same way — but the bank's order is adopted
   only if it is provably ours (identity and amount); a stranger's is never
   credited or touched, ours takes a new number.  ``card_recovery.start_order``
   then settles a lost link.  A network error never marks anything failed.
3. :func:`check` polls the bank once and settles: paid → credit (one
   transaction, guarded by a conditional state change, and only if the bank's
   amount is ours; a mismatch is ``held``), declined / expired → marked with
   the bank's reason in plain Russian.
4. :func:`cancel` (before payment) and :func:`confirm_manual` (ChronoPay: from
   the bank statement).  Refunds are ``card_refunds``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cashier_app.domain.card_order_states import ACTIVE_STATES, Action, settle_step
from cashier_app.domain.errors import RuleViolation, UserError, ValidationError
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit, bank_receipts, card_identity, ledger
from cashier_app.services.card_gateway import PAY_WINDOW_SECS, _client, _Row, crash_point
from cashier_app.services.card_orders import (
    LOST_LINK_TEXT,
    STATE_TEXT,
    CardOrder,
    _get_by_id,
    _load,
    get,
)
from cashier_app.services.context import DeskContext
from cashier_app.services.fiscal_delivery import deliver_after_commit
from cashier_app.services.gateways.base import (
    GatewayClient,
    GatewayNetworkError,
    GatewayRejected,
    OrderStatus,
)
from cashier_app.services.gateways.config import return_url_for
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

# A ``new`` order the bank does not know is left alone this long: its register may still be in flight.
REGISTER_GRACE_SECS = 120
REF_FIELD = N_("Номер операции по выписке")
# Stored as the payment's reason (Russian); card_orders.shown() translates them for the screen.
NOT_AT_BANK = N_("заказ не дошёл до банка")
CANCELLED_BY_CASHIER = N_("отменено кассиром до оплаты")


# --- 2. register / recover ------------------------------------------------------------------------------

def _description(s: Session, payment_id: int) -> str:
    p = s.get(m.Payment, payment_id)
    assert p is not None
    if p.account_id is not None:
        number = s.execute(select(m.Account.number).where(m.Account.id == p.account_id)).scalar_one()
        return f"Л/с {number}"  # i18n: data
    number = s.execute(select(m.Booking.number).where(m.Booking.id == p.booking_id)).scalar_one()
    return f"Заявка {number}"  # i18n: data


def _note(ctx: DeskContext, row: _Row, message: str, *, now: datetime | None = None) -> None:
    """Remember why the last check failed (shown in the dialog); never changes the state."""
    with ctx.db.uow() as uow:
        uow.session.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id)
            .values(last_error=message[:255], checks=m.GatewayOrder.checks + 1,
                    updated_at=now or datetime.now(UTC))
            .execution_options(synchronize_session=False))
        uow.commit()


def _store_registered(ctx: DeskContext, row: _Row, bank_order_id: str | None, url: str | None,
                      note: str | None = None) -> None:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"state": "registered", "bank_order_id": bank_order_id, "updated_at": now,
                              "last_error": note}
    if url:
        values["payment_url"] = url[:512]
    with ctx.db.uow() as uow:
        uow.session.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "new")
            .values(**values).execution_options(synchronize_session=False))
        uow.commit()


def register(ctx: DeskContext, order_number: str, *, renumbers_left: int = 1) -> CardOrder:
    """Register/Init the order at its bank (once); a lost answer is recovered by order number.

    A duplicate refusal whose order at the bank is not ours (``card_identity.stranger_reason``)
    gives our order a new number and registers it again (``renumbers_left`` times).
    """
    require(ctx, "card_payment")
    row = _load(ctx, order_number)
    if row.state != "new":
        return get(ctx, order_number)
    client = _client(row)
    if row.provider == "chronopay":
        # The signed link is the order: nothing to send, nothing that can be lost.
        created = client.create_order(row.order_number, row.amount_minor, "")
        with ctx.db.uow() as uow:
            uow.session.execute(
                update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "new")
                .values(state="manual", payment_url=(created.payment_url or "")[:512], updated_at=datetime.now(UTC))
                .execution_options(synchronize_session=False))
            uow.commit()
        return get(ctx, order_number)
    with ctx.db.read() as uow:
        description = _description(uow.session, row.payment_id)
        back = return_url_for(uow.session, row.payee_code)  # the office's page, not the bank's root
        # The bank's online register's sell receipt (payee card_by_bank, issue 13), else None.
        receipt = bank_receipts.for_order(uow.session, row.payment_id, row.provider)
    crash_point("before_register")
    try:
        created = client.create_order(row.order_number, row.amount_minor, description, timeout_secs=PAY_WINDOW_SECS,
                                      order_uid=row.order_uid, return_url=back, receipt=receipt)
    except GatewayRejected as exc:
        if exc.duplicate:
            log.info("card order %s: duplicate at the bank, recovering", row.order_number)
            return _recover(ctx, row, client, allow_register=False,
                            on_stranger="renumber" if renumbers_left > 0 else "keep",
                            renumbers_left=renumbers_left - 1)
        _finish(ctx, row, "declined", "declined", exc.message_ru)
        return get(ctx, order_number)
    except GatewayNetworkError as exc:
        log.warning("card order %s: register answer lost, recovering by number", row.order_number)
        _note(ctx, row, exc.message_ru)
        return _recover(ctx, row, client, allow_register=False)
    crash_point("after_register")
    _store_registered(ctx, row, created.bank_order_id, created.payment_url)
    log.info("card order %s registered", row.order_number)
    return get(ctx, order_number)


def _recover(ctx: DeskContext, row: _Row, client: GatewayClient, *, allow_register: bool,
             on_stranger: str = "cancel", renumbers_left: int = 0) -> CardOrder:
    """Look the order up by number; adopt the bank's order only when it is provably ours.

    ``on_stranger``: what becomes of our order when the bank holds someone else's under its
    number — ``renumber`` (someone is registering it now: new number, register again),
    ``cancel`` (poller, reconcile: ours never reached the bank and never can under this
    number) or ``keep`` (leave it, with the reason as a note).  The stranger is never
    credited, cancelled or otherwise touched.
    """
    try:
        found = client.find_order(row.order_number)
    except (GatewayNetworkError, GatewayRejected) as exc:
        _note(ctx, row, getattr(exc, "message_ru", str(exc)))
        return get(ctx, row.order_number)
    if found is not None:
        why = card_identity.stranger_reason(row.provider, row.order_number, row.order_uid, row.amount_minor,
                                            found.amount_kopecks, found.order_uid)
        if why is not None:
            return _stranger(ctx, row, why, on_stranger, renumbers_left)
        _store_registered(ctx, row, found.bank_order_id, found.payment_url,
                          note=None if found.payment_url else LOST_LINK_TEXT)
        return check(ctx, row.order_number)
    if allow_register:
        return register(ctx, row.order_number)
    age = (datetime.now(UTC) - row.created_at).total_seconds()
    if age > REGISTER_GRACE_SECS:
        # The bank never got it and nobody is at the counter with this order: close it, no money moved.
        _finish(ctx, row, "cancelled", "cancelled", NOT_AT_BANK)
    return get(ctx, row.order_number)


def _stranger(ctx: DeskContext, row: _Row, why: str, on_stranger: str, renumbers_left: int) -> CardOrder:
    log.warning("card order %s: the bank's order under this number is not ours (%s)", row.order_number, why)
    if on_stranger == "renumber":
        new_number = card_identity.renumber(ctx, row.order_id, row.order_number, why)
        if new_number is not None:
            log.info("card order %s renumbered %s", row.order_number, new_number)
            return register(ctx, new_number, renumbers_left=renumbers_left)
        return _get_by_id(ctx, row.order_id)  # another desk renumbered or registered it meanwhile
    if on_stranger == "cancel" and row.order_uid is None:
        # An order from before identities: the bank's order may be ours or not — a human decides.
        _finish(ctx, row, "held", "held", f"под номером заказа в банке есть заказ, но {why}; не зачислен — "  # i18n: data
                                          "проверьте заказ в личном кабинете банка")
    elif on_stranger == "cancel":
        _finish(ctx, row, "cancelled", "cancelled", f"заказ не зарегистрирован: под его номером в банке "  # i18n: data
                                                    f"другой заказ ({why}); деньги не списывались")
    else:
        _note(ctx, row, f"под номером заказа в банке другой заказ: {why}")  # i18n: data
    return _get_by_id(ctx, row.order_id)


# --- 3. status and settlement ------------------------------------------------------------------------------

def check(ctx: DeskContext, order_number: str, *, allow_register: bool = False) -> CardOrder:
    """Ask the bank once and settle; network trouble only leaves a note, never a failure."""
    row = _load(ctx, order_number)
    if row.state not in ACTIVE_STATES:
        return get(ctx, order_number)
    client = _client(row)
    if row.state == "new":
        # Someone at the counter (allow_register) gets a new number when a stranger holds ours.
        return _recover(ctx, row, client, allow_register=allow_register,
                        on_stranger="renumber" if allow_register else "cancel", renumbers_left=1)
    try:
        st = client.status(row.order_number, row.bank_order_id)
    except (GatewayNetworkError, GatewayRejected) as exc:
        log.warning("card order %s: status not read: %s", row.order_number, type(exc).__name__)
        _note(ctx, row, getattr(exc, "message_ru", str(exc)))
        return get(ctx, order_number)
    return _settle(ctx, row, st)


def _finish(ctx: DeskContext, row: _Row, state: str, payment_status: str, reason: str | None,
            st: OrderStatus | None = None) -> bool:
    """A final state that moves no money; False if another desk settled the order first."""
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder)
            .where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state.in_(ACTIVE_STATES))
            .values(state=state, updated_at=now, last_error=None,
                    bank_amount_minor=st.amount_kopecks if st else None,
                    card_mask=st.card_mask if st else None)
            .execution_options(synchronize_session=False)).rowcount
        if flipped != 1:
            return False
        ledger.mark(s, row.payment_id, payment_status, reason=reason)
        audit.record(s, ctx, f"card.{state}", "payment", row.payment_number, {"state": row.state},
                     {"state": state, "order_number": row.order_number, "reason": reason,
                      "bank_amount_minor": st.amount_kopecks if st else None}, now=now)
        uow.commit()
    log.info("card order %s: %s", row.order_number, state)
    return True


def _settle(ctx: DeskContext, row: _Row, st: OrderStatus, *, cancelling: bool = False) -> CardOrder:
    """Apply what the bank said: the transition itself is ``domain.card_order_states.settle_step``."""
    step = settle_step(
        row.state, st.state, our_amount=row.amount_minor, bank_amount=st.amount_kopecks,
        bank_reason=st.reason_text_ru, cancelling=cancelling,
        # The bank echoes an identity that is not ours (Sber merchantOrderParams): never credit it.
        foreign_identity=row.order_uid is not None and st.order_uid is not None and st.order_uid != row.order_uid)
    if step.action is Action.CREDIT:
        crash_point("after_status_paid")
        _credit(ctx, row, st)
    elif step.action in (Action.HOLD, Action.MARK):
        _finish(ctx, row, step.state, step.state, step.reason, st)
    elif step.action is Action.NOTE:
        _note(ctx, row, step.reason or "")
    else:  # WAIT: still open; a registered order moves to pending when the customer is paying
        with ctx.db.uow() as uow:
            uow.session.execute(
                update(m.GatewayOrder)
                .where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state.in_(("registered", "pending")))
                .values(state=step.state, last_error=step.reason,
                        checks=m.GatewayOrder.checks + 1, updated_at=datetime.now(UTC))
                .execution_options(synchronize_session=False))
            uow.commit()
    return get(ctx, row.order_number)


def _credit(ctx: DeskContext, row: _Row, st: OrderStatus) -> bool:
    """paid → the order's state and the ledger credit change in ONE transaction, exactly once."""
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder)
            .where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state.in_(ACTIVE_STATES))
            .values(state="paid", bank_amount_minor=st.amount_kopecks, card_mask=st.card_mask,
                    bank_order_id=st.bank_order_id or row.bank_order_id, last_error=None, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if flipped != 1:
            return False  # another desk (or reconcile) got there first
        credited = ledger.credit(s, ctx, row.payment_id, now=now, transaction_ref=st.bank_order_id,
                                 card_mask=st.card_mask)
        crash_point("mid_credit")
        uow.commit()
    log.info("card order %s paid and credited=%s", row.order_number, credited)
    if credited:
        deliver_after_commit(ctx, row.payment_id)  # after the money's commit, never inside it; never raises
    return credited


# --- 4. cancel and manual confirmation ----------------------------------------------------------------------

def cancel(ctx: DeskContext, order_number: str, reason: str = CANCELLED_BY_CASHIER) -> CardOrder:
    """Cancel an unpaid order at the bank (the link stops working) and mark the payment cancelled."""
    require(ctx, "card_payment")
    row = _load(ctx, order_number)
    if row.state == "manual":
        _finish_manual(ctx, row, "cancelled", reason)
        return get(ctx, order_number)
    if row.state not in ACTIVE_STATES:
        raise RuleViolation(tr("заказ {number} уже завершён ({state})", number=order_number,
                               state=tr(STATE_TEXT.get(row.state, row.state))))
    client = _client(row)
    try:
        if row.state == "new":
            found = client.find_order(order_number)
            if found is not None and card_identity.stranger_reason(
                    row.provider, row.order_number, row.order_uid, row.amount_minor,
                    found.amount_kopecks, found.order_uid) is not None:
                found = None  # someone else's order under our number: ours never got there; theirs is left alone
            if found is None:
                _finish(ctx, row, "cancelled", "cancelled", reason)
                return get(ctx, order_number)
            _store_registered(ctx, row, found.bank_order_id, found.payment_url)
            row = _load(ctx, order_number)
        # Only an unpaid order is cancelled here: a paid one is settled (credited) and refunded separately.
        before = client.status(order_number, row.bank_order_id)
        if before.state != "pending":
            return _settle(ctx, row, before)
        st = client.cancel(order_number, row.bank_order_id, None, f"{order_number}-cancel")
    except GatewayNetworkError as exc:
        _note(ctx, row, exc.message_ru)
        after = check(ctx, order_number)
        if after.final:
            return after
        raise UserError(tr("Банк не ответил на отмену. Результат неизвестен — статус заказа проверяется, "
                           "повторите отмену через минуту.")) from None
    except GatewayRejected as exc:
        after = check(ctx, order_number)
        if after.final:
            return after
        raise RuleViolation(tr("банк не отменил заказ: {why}", why=exc.message)) from None
    return _settle(ctx, row, st, cancelling=True)


def _finish_manual(ctx: DeskContext, row: _Row, state: str, reason: str) -> None:
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "manual")
            .values(state=state, updated_at=now).execution_options(synchronize_session=False)).rowcount
        if flipped == 1:
            ledger.mark(s, row.payment_id, state, reason=reason)
            audit.record(s, ctx, f"card.{state}", "payment", row.payment_number, {"state": "manual"},
                         {"state": state, "reason": reason}, now=now)
            uow.commit()


def confirm_manual(ctx: DeskContext, order_number: str, bank_reference: str) -> CardOrder:
    """ChronoPay: a user with ``correct`` confirms the payment from the bank statement; credited once."""
    require(ctx, "correct")
    ref = (bank_reference or "").strip()
    if not ref:
        raise ValidationError(REF_FIELD, tr("укажите номер операции из выписки банка"))
    if len(ref) > 64:
        raise ValidationError(REF_FIELD, ntr("не длиннее {n} символа", "не длиннее {n} символов", 64))
    row = _load(ctx, order_number)
    if row.state != "manual":
        raise RuleViolation(tr("заказ {number} не ждёт подтверждения по выписке ({state})",
                               number=order_number, state=tr(STATE_TEXT.get(row.state, row.state))))
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "manual")
            .values(state="paid", bank_amount_minor=row.amount_minor, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if flipped == 1:
            ledger.credit(s, ctx, row.payment_id, now=now, transaction_ref=ref)
            audit.record(s, ctx, "card.confirm_manual", "payment", row.payment_number, {"state": "manual"},
                         {"state": "paid", "bank_reference": ref}, now=now)
            uow.commit()
    if flipped == 1:
        deliver_after_commit(ctx, row.payment_id)
    return get(ctx, order_number)


__all__ = ["REGISTER_GRACE_SECS", "cancel", "check", "confirm_manual", "register"]
