"""From stored bookings to the domain's ``BookingFacts``, and the day's rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cashier_app.domain.business_day import business_day
from cashier_app.domain.tours import BookingFacts, BookingStatus, TourType, milestone_date
from cashier_app.services import office_time
from cashier_app.storage import models as m

# The seed's milestones: a «sale» counts from 50 % paid, Select and spending look at 100 %.
SALE_PERCENT = 50
FULL_PERCENT = 100


def latest_rate(s: Session, currency: str, day: date) -> tuple[Decimal | None, date | None]:
    """The rate for ``day`` or, failing that, the last one before it (for the message)."""
    if currency == "RUB":
        return Decimal(1), day
    row = s.execute(
        select(m.ExchangeRate.rate, m.ExchangeRate.day)
        .where(m.ExchangeRate.currency == currency, m.ExchangeRate.day <= day)
        .order_by(m.ExchangeRate.day.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def age_on(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def bonus_spent_on(s: Session, booking_id: int) -> int:
    spent = s.execute(
        select(func.coalesce(func.sum(m.BonusTransaction.amount_minor), 0)).where(
            m.BonusTransaction.booking_id == booking_id, m.BonusTransaction.kind == "spend"
        )
    ).scalar_one()
    refunded = s.execute(
        select(func.coalesce(func.sum(m.BonusTransaction.amount_minor), 0)).where(
            m.BonusTransaction.booking_id == booking_id, m.BonusTransaction.kind == "refund"
        )
    ).scalar_one()
    return int(spent) - int(refunded)


def booking_payments(s: Session, booking_id: int) -> list[tuple[date, int]]:
    """Credited ledger entries of a booking as (business day, tour-currency amount); reversals negative.

    The business day is the rate day (the office's local date of the payment);
    entries without one fall back to the settlement date.
    """
    rows = s.execute(
        select(m.Payment.rate_day, m.Payment.settled_at, m.Payment.created_at, m.Payment.target_amount_minor)
        .where(m.Payment.booking_id == booking_id, m.Payment.credited.is_(True))
        .order_by(m.Payment.id)
    ).all()
    out: list[tuple[date, int]] = []
    zone = office_time.office_zone(s)
    for rate_day, settled_at, created_at, amount in rows:
        day = rate_day or business_day(settled_at or created_at, zone)
        out.append((day, int(amount or 0)))
    return out


def milestones(s: Session, b: m.Booking) -> tuple[date | None, date | None]:
    """(paid_50_on, fully_paid_on) from the ledger; the stored columns when the ledger has nothing."""
    payments = booking_payments(s, b.id)
    if not payments:
        half = b.first_paid_on if b.paid_minor and b.paid_minor * 2 >= b.price_minor else None
        return half, b.fully_paid_on
    half = milestone_date(b.price_minor, payments, SALE_PERCENT)
    full = milestone_date(b.price_minor, payments, FULL_PERCENT)
    # A refund that takes the total below 100 % again means it is not fully paid now.
    if b.paid_minor < b.price_minor:
        full = None
    return half, full


def booking_facts(s: Session, b: m.Booking, today: date) -> BookingFacts:
    paid_50_on, fully_paid_on = milestones(s, b)
    children = sum(1 for t in b.tourists if (age := age_on(t.birth_date, b.departure_on)) is not None and age < 12)
    return BookingFacts(
        number=b.number,
        status=BookingStatus(b.status),
        tour_type=TourType(b.tour_type),
        currency=b.currency,
        price_minor=b.price_minor,
        paid_minor=b.paid_minor,
        departure=b.departure_on,
        return_date=b.return_on,
        confirmed_on=b.confirmed_on,
        tourists=max(len(b.tourists), children, 1) if b.tourists else 1,
        children_under_12=min(children, max(len(b.tourists), 1)),
        hotel_select=b.hotel_select,
        plus_bonus_percent=b.plus_bonus_percent,
        bonus_spent_minor=bonus_spent_on(s, b.id),
        paid_50_on=paid_50_on,
        fully_paid_on=fully_paid_on,
    )
