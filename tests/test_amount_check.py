"""One amount check (``domain.money.check_amount``), and every service says what it says (issue 11 §8)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import ABSURD_AMOUNT_MINOR, check_amount, parse_amount
from cashier_app.services import booking_payments, cash, corrections, documents, shifts
from cashier_app.storage import models as m
from tests.test_ledger import ctx_for

SERVICES = Path(__file__).resolve().parent.parent / "cashier_app" / "services"


@pytest.mark.parametrize(("value", "kw", "message"), [
    (None, {}, "введите сумму"),
    (True, {}, "целым числом копеек"),  # True is 1 to Python: not a kopeck
    (10.5, {}, "целым числом копеек"),
    (Decimal(100), {}, "целым числом копеек"),
    ("100", {}, "целым числом копеек"),
    (-1, {}, "не может быть отрицательной"),
    (0, {}, "больше нуля"),
    (ABSURD_AMOUNT_MINOR + 1, {}, "слишком большая сумма"),
    (101, {"max_minor": 100}, "слишком большая сумма: 1,01"),
])
def test_check_amount_refuses_naming_the_field(value: object, kw: dict[str, int], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        check_amount(value, "Получено", **kw)
    assert err.value.field == "Получено"


def test_check_amount_passes_whole_kopecks() -> None:
    assert check_amount(1) == 1 and check_amount(ABSURD_AMOUNT_MINOR) == ABSURD_AMOUNT_MINOR
    assert check_amount(0, allow_zero=True) == 0
    assert parse_amount("0", allow_zero=True) == 0  # parse_amount ends in the same check
    with pytest.raises(ValidationError, match="больше нуля"):
        parse_amount("0,00")


def _a_booking(db) -> str:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Booking.number).order_by(m.Booking.id)).scalars().first()


@pytest.mark.parametrize("bad", [True, 10.5, -100])
def test_every_service_refuses_a_bad_amount_the_same_way(fresh_db, bad: object) -> None:  # type: ignore[no-untyped-def]
    """Before issue 11 each had its own copy: True passed the quote, 10.5 was a TypeError in documents."""
    cashier, manager = ctx_for(fresh_db), ctx_for(fresh_db, "manager")
    booking = _a_booking(fresh_db)
    calls = {
        "cash.quote": lambda: cash.quote(cashier, account="0000001", amount_minor=bad),  # type: ignore[arg-type]
        "booking quote": lambda: booking_payments.quote(cashier, booking, "cash", bad),  # type: ignore[arg-type]
        "document": lambda: documents.issue(cashier, "pd4", account="0000001", amount_rub_minor=bad),  # type: ignore[arg-type]
        "open shift": lambda: shifts.open_shift(cashier, bad),  # type: ignore[arg-type]
        "refund": lambda: corrections.refund_payment(manager, "P-000000001", "ошибка", amount_minor=bad),  # type: ignore[arg-type]
    }
    expected = "не может быть отрицательной" if bad == -100 else "целым числом копеек"
    for name, call in calls.items():
        with pytest.raises(ValidationError, match=expected):
            call()
        assert name  # (the name shows in the traceback when one service answers otherwise)


def test_no_service_writes_its_own_amount_check() -> None:
    """The refusals' wording lives in domain.money only; a copy in a service is a second check to keep in step."""
    phrases = ("целым числом копеек", "сумма должна быть больше нуля", "сумма не может быть отрицательной")
    copies = [(str(p.relative_to(SERVICES)), ph) for p in SERVICES.rglob("*.py")
              for ph in phrases if ph in p.read_text("utf-8")]
    assert copies == []
