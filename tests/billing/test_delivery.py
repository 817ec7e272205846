"""The billing outbox delivered through the real OSMP client to the real emulator: both dialects × every
fault → exactly one payment in the billing (``server.payments()``) and the right state on our row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cashier_app.domain.errors import PermissionDenied, RuleViolation
from cashier_app.services import corrections
from cashier_app.services.billing import delivery
from cashier_app.services.billing.osmp import OsmpClient
from cashier_app.services.billing.osmp_types import PayAnswer
from cashier_app.storage.db import Database
from tests.billing.helpers import ctx_for, open_desk, paid_in_billing, pay, start_billing, wire
from tests.billing.helpers import delivery as row_of

DIALECTS = ("abills", "ubilling")


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_BILLING_TIMEOUTS", "1,1")


@pytest.fixture(params=DIALECTS)
def billing(request: pytest.FixtureRequest, fresh_db: Database) -> Iterator[tuple[Any, str, list[str]]]:
    srv = start_billing(request.param)
    try:
        _, numbers = wire(fresh_db, srv, request.param)
        yield srv, request.param, numbers
    finally:
        srv.stop()


def _deliver(db: Database) -> dict[str, int]:
    return delivery.deliver_due(db, timeout=1.0)


def test_plain_delivery_and_no_second_send(fresh_db: Database, billing: Any) -> None:
    srv, _, numbers = billing
    res = pay(open_desk(fresh_db), numbers[0], 12_345)
    r = row_of(fresh_db, res.payment_number)
    assert r.state == "pending" and r.txn_id.isdigit() and len(r.txn_id) == 15 and r.txn_id.endswith(
        res.payment_number[-9:])
    assert _deliver(fresh_db)["delivered"] == 1
    r = row_of(fresh_db, res.payment_number)
    assert (r.state, r.verified_by, r.attempts) == ("delivered", "answer", 1)
    (p,) = paid_in_billing(srv, r.txn_id)
    assert (p["sum_minor"], p["account"], str(p["prv_txn"])) == (12_345, numbers[0], r.prv_txn)
    assert _deliver(fresh_db)["processed"] == 0 and delivery.reconcile(fresh_db)["processed"] == 0
    assert srv.requests().get("pay") == 1


@pytest.mark.parametrize("kind,seconds", [("drop_after", None), ("timeout", 2.5)])
def test_lost_answer_is_verified_with_the_same_txn_id(fresh_db: Database, billing: Any, kind: str,
                                                      seconds: float | None) -> None:
    """The billing recorded it, we never heard: the row stays sent; reconcile sends the same txn_id."""
    srv, dialect, numbers = billing
    res = pay(open_desk(fresh_db), numbers[1], 50_000)
    srv.fault("pay", kind, seconds=seconds)
    assert _deliver(fresh_db)["sent"] == 1
    r = row_of(fresh_db, res.payment_number)
    assert r.state == "sent" and r.last_error and r.next_attempt_at is not None
    assert len(paid_in_billing(srv, r.txn_id)) == 1  # the billing has it already
    assert _deliver(fresh_db)["processed"] == 0  # back-off: not due yet
    assert delivery.reconcile(fresh_db, timeout=1.0)["delivered"] == 1
    r2 = row_of(fresh_db, res.payment_number)
    (p,) = paid_in_billing(srv, r.txn_id)
    assert r2.state == "delivered" and r2.attempts == 2 and p["sum_minor"] == 50_000
    if dialect == "abills":
        assert (r2.verified_by, r2.prv_txn) == ("repeat", str(p["prv_txn"]))
    else:
        assert r2.verified_by == "duplicate"


@pytest.mark.parametrize("kind", ["drop_before", "http500", "result=1", "result=300"])
def test_not_done_then_delivered_once(fresh_db: Database, billing: Any, kind: str) -> None:
    srv, _, numbers = billing
    res = pay(open_desk(fresh_db), numbers[2], 777)
    srv.fault("pay", kind)
    counts = _deliver(fresh_db)
    r = row_of(fresh_db, res.payment_number)
    # No answer → sent (unknown); a definite «not now» answer → pending; both with back-off.
    assert r.state == ("pending" if kind.startswith("result=") else "sent"), counts
    assert r.next_attempt_at is not None and not paid_in_billing(srv, r.txn_id)
    delivery.reconcile(fresh_db, timeout=1.0)
    r = row_of(fresh_db, res.payment_number)
    assert r.state == "delivered" and len(paid_in_billing(srv, r.txn_id)) == 1


def test_slow_billing_still_answers(fresh_db: Database, billing: Any) -> None:
    srv, _, numbers = billing
    res = pay(open_desk(fresh_db), numbers[3], 100)
    srv.fault("pay", "slow", seconds=0.3)
    assert _deliver(fresh_db)["delivered"] == 1
    assert len(paid_in_billing(srv, row_of(fresh_db, res.payment_number).txn_id)) == 1


def test_unknown_account_refused_then_retried(fresh_db: Database, billing: Any) -> None:
    srv = billing[0]
    from tests.billing.helpers import accounts, isp_payee

    stranger = accounts(fresh_db, isp_payee(fresh_db), 40)[-1]  # not loaded into the emulator
    res = pay(open_desk(fresh_db), stranger, 1_000)
    assert _deliver(fresh_db)["refused"] == 1
    r = row_of(fresh_db, res.payment_number)
    assert r.state == "refused" and r.result_code == 5 and stranger in (r.last_error or "")
    assert not paid_in_billing(srv, r.txn_id)
    pid = r.payment_id
    with pytest.raises(PermissionDenied):
        delivery.retry(ctx_for(fresh_db, "cashier"), pid)
    srv.load_accounts([{"number": stranger, "full_name": "Новый", "balance": "0", "blocked": "0"}])
    v = delivery.retry(ctx_for(fresh_db, "manager"), pid, timeout=1.0)
    assert v.state == "delivered" and v.txn_id == r.txn_id  # the same txn_id, never a new one
    assert len(paid_in_billing(srv, r.txn_id)) == 1
    with pytest.raises(RuleViolation, match="уже доставлен"):
        delivery.retry(ctx_for(fresh_db, "manager"), pid)


def test_txn_id_known_before_our_first_send_is_not_adopted(fresh_db: Database) -> None:
    """Ubilling says «duplicate» to a txn_id we never sent: not provably ours → manual."""
    srv = start_billing("ubilling")
    try:
        _, numbers = wire(fresh_db, srv, "ubilling")
        res = pay(open_desk(fresh_db), numbers[4], 2_000)
        r = row_of(fresh_db, res.payment_number)
        OsmpClient(srv.osmp_url, "ubilling").pay(txn_id=r.txn_id, account=numbers[4], sum_minor=2_000,
                                                 txn_date=r.txn_date)
        _deliver(fresh_db)
        r = row_of(fresh_db, res.payment_number)
        assert r.state == "manual" and "не наш" in (r.last_error or "")
    finally:
        srv.stop()


def test_answer_with_another_sum_is_not_adopted() -> None:
    job = delivery._Job(1, "pay", 1, "1", "000123", 500, "20260101000000", "u", "abills", "sent", 2, None, None)
    values = delivery._outcome(job, PayAnswer(result=0, prv_txn="9", sum_minor=400))
    assert values["state"] == "manual" and "не принят как наш" in values["last_error"]
    assert delivery._outcome(job, PayAnswer(result=0, prv_txn="9", sum_minor=500))["state"] == "delivered"


def test_cancel_and_refund(fresh_db: Database, billing: Any) -> None:
    """A full cancel → ``cancel`` in ABillS (the billing's payment cancelled); Ubilling has none → manual.
    A partial refund → manual in both."""
    srv, dialect, numbers = billing
    ctx = open_desk(fresh_db)
    full = pay(ctx, numbers[5], 3_000)
    part = pay(ctx, numbers[6], 4_000)
    _deliver(fresh_db)
    manager = open_desk(fresh_db, "manager", "desk-2")  # a cash refund is paid out of the manager's shift
    corrections.cancel_payment(manager, full.payment_number, "ошибка кассира")
    corrections.refund_payment(manager, part.payment_number, "частичный возврат", amount_minor=1_000)
    with fresh_db.read() as uow:
        from sqlalchemy import select

        from cashier_app.storage import models as m

        cancels = {r.cancels_id: r for r in uow.session.execute(
            select(m.BillingDelivery).where(m.BillingDelivery.operation == "cancel")).scalars()}
        uow.session.expunge_all()
    pay_full, pay_part = row_of(fresh_db, full.payment_number), row_of(fresh_db, part.payment_number)
    assert cancels[pay_part.id].state == "manual" and "вручную" in (cancels[pay_part.id].last_error or "")
    delivery.reconcile(fresh_db, timeout=1.0)
    (billed,) = paid_in_billing(srv, pay_full.txn_id)
    with fresh_db.read() as uow:
        from cashier_app.storage import models as m

        c = uow.session.get(m.BillingDelivery, cancels[pay_full.id].id)
        state = c.state
    if dialect == "abills":
        assert state == "delivered" and billed["cancelled"]
    else:
        assert state == "manual" and not billed["cancelled"]
    assert len(srv.payments()) == 2  # never a second pay
