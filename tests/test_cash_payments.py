"""Cash payments: validation by field, cash limit, open shift, exactly one payment per token, the slip."""

from __future__ import annotations

import io
import threading

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.domain.money import parse_amount
from cashier_app.services import audit, cash, journal, shifts
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m
from tests.test_ledger import balance, ctx_for


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def payments_with(db, token: str) -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(func.count()).select_from(m.Payment)
                                   .where(m.Payment.operation_token == token)).scalar_one()


def test_cash_payment_credits_at_once_and_prints_a_slip(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 0)
    before = balance(fresh_db, "0000001")
    res = cash.take_cash(ctx, token=cash.new_token(), amount_minor=parse_amount("1 000,50"), account="0000001",
                         received_minor=parse_amount("2 000"))
    assert (res.amount_minor, res.received_minor, res.change_minor, res.repeated) == (100050, 200000, 99950, False)
    assert balance(fresh_db, "0000001") == before + 100050
    with fresh_db.read() as uow:
        p = uow.session.get(m.Payment, res.payment_id)
        assert (p.status, p.credited, p.method) == ("paid", True, "cash") and p.shift_id is not None
    text = pdf_text(res.slip.pdf)
    for needle in ("КВИТАНЦИЯ ОБ ОПЛАТЕ", "0000001", "1 000,50", "999,50", res.payment_number, res.slip.number,
                   "Смирнова", "desk-1"):
        assert needle.replace(" ", "") in text.replace(" ", "").replace("\u00a0", ""), needle
    # Reprint from the journal is byte-identical.
    again = journal.reprint(fresh_db, ctx, res.slip.number)
    assert again.pdf == res.slip.pdf
    assert audit.verify(fresh_db).ok


def test_80mm_paper_makes_a_narrow_slip(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 0)
    res = cash.take_cash(ctx, token=cash.new_token(), amount_minor=5000, account="0000002", paper="80mm")
    page = PdfReader(io.BytesIO(res.slip.pdf)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 80


def test_wrong_amounts_are_refused_naming_the_field(fresh_db) -> None:  # type: ignore[no-untyped-def]
    for text, msg in (("-5", "отрицательной"), ("0", "больше нуля"), ("10,555", "двух знаков"),
                      ("1e9", "не сумма"), ("999 999 999 999", "слишком большая"), ("", "введите")):
        with pytest.raises(ValidationError) as err:
            parse_amount(text, "Сумма")
        assert err.value.field == "Сумма" and msg in err.value.message, text
    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 0)
    for kwargs, field in (
        (dict(amount_minor=0), "Сумма"), (dict(amount_minor=-1), "Сумма"),
        (dict(amount_minor=10**13), "Сумма"), (dict(amount_minor=1000, received_minor=999), "Получено"),
        (dict(amount_minor=1000, received_minor=0), "Получено"),
        # The demo cashier may take at most 500 000 ₽ in one cash payment.
        (dict(amount_minor=50_000_001), "Сумма"),
    ):
        with pytest.raises(ValidationError) as err:
            cash.take_cash(ctx, token=cash.new_token(), account="0000001", **kwargs)
        assert err.value.field == field, kwargs
    with pytest.raises(ValidationError, match="лимита"):
        cash.take_cash(ctx, token=cash.new_token(), account="0000001", amount_minor=50_000_001)


def test_cash_needs_an_open_shift_of_this_user_on_this_desk(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    with pytest.raises(RuleViolation, match="смена не открыта"):
        cash.take_cash(ctx, token=cash.new_token(), amount_minor=100, account="0000001")
    shifts.open_shift(ctx, 0)
    other_desk = DeskContext(fresh_db, "desk-2", ctx.user)
    with pytest.raises(RuleViolation, match="смена не открыта"):
        cash.take_cash(other_desk, token=cash.new_token(), amount_minor=100, account="0000001")


def test_same_token_twice_makes_one_payment(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 0)
    before = balance(fresh_db, "0000001")
    token = cash.new_token()
    first = cash.take_cash(ctx, token=token, amount_minor=100050, account="0000001", received_minor=200000)
    second = cash.take_cash(ctx, token=token, amount_minor=100050, account="0000001", received_minor=200000)
    assert second.repeated and not first.repeated
    assert second.payment_number == first.payment_number and second.slip.number == first.slip.number
    assert balance(fresh_db, "0000001") == before + 100050
    assert payments_with(fresh_db, token) == 1


def _race(db, n: int = 4) -> tuple[list, str]:  # type: ignore[no-untyped-def]
    ctx = ctx_for(db, "cashier")
    shifts.open_shift(ctx, 0)
    token = cash.new_token()
    barrier = threading.Barrier(n)
    results: list = []
    errors: list = []

    def pay() -> None:
        barrier.wait()
        try:
            results.append(cash.take_cash(ctx, token=token, amount_minor=7700, account="0000003"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pay) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results, token


def test_two_threads_same_token_one_payment_sqlite(fresh_db) -> None:  # type: ignore[no-untyped-def]
    before = balance(fresh_db, "0000003")
    results, token = _race(fresh_db)
    assert len({r.payment_number for r in results}) == 1
    assert sum(not r.repeated for r in results) == 1
    assert balance(fresh_db, "0000003") == before + 7700
    assert payments_with(fresh_db, token) == 1


def test_two_threads_same_token_one_payment_postgres(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services.bootstrap import open_database

    db = open_database(pg_database_factory(demo={"accounts": 50}))
    try:
        before = balance(db, "0000003")
        results, token = _race(db)
        assert len({r.payment_number for r in results}) == 1
        assert balance(db, "0000003") == before + 7700
        assert payments_with(db, token) == 1
        assert audit.verify(db).ok
    finally:
        db.dispose()


def test_booking_cash_payment_in_rubles_at_the_days_rate(fresh_db) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from cashier_app.domain.money import convert_to_rub
    from cashier_app.services.travel_facts import latest_rate

    ctx = ctx_for(fresh_db, "manager")
    with fresh_db.read() as uow:
        s = uow.session
        candidates = s.execute(select(m.Booking).where(m.Booking.status == "confirmed",
                                                       m.Booking.paid_minor < m.Booking.price_minor)).scalars().all()
    shifts.open_shift(ctx, 0)
    for b in candidates:
        try:
            q = cash.quote(ctx, booking=b.number, amount_minor=1000)
        except (RuleViolation, ValidationError):
            continue
        break
    else:  # pragma: no cover - the demo office always has one
        pytest.fail("no booking payable in cash today in the demo office")
    with fresh_db.read() as uow:
        rate, _day = latest_rate(uow.session, b.currency, ctx.today())
    assert q.rub_minor == convert_to_rub(1000, rate)
    res = cash.take_cash(ctx, token=cash.new_token(), amount_minor=1000, booking=b.number)
    assert (res.amount_minor, res.target_amount_minor, res.target_currency) == (q.rub_minor, 1000, b.currency)
    with fresh_db.read() as uow:
        assert uow.session.get(m.Booking, b.id).paid_minor == b.paid_minor + 1000
    assert "Курс" in pdf_text(res.slip.pdf)
    assert isinstance(ctx.today(), date)
