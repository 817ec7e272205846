"""Every injected fault at every step (register, status, refund), both banks: the payment never becomes
failed, the order is never registered twice, and it is credited (or refunded) exactly once after recovery.

The client's read timeout is 0.5 s here (``CASHIER_GW_TIMEOUTS``), the injected delay 1 s.
"""

from __future__ import annotations

import time

import pytest

from cashier_app.domain.errors import UserError
from cashier_app.services import audit, card_payments
from cashier_app.storage import models as m
from tests.test_card_helpers import (
    CREATE,
    PAYEE_OF_BANK,
    REFUND,
    STATUS,
    Office,
    account_of,
    balance,
    bank,
    credited_entries,
    ctx_for,
    office,
)

__all__ = ["bank", "office"]
BANKS = ["sberbank", "tbank"]
FAULTS = ["delay", "http500", "malformed_json", "drop_after_processing"]
AMOUNT = 70_000


def _settle_until(ctx, number: str, want: str, *, allow_register: bool = False, seconds: float = 6):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        order = card_payments.check(ctx, number, allow_register=allow_register)
        assert order.payment_status not in ("declined", "expired", "cancelled", "held"), order
        if order.state == want or time.monotonic() > deadline:
            return order
        time.sleep(0.1)


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("bank_name", BANKS)
def test_fault_at_register(office: Office, bank_name: str, kind: str) -> None:
    ctx = ctx_for(office.db)
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    before = balance(office.db, acc)
    office.bank.fault(CREATE[bank_name], kind)
    order = card_payments.start(ctx, account=acc, amount_minor=AMOUNT)
    # Never failed: registered (recovered by number) or still new (the bank has not got it yet).
    assert order.state in ("new", "registered", "pending"), order
    assert order.payment_status == "pending" and not order.credited
    order = _settle_until(ctx, order.order_number, "registered", allow_register=True)
    assert order.state in ("registered", "pending")
    time.sleep(1.1 if kind == "delay" else 0)  # let a slow first register finish at the bank
    assert len(office.bank.orders(order_number=order.order_number)) == 1
    office.bank.pay(order.order_number, bank_name)
    done = _settle_until(ctx, order.order_number, "paid")
    assert done.state == "paid" and done.credited
    card_payments.reconcile(ctx)
    assert credited_entries(office.db, order.order_number) == 1
    assert balance(office.db, acc) == before + AMOUNT


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("bank_name", BANKS)
def test_fault_at_status(office: Office, bank_name: str, kind: str) -> None:
    ctx = ctx_for(office.db)
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    before = balance(office.db, acc)
    order = card_payments.start(ctx, account=acc, amount_minor=AMOUNT)
    office.bank.pay(order.order_number, bank_name)
    office.bank.fault(STATUS[bank_name], kind)
    lost = card_payments.check(ctx, order.order_number)
    assert lost.state in ("registered", "pending") and lost.payment_status == "pending", lost
    assert lost.last_error and "Результат операции неизвестен" in lost.last_error
    assert balance(office.db, acc) == before
    done = _settle_until(ctx, order.order_number, "paid")
    assert done.credited and done.last_error is None
    card_payments.check(ctx, order.order_number)
    assert credited_entries(office.db, order.order_number) == 1
    assert balance(office.db, acc) == before + AMOUNT


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("bank_name", BANKS)
def test_fault_at_refund(office: Office, bank_name: str, kind: str) -> None:
    ctx = ctx_for(office.db)
    manager = ctx_for(office.db, "manager")
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    order = card_payments.start(ctx, account=acc, amount_minor=AMOUNT)
    office.bank.pay(order.order_number, bank_name)
    assert card_payments.check(ctx, order.order_number).credited
    paid_balance = balance(office.db, acc)
    office.bank.fault(REFUND[bank_name], kind)
    try:
        result = card_payments.refund(manager, order.payment_number, amount_minor=20_000, reason="ошибка")
    except UserError as exc:
        # Only an honest «unknown» is allowed, and nothing is recorded until the bank confirms.
        assert "неизвестен" in str(exc)
        assert balance(office.db, acc) == paid_balance
        time.sleep(1.1 if kind == "delay" else 0)
        result = card_payments.refund(manager, order.payment_number, amount_minor=20_000, reason="ошибка")
    assert result.amount_minor == 20_000
    time.sleep(1.1 if kind == "delay" else 0)  # a slow first refund lands now; it must not be a second one
    bank_order = office.bank.orders(order_number=order.order_number)[0]
    assert bank_order["refunded"] == 20_000
    with office.db.read() as uow:
        refunds = uow.session.query(m.Payment).filter(m.Payment.entry_kind == "refund",
                                                      m.Payment.account_id.is_not(None),
                                                      m.Payment.method == "card").all()
        mine = [r for r in refunds if r.reverses_id == order.payment_id]
    assert [r.amount_minor for r in mine] == [-20_000]
    assert balance(office.db, acc) == paid_balance - 20_000
    assert audit.verify(office.db).ok


def test_lost_refund_answer_is_settled_by_reconcile(office: Office) -> None:
    """Sber refund.do has no idempotency key: when neither the answer nor a status arrives, nothing is
    recorded and nothing is re-sent; ``reconcile`` later records what the bank refunded, exactly once."""
    ctx = ctx_for(office.db)
    manager = ctx_for(office.db, "manager")
    acc = account_of(office.db, PAYEE_OF_BANK["sberbank"])
    order = card_payments.start(ctx, account=acc, amount_minor=AMOUNT)
    office.bank.pay(order.order_number, "sberbank")
    assert card_payments.check(ctx, order.order_number).credited
    paid_balance = balance(office.db, acc)
    office.bank.fault(REFUND["sberbank"], "drop_after_processing")
    # The check before the refund gets through; every status after the lost answer fails.
    office.bank.fault(STATUS["sberbank"], "http500", count=1000, after=1)
    with pytest.raises(UserError, match="неизвестен"):
        card_payments.refund(manager, order.payment_number, amount_minor=20_000, reason="ошибка")
    assert balance(office.db, acc) == paid_balance  # the bank has refunded, the ledger does not know yet
    assert office.bank.orders(order_number=order.order_number)[0]["refunded"] == 20_000
    office.bank.control("reset", {})
    lines = card_payments.reconcile(ctx)
    assert any(ln.order_number == order.order_number and ln.after is not None for ln in lines)
    assert balance(office.db, acc) == paid_balance - 20_000
    card_payments.reconcile(ctx)  # a second pass finds nothing more to record
    assert balance(office.db, acc) == paid_balance - 20_000
    with office.db.read() as uow:
        mine = uow.session.query(m.Payment).filter(m.Payment.reverses_id == order.payment_id).all()
        assert [r.amount_minor for r in mine] == [-20_000]
        go = uow.session.query(m.GatewayOrder).filter(m.GatewayOrder.order_number == order.order_number).one()
        assert go.refunded_minor == 20_000 and go.last_error is None
    assert audit.verify(office.db).ok
