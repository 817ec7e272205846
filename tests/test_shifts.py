"""Shift arithmetic (float, payments, returns, cash in/out, over/short), cancels and refunds, the Z report."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.services import audit, cash, corrections, shifts
from cashier_app.storage import models as m
from tests import test_demo
from tests.test_ledger import ctx_for


def text_of(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\u00a0", " ")


def test_shift_arithmetic_with_over_and_short(fresh_db) -> None:  # type: ignore[no-untyped-def]
    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    assert shifts.proposed_float(cashier) == 0
    shifts.open_shift(cashier, 500000)
    with pytest.raises(RuleViolation, match="уже открыта"):
        shifts.open_shift(cashier, 0)
    p1 = cash.take_cash(cashier, token=cash.new_token(), amount_minor=100050, account="0000001")
    p2 = cash.take_cash(cashier, token=cash.new_token(), amount_minor=20000, account="0000002")
    shifts.cash_movement(cashier, "in", 30000, "размен из сейфа")
    shifts.cash_movement(cashier, "out", 100000, "инкассация")
    corrections.cancel_payment(manager, p2.payment_number, "не тот счёт")
    sm = shifts.current(cashier)
    assert (sm.payments_count, sm.payments_minor, sm.returns_count, sm.returns_minor) == (2, 120050, 1, -20000)
    assert sm.expected_minor == 500000 + 120050 - 20000 + 30000 - 100000 == 530050
    x = shifts.x_report(cashier)
    assert "X-ОТЧЁТ" in text_of(x.document.pdf) and shifts.current(cashier).status == "open"
    # Short by 50 kopecks: recorded, not refused.
    z = shifts.close_shift(cashier, 530000)
    assert (z.summary.expected_minor, z.summary.counted_minor, z.summary.over_short_minor) == (530050, 530000, -50)
    text = text_of(z.document.pdf)
    for needle in ("Z-ОТЧЁТ", "5 000,00", "1 200,50", "-200,00", "300,00", "1 000,00", "5 300,50", "5 300,00",
                   "Недостача", "0,50"):
        assert needle in text, needle
    with fresh_db.read() as uow:
        shift = uow.session.execute(select(m.CashShift).where(m.CashShift.number == z.summary.number)).scalar_one()
        assert shift.z_report_sha256 == z.document.sha256 and shift.status == "closed"
    assert shifts.current(cashier) is None
    # The next shift proposes the counted cash as its float; over is recorded as well.
    assert shifts.proposed_float(cashier) == 530000
    shifts.open_shift(cashier, 530000)
    z2 = shifts.close_shift(cashier, None, denominations={"100000": 5, "10000": 3, "coins": 100})
    assert z2.summary.counted_minor == 530100 and z2.summary.over_short_minor == 100
    assert "Излишек" in text_of(z2.document.pdf)
    assert p1.payment_number
    test_demo.test_balances_equal_ledger(fresh_db)
    assert audit.verify(fresh_db).ok


def test_shift_inputs_are_refused_naming_the_field(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    with pytest.raises(ValidationError) as err:
        shifts.open_shift(ctx, -1)
    assert err.value.field == "Размен"
    shifts.open_shift(ctx, 1000)
    for kwargs, field in ((dict(kind="in", amount_minor=0, reason="x"), "Сумма"),
                          (dict(kind="in", amount_minor=100, reason="  "), "Основание"),
                          (dict(kind="out", amount_minor=1001, reason="инкассация"), "Сумма"),
                          (dict(kind="sideways", amount_minor=1, reason="x"), "Операция")):
        with pytest.raises(ValidationError) as err:
            shifts.cash_movement(ctx, **kwargs)
        assert err.value.field == field, kwargs
    for counted, denoms, field in ((-1, None, "Пересчитано"), (None, None, "Пересчитано"),
                                   (None, {"300": 1}, "Номинал 300"), (None, {"5000": -1}, "Номинал 5000"),
                                   (100, {"5000": 1}, "Пересчитано")):
        with pytest.raises(ValidationError) as err:
            shifts.close_shift(ctx, counted, denominations=denoms)
        assert err.value.field == field


def test_refund_keeps_ledger_balanced_and_prints_an_application(fresh_db) -> None:  # type: ignore[no-untyped-def]
    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    shifts.open_shift(cashier, 0)
    p = cash.take_cash(cashier, token=cash.new_token(), amount_minor=300000, account="0000005")
    shifts.close_shift(cashier, 300000)
    # A closed shift: cancelling is no longer possible, a refund is.
    with pytest.raises(RuleViolation, match="той же смене"):
        corrections.cancel_payment(manager, p.payment_number, "ошибка")
    with pytest.raises(ValidationError) as err:
        corrections.refund_payment(manager, p.payment_number, "   ")
    assert err.value.field == "Причина"
    with pytest.raises(RuleViolation, match="смена не открыта"):
        corrections.refund_payment(manager, p.payment_number, "передумал")
    shifts.open_shift(manager, 50000)
    with pytest.raises(ValidationError) as err:
        corrections.refund_payment(manager, p.payment_number, "передумал", amount_minor=60000)
    assert err.value.field == "Сумма возврата"  # only 500 ₽ in this drawer
    res = corrections.refund_payment(manager, p.payment_number, "передумал", amount_minor=20000,
                                     customer="Иванов Иван Иванович")
    assert res.amount_minor == 20000
    text = text_of(res.application.pdf)
    assert "ЗАЯВЛЕНИЕ" in text and "Иванов Иван Иванович" in text and "передумал" in text and "200,00" in text
    with pytest.raises(RuleViolation, match="не больше"):
        corrections.refund_payment(manager, p.payment_number, "ещё", amount_minor=290000)
    with fresh_db.read() as uow:
        s = uow.session
        orig = s.execute(select(m.Payment).where(m.Payment.number == p.payment_number)).scalar_one()
        entries = s.execute(select(func.sum(m.Payment.amount_minor)).where(m.Payment.reverses_id == orig.id)).scalar()
        assert orig.amount_minor == 300000 and entries == -20000
    assert shifts.current(manager).expected_minor == 30000
    test_demo.test_balances_equal_ledger(fresh_db)
    assert audit.verify(fresh_db).ok


def test_card_refund_of_a_payment_taken_elsewhere_points_to_the_bank(fresh_db) -> None:  # type: ignore[no-untyped-def]
    """Demo card payments have no gateway order here: the refund is the bank's, on an application."""
    manager = ctx_for(fresh_db, "manager")
    with fresh_db.read() as uow:
        number = uow.session.execute(select(m.Payment.number).where(
            m.Payment.method == "card", m.Payment.credited.is_(True), m.Payment.entry_kind == "payment",
            m.Payment.gateway_order_number.is_(None))).scalars().first()
    assert number is not None, "the demo office has card payments taken before the program"
    with pytest.raises(RuleViolation, match="в банке по заявлению"):
        corrections.refund_payment(manager, number, "ошибка")


def test_one_open_shift_per_desk_whoever_opens_it(fresh_db) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from sqlalchemy.exc import IntegrityError

    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    first = shifts.open_shift(cashier, 0)
    with pytest.raises(RuleViolation, match=f"уже открыта смена № {first.number}"):
        shifts.open_shift(manager, 0)
    # The database refuses it too (partial unique index of migration 0002), whatever the code checks.
    with fresh_db.uow() as uow:
        uow.session.add(m.CashShift(number="S-extra", desk="desk-1", user_id=manager.user.id, status="open",
                                    opened_at=datetime.now(UTC), float_minor=0))
        with pytest.raises(IntegrityError):
            uow.session.flush()
    # A closed shift does not count; another desk is another drawer.
    shifts.close_shift(cashier, 0)
    with pytest.raises(RuleViolation, match="смена не открыта"):
        shifts.close_shift(cashier, 0)
    shifts.open_shift(manager, 0)
    shifts.open_shift(type(cashier)(fresh_db, "desk-2", cashier.user), 0)
    with fresh_db.read() as uow:
        z = uow.session.execute(select(func.count()).select_from(m.Document).where(m.Document.kind == "z_report")
                                .where(m.Document.shift_id == first.id)).scalar_one()
    assert z == 1
