"""The ledger credits exactly once and corrects by reversing entries; the audit chain holds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from cashier_app.domain.errors import RuleViolation
from cashier_app.services import audit, ledger
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from tests.conftest import TODAY


def ctx_for(db, role: str = "cashier") -> DeskContext:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.role == role)).scalars().first()
    return DeskContext(db, "desk-1", UserInfo(u.id, u.login, u.full_name, u.role))


def balance(db, number: str) -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Account.balance_minor).where(m.Account.number == number)).scalar_one()


def test_credit_exactly_once_and_reverse(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db)
    before = balance(fresh_db, "0000001")
    with fresh_db.uow() as uow:
        target, payee = ledger.find_target(uow.session, account="0000001")
        p = ledger.open_payment(uow.session, ctx, target, method="cash", amount_minor=100050, payee_id=payee)
        assert ledger.credit(uow.session, ctx, p.id) is True
        assert ledger.credit(uow.session, ctx, p.id) is False
        uow.commit()
        pid = p.id
    assert balance(fresh_db, "0000001") == before + 100050
    with fresh_db.uow() as uow:
        with pytest.raises(RuleViolation, match="не больше"):
            ledger.add_reversal(uow.session, ctx, pid, kind="refund", amount_minor=100051, reason="ошибка")
        ledger.add_reversal(uow.session, ctx, pid, kind="refund", amount_minor=50, reason="сдача")
        ledger.add_reversal(uow.session, ctx, pid, kind="reversal", amount_minor=None, reason="не тот счёт")
        uow.commit()
    assert balance(fresh_db, "0000001") == before
    with fresh_db.read() as uow:
        s = uow.session
        entries = s.execute(select(m.Payment).where(m.Payment.reverses_id == pid)).scalars().all()
        assert sorted(e.amount_minor for e in entries) == [-100000, -50]
        assert s.get(m.Payment, pid).status == "reversed"
    assert audit.verify(fresh_db).ok


def test_booking_credit_moves_paid_amount(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "manager")
    with fresh_db.uow() as uow:
        s = uow.session
        b = s.execute(select(m.Booking).where(m.Booking.status == "confirmed", m.Booking.paid_minor == 0)).scalars().first()
        target = ledger.Target(booking_id=b.id)
        amount = ledger.BookingAmount(rub_minor=9245670, target_minor=100000, currency=b.currency,
                                      rate=Decimal("92.4567"), rate_day=TODAY)
        p = ledger.open_payment(s, ctx, target, method="cash", amount_minor=amount.rub_minor, booking_amount=amount)
        ledger.credit(s, ctx, p.id)
        uow.commit()
        bid = b.id
    with fresh_db.read() as uow:
        b = uow.session.get(m.Booking, bid)
        assert b.paid_minor == 100000 and b.first_paid_on == TODAY


def test_audit_chain_names_the_tampered_row(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db)
    with fresh_db.read() as uow:
        before = uow.session.execute(select(func.count()).select_from(m.AuditEvent)).scalar_one()
    with fresh_db.uow() as uow:
        for i in range(3):
            audit.record(uow.session, ctx, "test.event", "thing", i, {"v": i}, {"v": i + 1})
        uow.commit()
    assert audit.verify(fresh_db).ok
    with fresh_db.engine.begin() as conn:
        second = conn.execute(text("SELECT id FROM audit_events WHERE action = 'test.event' ORDER BY id "
                                   "LIMIT 1 OFFSET 1")).scalar_one()
        conn.execute(text("UPDATE audit_events SET after = :a WHERE id = :i"), {"a": '{"v": 99}', "i": second})
    result = audit.verify(fresh_db)
    assert not result.ok and result.broken_id == second
    with fresh_db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.AuditEvent)).scalar_one() == before + 3
