"""Internal exchange rates: set, import all-or-nothing, refusals naming the field, audit, roles."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cashier_app.domain.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from cashier_app.services import audit, booking_payments, rates
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_bonuses_service import add_booking
from tests.test_ledger import ctx_for

DAY = date(2031, 3, 2)


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_set_rate_new_then_corrected_with_audit(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "admin")
    first = rates.set_rate(ctx, "usd", "92,4567", DAY)
    assert (first.row.currency, first.row.rate, first.previous) == ("USD", Decimal("92.4567"), None)
    second = rates.set_rate(ctx, "USD", "93.1", DAY)
    assert second.previous == Decimal("92.4567") and second.row.rate == Decimal("93.1000")
    events_before = _count(fresh_db, m.AuditEvent)
    assert rates.set_rate(ctx, "USD", "93,1000", DAY).previous == Decimal("93.1000")
    assert _count(fresh_db, m.AuditEvent) == events_before  # same value: nothing to audit
    with fresh_db.read() as uow:
        ev = uow.session.execute(select(m.AuditEvent).where(m.AuditEvent.action == "rate.set")
                                 .order_by(m.AuditEvent.id.desc())).scalars().first()
        assert (ev.entity_id, ev.before, ev.after) == (f"USD:{DAY.isoformat()}", {"rate": "92.4567"}, {"rate": "93.1"})
    assert audit.verify(fresh_db).ok
    assert [r.day for r in rates.list_rates(ctx_for(fresh_db), "USD", since=DAY)] == [DAY]


@pytest.mark.parametrize(("currency", "rate", "field"), [
    ("US", "92", "Валюта"), ("RUB", "1", "Валюта"), ("usd1", "92", "Валюта"),
    ("USD", "92,45678", "Курс"), ("USD", "0", "Курс"), ("USD", "-5", "Курс"), ("USD", "", "Курс"),
    ("USD", "abc", "Курс"), ("USD", "1000000", "Курс"),
])
def test_set_rate_refusals_name_the_field(fresh_db, currency: str, rate: str, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        rates.set_rate(ctx_for(fresh_db, "admin"), currency, rate, DAY)
    assert err.value.field == field


def test_cashier_and_manager_cannot_set_rates(fresh_db) -> None:  # type: ignore[no-untyped-def]
    for role in ("cashier", "manager"):
        with pytest.raises(PermissionDenied, match="курсы валют"):
            rates.set_rate(ctx_for(fresh_db, role), "USD", "90", DAY)
        with pytest.raises(PermissionDenied):
            rates.import_csv(ctx_for(fresh_db, role), "currency,date,rate\nUSD,2031-03-02,90\n")


def test_import_semicolon_and_decimal_comma(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "admin")
    f = tmp_path / "r.csv"
    f.write_text("currency;date;rate\nUSD;2031-03-02;92,1\nEUR;02.03.2031;99.5\n\n", encoding="utf-8")
    assert rates.import_csv(ctx, f) == rates.ImportResult(2, 0, 0)
    # Comma-separated with a decimal comma in the rate; one change, one same.
    text = "currency,date,rate\nUSD,2031-03-02,92,2\nEUR,2031-03-02,99.5\nUSD,2031-03-03,92.3\n"
    assert rates.import_csv(ctx, text) == rates.ImportResult(1, 1, 1)
    f.write_bytes("currency;date;rate\nUSD;04.03.2031;92,4\n".encode("cp1251"))
    assert rates.import_csv(ctx, f).added == 1


@pytest.mark.parametrize(("text", "where"), [
    ("currency,date,rate\nUSD,2031-03-02,92.1\nEUR,2031-13-01,99\n", "Строка 3, поле date"),
    ("currency,date,rate\nUSD,2031-03-02,92.1\nEUR,2031-03-01,9x\n", "Строка 3, поле rate"),
    ("currency,date,rate\nUSD,2031-03-02,92.1\nXX,2031-03-01,9\n", "Строка 3, поле currency"),
    ("currency,date,rate\nUSD,2031-03-02,92.1\nUSD,2031-03-02,93\n", "Строка 3"),
    ("currency,date,rate\nUSD,2031-03-02\n", "Строка 2"),
    ("cur,day,value\nUSD,2031-03-02,92\n", "Строка 1"),
    ("", "Файл"),
    ("currency,date,rate\n", "Файл"),
])
def test_import_is_all_or_nothing(fresh_db, text: str, where: str) -> None:  # type: ignore[no-untyped-def]
    before = _count(fresh_db, m.ExchangeRate)
    with pytest.raises(ValidationError) as err:
        rates.import_csv(ctx_for(fresh_db, "admin"), text)
    assert err.value.field == where
    assert _count(fresh_db, m.ExchangeRate) == before


def test_quote_uses_the_day_rate_and_refuses_without_it(fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=0)
    cashier = ctx_for(fresh_db)
    with fresh_db.read() as uow:
        rate = uow.session.execute(select(m.ExchangeRate.rate).where(
            m.ExchangeRate.currency == "USD", m.ExchangeRate.day == TODAY)).scalar_one()
    q = booking_payments.quote(cashier, number, "contact", None, TODAY)
    rub = (Decimal(100_000) * Decimal(rate)).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    assert (q.amount_minor, q.rub_minor, q.rate_day) == (100_000, int(rub), TODAY)
    assert q.fee_rub_minor == int((rub / 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert q.total_rub_minor == q.rub_minor + q.fee_rub_minor
    assert q.booking_amount.target_minor == 100_000 and q.valid_until == TODAY
    assert booking_payments.quote(cashier, number, "cash", 12_345, TODAY).amount_minor == 12_345
    with pytest.raises(ValidationError, match="только полная оплата"):
        booking_payments.quote(cashier, number, "contact", 50_000, TODAY)
    with pytest.raises(ValidationError, match="не больше"):
        booking_payments.quote(cashier, number, "cash", 100_001, TODAY)
    with pytest.raises(ValidationError, match="Способ оплаты"):
        booking_payments.quote(cashier, number, "bitcoin", None, TODAY)
    with pytest.raises(RuleViolation, match="бонусы"):
        booking_payments.quote(cashier, number, "bonuses", None, TODAY)
    with pytest.raises(NotFound):
        booking_payments.quote(cashier, "nope", "cash", None, TODAY)
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(RuleViolation, match="нет курса USD"):
        booking_payments.quote(cashier, number, "cash", None, tomorrow)
    rates.set_rate(ctx_for(fresh_db, "admin"), "USD", "100", tomorrow)
    assert booking_payments.quote(cashier, number, "cash", 100, tomorrow).rub_minor == 10_000
