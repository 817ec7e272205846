"""What the counter can do now, and why not (issue 12 §2): the F-keys' states and the shift indicator.

The rules are the services' own (a shift must be open for cash, a fully paid booking takes no
more, a role may not spend bonuses, no rate for today stops a foreign-currency payment): this
module asks them without moving anything, so a button is disabled exactly when pressing it
would be refused, and says the same reason the refusal would.

Each action runs the same checks, in the same order, as the service that does it
(``cash.take_cash``, ``card_open.open_order``, ``bonus_spending.spend_info``/``spend``,
``documents.document_options``) inside one read transaction; a check that raises gives the
action's reason, its text unchanged.  The tests compare each reason with the real refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.bonus_rules import spend_limits
from cashier_app.domain.errors import RuleViolation, UserError
from cashier_app.i18n import tr
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

ACTION_KEYS = ("documents", "cash", "card", "bonuses")


@dataclass(frozen=True, slots=True)
class ActionState:
    enabled: bool
    reason: str | None = None  # why not, in the user's language; None when enabled


@dataclass(frozen=True, slots=True)
class ShiftBadge:
    """The always-visible shift indicator."""

    open: bool
    number: str | None = None
    opened_at: datetime | None = None  # UTC; shown on the office's clock
    cashier: str | None = None  # full name of who opened it
    cash_on_hand_minor: int | None = None  # by the books, float + cash in − cash out


@dataclass(frozen=True, slots=True)
class CounterState:
    shift: ShiftBadge
    actions: dict[str, ActionState] = field(default_factory=dict)  # keys: ACTION_KEYS


OK = ActionState(True)


def _target(card: Any | None) -> tuple[str | None, str | None]:
    """(account, booking) number of the card shown; both None when nothing is chosen."""
    if card is None:
        return None, None
    # A BookingCard has ``departure_on``; an AccountCard ``balance_minor`` (no import of cards: it is heavy).
    if hasattr(card, "departure_on"):
        return None, str(card.number)
    return str(card.number), None


def _check(step: Callable[[], object]) -> ActionState:
    """Run a service's own checks; the first refusal is the reason, as the service words it."""
    try:
        step()
    except UserError as exc:
        return ActionState(False, str(exc))
    return OK


def _badge(s: Session, ctx: DeskContext) -> ShiftBadge:
    """The desk's open shift (whoever opened it), with the cash the books expect in the drawer."""
    shift = s.execute(select(m.CashShift).where(m.CashShift.desk == ctx.desk, m.CashShift.status == "open")
                      .order_by(m.CashShift.id).limit(1)).scalar_one_or_none()
    if shift is None:
        return ShiftBadge(open=False)
    # Imported here: shifts brings the register's client, not needed before a shift is open.
    from cashier_app.services.shifts import summarize

    sm = summarize(s, shift)  # the Z report's own arithmetic, not a second one
    opened = sm.opened_at if sm.opened_at.tzinfo else sm.opened_at.replace(tzinfo=UTC)
    return ShiftBadge(open=True, number=sm.number, opened_at=opened, cashier=sm.user_name or sm.user_login,
                      cash_on_hand_minor=sm.expected_minor)


def _account_open(s: Session, account: str) -> None:
    from cashier_app.services import ledger  # here: the start-up state (no card) does not need it

    ledger.require_account_open(s, number=account)


def _cash(s: Session, ctx: DeskContext, account: str | None, booking: str | None, today: date) -> None:
    """``cash.take_cash`` up to the write: right, open shift, register shift, due and rate, closed account."""
    from cashier_app.services import fiscal_shifts, ledger  # here: the start-up state (no card) needs neither
    from cashier_app.services.booking_payments import quote_in
    from cashier_app.services.shifts import require_open_shift

    require(ctx, "take_payment")
    require_open_shift(s, ctx)
    _target_row, payee_id = ledger.find_target(s, account=account, booking=booking)
    fiscal_shifts.check_can_sell(s, ctx, payee_id)
    if booking is not None:
        quote_in(s, booking, "cash", None, today)  # fully paid, no rate for today, cash not allowed …
    if account is not None:
        _account_open(s, account)


