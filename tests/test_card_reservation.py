"""An open card order holds what it asks for: cash, bonuses and a second order take only the rest (issue 10 §2).

With no concurrency at all, a card order opened for a booking (the customer
has the link and may pay at any moment) and cash taken at the counter used to
pay the same due twice.  Here every way of paying a booking sees the order:
the booking card, the cash quote and payment, a new card order and bonus
spending; once the order is final (declined, expired, cancelled) its amount is
due again.  No bank is called: ``open_order`` writes the order before any bank call.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.domain.money import format_money
from cashier_app.services import bonuses, card_payments, cash, ledger, shifts
from cashier_app.services.cards import load_booking_card
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_bonuses_service import add_booking, ensure_rate, manager_ctx, set_balance


def _finish(db, order_number: str, state: str) -> None:  # type: ignore[no-untyped-def]
    """What ``check`` writes when the bank says the order is over (declined / expired)."""
    with db.uow() as uow:
        s = uow.session
        go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.order_number == order_number)).scalar_one()
        s.execute(update(m.GatewayOrder).where(m.GatewayOrder.id == go.id).values(state=state))
        ledger.mark(s, go.payment_id, state)
        uow.commit()


def _paid(db, number: str) -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Booking.paid_minor).where(m.Booking.number == number)).scalar_one()


def _card(db, number: str):  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return load_booking_card(uow.session, number, TODAY)


@pytest.fixture
def ctx(fresh_db):  # type: ignore[no-untyped-def]
    ensure_rate(fresh_db, TODAY)
    ctx = manager_ctx(fresh_db)
    shifts.open_shift(ctx, 0)
    return ctx


def test_open_card_order_for_the_whole_due_blocks_cash_and_a_second_order(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=220_100, paid=20_100, departure=TODAY + timedelta(days=30))
    order = card_payments.open_order(ctx, booking=number)  # all that is due: 2 000,00 USD (under the card limit)
    assert order.target_amount_minor == 200_000
    card = _card(fresh_db, number)
    assert card.due_minor == 0
    cash_line = next(x for x in card.methods if x.method == "cash")
    assert not cash_line.available and order.order_number in cash_line.reason and "ждёт оплаты картой" in cash_line.reason
    for amount in (200_000, 1):
        with pytest.raises(RuleViolation, match="ждёт оплаты картой"):
            cash.take_cash(ctx, token=cash.new_token(), amount_minor=amount, booking=number)
        with pytest.raises(RuleViolation, match="ждёт оплаты картой"):
            card_payments.open_order(ctx, booking=number, amount_minor=amount)
    assert _paid(fresh_db, number) == 20_100
    # The bank declined it: the amount is due again and cash may take it.
    _finish(fresh_db, order.order_number, "declined")
    assert _card(fresh_db, number).due_minor == 200_000
    cash.take_cash(ctx, token=cash.new_token(), amount_minor=200_000, booking=number)
    assert _paid(fresh_db, number) == 220_100


def test_a_partial_card_order_leaves_only_the_rest_for_cash(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=0)
    order = card_payments.open_order(ctx, booking=number, amount_minor=60_000)
    card = _card(fresh_db, number)
    assert card.due_minor == 40_000
    cash_line = next(x for x in card.methods if x.method == "cash")
    assert cash_line.available and cash_line.max_minor == 40_000 and order.order_number in (cash_line.note or "")
    q = cash.quote(ctx, booking=number)
    assert q.target_minor == 40_000
    with pytest.raises(ValidationError) as err:
        cash.take_cash(ctx, token=cash.new_token(), amount_minor=40_001, booking=number)
    assert err.value.field == "Сумма в валюте тура" and format_money(40_000, "USD") in err.value.message
    assert "ждут оплаты картой" in err.value.message
    cash.take_cash(ctx, token=cash.new_token(), amount_minor=40_000, booking=number)
    assert _paid(fresh_db, number) == 40_000
    # Expired without payment: its 600,00 USD are due again.
    _finish(fresh_db, order.order_number, "expired")
    assert _card(fresh_db, number).due_minor == 60_000


def test_a_card_order_respects_cash_already_taken(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=0)
    cash.take_cash(ctx, token=cash.new_token(), amount_minor=70_000, booking=number)
    with pytest.raises(ValidationError, match="не больше"):
        card_payments.open_order(ctx, booking=number, amount_minor=30_001)
    order = card_payments.open_order(ctx, booking=number)
    assert order.target_amount_minor == 30_000


def test_bonuses_cannot_cover_what_an_open_card_order_holds(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=90_000)  # 10 % cap = due = 100,00 USD
    set_balance(fresh_db, "manager", "select", 50_000)
    whole = card_payments.open_order(ctx, booking=number)
    info = bonuses.spend_info(ctx, number, TODAY)
    assert info.due_minor == 0 and info.cap_left_minor == 0
    assert any(whole.order_number in r and "ждут оплаты картой" in r for r in info.reasons), info.reasons
    with pytest.raises(RuleViolation, match="ждут оплаты картой"):
        bonuses.spend(ctx, number, {"select": 1}, TODAY)
    _finish(fresh_db, whole.order_number, "cancelled")
    order = card_payments.open_order(ctx, booking=number, amount_minor=7_000)
    info = bonuses.spend_info(ctx, number, TODAY)
    assert info.due_minor == 3_000 and info.cap_left_minor == 3_000
    assert info.accounts[0].max_by_type["select"] == 3_000
    with pytest.raises(RuleViolation, match="ждут оплаты картой") as err:
        bonuses.spend(ctx, number, {"select": 3_001}, TODAY)
    assert order.order_number in str(err.value)
    assert bonuses.spend(ctx, number, {"select": 3_000}, TODAY).paid_minor == 93_000
    assert _paid(fresh_db, number) == 93_000
