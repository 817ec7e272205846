"""Turning a tour-currency amount into what the ledger credits: rubles at the day's rate, fee, total.

The cash desk and the card flow call :func:`quote` before they open a payment;
it answers with the same availability and reasons as the booking card
(``booking_rules.payment_options``), so nothing the card greys out can be paid
through a side door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.booking_rules import AmountMode, payment_options, rub_quote
from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.money import format_money
from cashier_app.domain.tours import PAYMENT_METHOD_LABELS, PaymentMethod
from cashier_app.services.ledger import BookingAmount
from cashier_app.services.travel_facts import booking_facts, latest_rate
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

AMOUNT_FIELD = "Сумма в валюте тура"


@dataclass(frozen=True, slots=True)
class Quote:
    booking_number: str
    booking_id: int
    payee_id: int
    method: str
    currency: str
    amount_minor: int  # tour currency, credited to the booking
    rub_minor: int  # kopecks for the amount itself
    fee_percent: Decimal
    fee_rub_minor: int
    total_rub_minor: int  # what the payer hands over
    rate: Decimal
    rate_day: date
    valid_until: date | None
    note: str | None

    @property
    def booking_amount(self) -> BookingAmount:
        """The ledger's view: rubles taken (without the fee, which is not the booking's money)."""
        return BookingAmount(rub_minor=self.rub_minor, target_minor=self.amount_minor, currency=self.currency,
                             rate=self.rate, rate_day=self.rate_day)


def quote(db: Database, booking_number: str, method: str, amount_minor: int | None, today: date) -> Quote:
    with db.read() as uow:
        return quote_in(uow.session, booking_number, method, amount_minor, today)


def quote_in(s: Session, booking_number: str, method: str, amount_minor: int | None, today: date) -> Quote:
    """Same as :func:`quote` inside a caller's unit of work (so the check and the payment agree)."""
    try:
        pm = PaymentMethod(method)
    except ValueError as exc:
        raise ValidationError("Способ оплаты", f"«{method}» — неизвестный способ оплаты") from exc
    if pm is PaymentMethod.BONUSES:
        raise RuleViolation("бонусы списываются в окне «Бонусы (F8)»: они не пересчитываются в рубли")
    b = s.execute(select(m.Booking).where(m.Booking.number == booking_number)).unique().scalar_one_or_none()
    if b is None:
        raise NotFound(f"Заявка № {booking_number} не найдена.")
    facts = booking_facts(s, b, today)
    rate, rate_day = latest_rate(s, b.currency, today)
    option = next(o for o in payment_options(facts, today, rate, rate_day) if o.method is pm)
    label = PAYMENT_METHOD_LABELS[pm]
    if not option.available:
        raise RuleViolation(f"{label}: {option.reason}")
    cur = b.currency
    if amount_minor is None:
        amount = option.max_minor
    else:
        amount = amount_minor
        if amount <= 0:
            raise ValidationError(AMOUNT_FIELD, "сумма должна быть больше нуля")
        if option.amount_mode is AmountMode.FULL_ONLY and amount != option.max_minor:
            raise ValidationError(
                AMOUNT_FIELD, f"{label} — только полная оплата: {format_money(option.max_minor, cur)}")
        if amount > option.max_minor:
            raise ValidationError(AMOUNT_FIELD, f"не больше {format_money(option.max_minor, cur)}"
                                  + (f" ({option.note})" if option.note else ""))
        if amount < option.min_minor:
            raise ValidationError(AMOUNT_FIELD, f"не меньше {format_money(option.min_minor, cur)}")
    # payment_options has checked the rate is today's; RUB tours convert at 1.
    day_rate = Decimal(1) if cur == "RUB" else rate
    assert day_rate is not None
    rub, fee, total = rub_quote(amount, day_rate, option.fee_percent)
    if rub <= 0:
        raise ValidationError(AMOUNT_FIELD, "сумма в рублях меньше копейки")
    return Quote(booking_number=b.number, booking_id=b.id, payee_id=b.payee_id, method=str(pm), currency=cur,
                 amount_minor=amount, rub_minor=rub, fee_percent=option.fee_percent, fee_rub_minor=fee,
                 total_rub_minor=total, rate=day_rate, rate_day=today, valid_until=option.valid_until,
                 note=option.note)