def _card(s: Session, ctx: DeskContext, account: str | None, booking: str | None, today: date) -> None:
    """``card_open.open_order`` up to the write (no shift needed: a card payment is not in the drawer)."""
    from cashier_app.services import (  # keyring and the gateways: on use
        fiscal_settings,
        fiscal_shifts,
        ledger,
    )
    from cashier_app.services.booking_payments import quote_in
    from cashier_app.services.card_gateway import _provider_for

    require(ctx, "card_payment")
    _target_row, payee_id = ledger.find_target(s, account=account, booking=booking)
    payee = s.get(m.Payee, payee_id)
    if payee is not None:
        _provider_for(payee, None)  # no gateway set up for the payee
    rules = fiscal_settings.get_rules(s, payee_id)
    if rules is not None and not rules.card_by_bank:
        fiscal_shifts.check_can_sell(s, ctx, payee_id)
    if booking is not None:
        quote_in(s, booking, "card", None, today)
    if account is not None:
        _account_open(s, account)


def _bonuses(s: Session, ctx: DeskContext, booking: str | None, today: date) -> None:
    """``bonus_spending.spend_info``'s reasons (the dialog opens disabled on them), plus «nothing to spend»."""
    from cashier_app.services import bonus_spending as bs
    from cashier_app.services.bonus_accounts import _balances, _load_booking, _user
    from cashier_app.services.booking_payments import card_reserved
    from cashier_app.services.travel_facts import booking_facts

    if booking is None:
        raise RuleViolation(tr("бонусы списываются только на заявку, не на лицевой счёт"))
    require(ctx, "spend_bonus")
    user = _user(s, ctx)
    b = _load_booking(s, booking)
    facts = booking_facts(s, b, today)
    limits = spend_limits(facts, {}, today)
    if limits.reasons:
        raise RuleViolation(list(limits.reasons))
    reserved, orders = card_reserved(s, b.id)
    room = max(b.price_minor - b.paid_minor - reserved, 0)
    if reserved and room == 0:
        raise RuleViolation(bs._held_text(b, reserved, orders, room))
    _rate, rate_reason = bs._rate_reason(b.currency, today, s)
    if rate_reason:
        raise RuleViolation(rate_reason)
    accounts = bs._spend_accounts(s, user)
    if not accounts:
        raise RuleViolation(tr("у вас нет бонусного счёта (ни личного, ни агентства)"))
    if not any(v > 0 for acc in accounts for v in _balances(s, acc.id, b.currency).values()):
        raise RuleViolation(tr("на бонусных счетах нет бонусов в {cur}: списывать нечего", cur=b.currency))


def counter_state(ctx: DeskContext, card: Any | None) -> CounterState:
    """The desk's shift and, for ``card`` (an AccountCard, a BookingCard or None), each action's state.

    Never raises for a user mistake or a missing right: every refusal becomes a disabled action.
    """
    account, booking = _target(card)
    today = ctx.today()
    with ctx.db.read() as uow:
        s = uow.session
        badge = _badge(s, ctx)
        if account is None and booking is None:
            none = ActionState(False, tr("Выберите лицевой счёт или заявку"))
            return CounterState(badge, {key: none for key in ACTION_KEYS})
        actions = {
            # ``documents.document_options`` checks the right to print; which kinds fit is the dialog's to say.
            "documents": _check(lambda: require(ctx, "print")),
            "cash": _check(lambda: _cash(s, ctx, account, booking, today)),
            "card": _check(lambda: _card(s, ctx, account, booking, today)),
            "bonuses": _check(lambda: _bonuses(s, ctx, booking, today)),
        }
        return CounterState(badge, actions)
