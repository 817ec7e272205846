"""One unfinished card order per account or booking (issue 11 §1): reopened, never a second link.

On the code before issue 11, F7 / ``pay-card`` for an account with a pending order
made a second order with a second link (the customer could pay twice).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cashier_app.domain.errors import RuleViolation
from cashier_app.services import card_payments, card_pending
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.test_card_helpers import Office, account_of, bank, ctx_for, office, order_state

__all__ = ["bank", "office"]
ROOT = Path(__file__).resolve().parent.parent


def _orders_of(db: Database, account: str) -> list[tuple[str, str]]:
    with db.read() as uow:
        s = uow.session
        aid = s.execute(select(m.Account.id).where(m.Account.number == account)).scalar_one()
        return [tuple(r) for r in s.execute(select(m.GatewayOrder.order_number, m.GatewayOrder.state)
                              .join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
                              .where(m.Payment.account_id == aid).order_by(m.GatewayOrder.id))]  # type: ignore[misc]


def test_second_start_reopens_the_pending_order(office: Office) -> None:
    acc = account_of(office.db, "interra")
    ctx = ctx_for(office.db)
    first = card_pending.start_or_reuse(ctx, account=acc, amount_minor=10_000)
    assert not first.reused and first.order.payment_url
    again = card_pending.start_or_reuse(ctx_for(office.db, desk="desk-2"), account=acc, amount_minor=99_900)
    assert again.reused
    assert again.order.order_number == first.order.order_number
    assert again.order.payment_url == first.order.payment_url
    assert again.order.amount_minor == 10_000  # the first order's amount, not the second request's
    assert _orders_of(office.db, acc) == [(first.order.order_number, "registered")]
    assert card_pending.pending_for_target(ctx, account=acc).order_number == first.order.order_number
    # Once it is final the target is free again.
    office.bank.pay(first.order.order_number, "sberbank")
    assert card_payments.check(ctx, first.order.order_number).paid
    assert card_pending.pending_for_target(ctx, account=acc) is None
    third = card_pending.start_or_reuse(ctx, account=acc, amount_minor=10_100)
    assert not third.reused and third.order.order_number != first.order.order_number


def test_new_cancels_the_first_at_the_bank_then_creates(office: Office) -> None:
    acc = account_of(office.db, "dem")
    ctx = ctx_for(office.db)
    first = card_pending.start_or_reuse(ctx, account=acc, amount_minor=20_000).order
    second = card_pending.start_or_reuse(ctx, account=acc, amount_minor=30_000, new=True)
    assert not second.reused and second.cancelled == [first.order_number]
    assert second.order.order_number != first.order_number and second.order.amount_minor == 30_000
    assert order_state(office.db, first.order_number)[0] == "cancelled"
    at_bank = {o["order_number"]: o["status"] for o in office.bank.orders(bank="tbank")}
    assert at_bank[first.order_number] in ("CANCELED", "REVERSED"), at_bank  # cancelled AT THE BANK


def test_new_is_refused_when_the_first_was_paid_meanwhile(office: Office) -> None:
    acc = account_of(office.db, "interra", 1)
    ctx = ctx_for(office.db)
    first = card_pending.start_or_reuse(ctx, account=acc, amount_minor=15_000).order
    office.bank.pay(first.order_number, "sberbank")
    with pytest.raises(RuleViolation, match="не отменён"):
        card_pending.start_or_reuse(ctx, account=acc, amount_minor=15_000, new=True)
    assert order_state(office.db, first.order_number) == ("paid", "paid", True)
    assert [n for n, _s in _orders_of(office.db, acc)] == [first.order_number]  # nothing new was made


def test_booking_target_is_reused_too(office: Office) -> None:
    ctx = ctx_for(office.db, "manager")
    with office.db.read() as uow:
        number = uow.session.execute(select(m.Booking.number).where(
            m.Booking.status == "confirmed", m.Booking.paid_minor < m.Booking.price_minor,
            m.Booking.currency != "RUB").order_by(m.Booking.id).limit(1)).scalar_one()
    first = card_pending.start_or_reuse(ctx, booking=number, amount_minor=10_000)
    again = card_pending.start_or_reuse(ctx, booking=number, amount_minor=5_000)
    assert again.reused and again.order.order_number == first.order.order_number


def test_pending_list_is_the_desks_and_office_wide_for_a_manager(office: Office) -> None:
    a1, a2 = account_of(office.db, "interra", 2), account_of(office.db, "interra", 3)
    o1 = card_pending.start_or_reuse(ctx_for(office.db, desk="desk-1"), account=a1, amount_minor=1_000).order
    o2 = card_pending.start_or_reuse(ctx_for(office.db, desk="desk-2"), account=a2, amount_minor=2_000).order
    mine = [p.order.order_number for p in card_pending.pending_orders(ctx_for(office.db, desk="desk-1"))]
    assert mine == [o1.order_number]
    office_wide = card_pending.pending_orders(ctx_for(office.db, "manager", desk="desk-3"))
    assert [(p.order.order_number, p.desk) for p in office_wide] == [(o1.order_number, "desk-1"),
                                                                    (o2.order_number, "desk-2")]


def _pay_card(db: Database, account: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASHIER_GW_TIMEOUTS": "1,0.5", "CASHIER_USER": "cashier", "CASHIER_PASSWORD": "cashier"}
    return subprocess.run([sys.executable, "-m", "cashier_app", "pay-card", "--account", account, "--amount",
                           "250,00", "--no-browser", "--wait", "0", "--db", str(db.engine.url), *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_pay_card_prints_the_pending_order_instead_of_a_second(office: Office) -> None:
    acc = account_of(office.db, "interra", 4)
    first = _pay_card(office.db, acc)
    assert first.returncode == 3, first.stderr  # still pending: the wait was 0
    number, url = first.stdout.splitlines()[:2]
    again = _pay_card(office.db, acc)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[:2] == [number, url]
    assert "уже есть неоплаченный заказ" in again.stderr and "--new" in again.stderr
    assert json.loads(again.stdout.splitlines()[-1])["reused"] is True
    assert [n for n, _s in _orders_of(office.db, acc)] == [number]
    fresh = _pay_card(office.db, acc, "--new")
    assert fresh.returncode == 3, fresh.stderr
    new_number, new_url = fresh.stdout.splitlines()[:2]
    assert new_number != number and new_url and new_url != url
    assert f"Первый заказ {number} отменён в банке" in fresh.stderr
    assert _orders_of(office.db, acc) == [(number, "cancelled"), (new_number, "registered")]
    with office.db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.GatewayOrder)
                                   .where(m.GatewayOrder.state.in_(card_pending.UNFINISHED_STATES))).scalar_one() == 1
