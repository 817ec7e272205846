"""One unfinished card order per account or booking: reopen it, never orphan it (issue 11 §1).

F7 and ``cashier-app pay-card`` call :func:`start_or_reuse`.  When the target already
has an unfinished order (``new``, ``registered``, ``pending`` or ChronoPay's
``manual``), that order is the answer — same number, same link — so a customer
handed a link can never be handed a second one and pay twice.  A new order for
the same target is made only on request (``new=True``: «Отменить первый заказ»,
``pay-card --new``), after the first is cancelled AT THE BANK; if the bank does
not cancel it, nothing new is created.

The rule is enforced in the transaction that writes the order row
(``card_open.open_order(reuse_pending=True)`` calls ``card_open.claim_target``):
the account or booking row is locked FOR NO KEY UPDATE and the unfinished orders
are looked up under that lock.  Two desks pressing F7 for one account at once
thus meet at the database: the second waits for the first's commit and then sees
its order (PostgreSQL READ COMMITTED reads each statement afresh; SQLite's
BEGIN IMMEDIATE serialises the writers anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.services.card_open import UNFINISHED_STATES, PendingOrderExists, _unfinished_q, claim_target
from cashier_app.services.card_orders import CardOrder, _dto, get
from cashier_app.services.card_recovery import start_order
from cashier_app.services.card_settle import cancel
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import allowed, require
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

# Stored as the payment's reason (Russian); shown through the catalog by card_orders.shown().
FIRST_ORDER_REASON = N_("отменён кассиром, чтобы выставить новый заказ")


@dataclass(frozen=True, slots=True)
class Started:
    """What F7 / pay-card got: a new order, or the unfinished one reopened."""

    order: CardOrder
    reused: bool
    cancelled: list[str] = field(default_factory=list)  # first orders cancelled at the bank (``new=True``)


@dataclass(frozen=True, slots=True)
class PendingOrder:
    """A row of the «Ожидают оплаты» list."""

    order: CardOrder
    desk: str
    created_at: datetime
    expires_at: datetime | None


# --- reading ----------------------------------------------------------------------------------------------

def _target_ids(s: Session, account: str | None, booking: str | None) -> tuple[int | None, int | None]:
    from cashier_app.services import ledger

    target, _payee = ledger.find_target(s, account=account, booking=booking)
    return target.account_id, target.booking_id


def unfinished_for_target(ctx: DeskContext, *, account: str | None = None,
                          booking: str | None = None) -> list[CardOrder]:
    """Every unfinished order of the target, newest first (usually none or one)."""
    require(ctx, "card_payment")
    if (account is None) == (booking is None):
        raise ValidationError(N_("Получатель"), tr("укажите лицевой счёт или заявку"))
    with ctx.db.read() as uow:
        s = uow.session
        account_id, booking_id = _target_ids(s, account, booking)
        return [_dto(s, go) for go in s.execute(_unfinished_q(account_id, booking_id)).scalars()]


def pending_for_target(ctx: DeskContext, *, account: str | None = None,
                       booking: str | None = None) -> CardOrder | None:
    """The target's unfinished card order (the newest), or None: what F7 reopens."""
    found = unfinished_for_target(ctx, account=account, booking=booking)
    return found[0] if found else None


def office_wide(ctx: DeskContext) -> bool:
    """A manager or an administrator sees every desk's orders; a cashier his desk's."""
    return ctx.user is not None and allowed(ctx.user.role, "view_journal")


def pending_orders(ctx: DeskContext) -> list[PendingOrder]:
    """The «Ожидают оплаты» list: the desk's unfinished orders (office-wide for a manager), oldest first."""
    require(ctx, "card_payment")
    with ctx.db.read() as uow:
        s = uow.session
        q = select(m.GatewayOrder).where(m.GatewayOrder.state.in_(UNFINISHED_STATES))
        if not office_wide(ctx):
            q = q.where(m.GatewayOrder.desk == ctx.desk)
        return [PendingOrder(_dto(s, go), go.desk, go.created_at, go.expires_at)
                for go in s.execute(q.order_by(m.GatewayOrder.id)).scalars()]


# --- F7 and pay-card ----------------------------------------------------------------------------------------

def cancel_first(ctx: DeskContext, *, account: str | None = None, booking: str | None = None) -> list[str]:
    """Cancel the target's unfinished orders at the bank; refuse if any is not cancelled there."""
    done: list[str] = []
    for order in unfinished_for_target(ctx, account=account, booking=booking):
        after = cancel(ctx, order.order_number, reason=FIRST_ORDER_REASON)  # a bank refusal raises here
        if after.state != "cancelled":
            # Paid, declined or held meanwhile: the bank decided; a new order would be a guess.
            raise RuleViolation(tr("первый заказ № {number} не отменён: {status}. Новый заказ не создан",
                                   number=order.order_number, status=after.status_text))
        log.info("card order %s cancelled at the bank before a new one", order.order_number)
        done.append(order.order_number)
    return done


def start_or_reuse(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
                   amount_minor: int | None = None, provider: str | None = None, new: bool = False,
                   receipt_contact: str | None = None, receipt_paperless: bool = False) -> Started:
    """F7 / pay-card: the target's unfinished order if it has one, else a new order (registered).

    ``new=True`` first cancels the unfinished orders at the bank (:func:`cancel_first`).
    """
    cancelled = cancel_first(ctx, account=account, booking=booking) if new else []
    try:
        order = start_order(ctx, account=account, booking=booking, amount_minor=amount_minor, provider=provider,
                            reuse_pending=True, receipt_contact=receipt_contact, receipt_paperless=receipt_paperless)
    except PendingOrderExists as exc:
        log.info("card order %s reopened for its target instead of a second one", exc.order_number)
        return Started(get(ctx, exc.order_number), True, cancelled)
    return Started(order, False, cancelled)


__all__ = [
    "FIRST_ORDER_REASON", "UNFINISHED_STATES", "PendingOrder", "PendingOrderExists", "Started", "cancel_first",
    "claim_target", "office_wide", "pending_for_target", "pending_orders", "start_or_reuse",
    "unfinished_for_target",
]
