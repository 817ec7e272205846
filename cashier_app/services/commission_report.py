"""Agency commission from the database: facts for ``domain/commission`` and the quarterly report.

Payments come from the ledger (credited entries, refunds negative) in the tour
currency; EUR tours are counted in USD at the cross rate of the operator's two
internal rates on the payment day (the latest known on or before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cashier_app.domain.commission import (
    AgencyFacts,
    CommissionAppFacts,
    CommissionResult,
    Quarter,
    commission_percent,
    previous_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
)
from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.domain.tours import BookingStatus, TourType
from cashier_app.services.travel_facts import booking_facts, booking_payments, latest_rate
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

# Applications confirmed this long before a quarter may still count for it (3 banking days + weekend).
_GRACE_CALENDAR_DAYS = 7


@dataclass(frozen=True, slots=True)
class ReportRow:
    agency_id: int
    agency: str
    prev_tourists: int
    prev_usd_minor: int
    current_tourists: int
    current_usd_minor: int
    percent: str
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "agency_id": self.agency_id, "agency": self.agency, "prev_tourists": self.prev_tourists,
            "prev_usd_minor": self.prev_usd_minor, "current_tourists": self.current_tourists,
            "current_usd_minor": self.current_usd_minor, "percent": self.percent, "reason": self.reason,
        }


def parse_quarter(text: str, field: str = "--quarter") -> Quarter:
    """``2026Q4`` / ``2026-Q4`` / ``2026q4``."""
    raw = text.strip().upper().replace("-", "")
    try:
        year, q = raw.split("Q")
        quarter = (int(year), int(q))
        quarter_bounds(quarter)
    except ValueError as exc:
        raise ValidationError(field, f"«{text}» — не квартал; пример: 2026Q4") from exc
    return quarter


def usd_per_unit(s: Session, currency: str, day: date) -> Decimal:
    if currency == "USD":
        return Decimal(1)
    own, _ = latest_rate(s, currency, day)
    usd, _ = latest_rate(s, "USD", day)
    if own is None or usd is None:
        return Decimal(0)  # no rates at all: the application counts in tourists, not in USD
    return own / usd


def app_facts(s: Session, b: m.Booking, today: date) -> CommissionAppFacts:
    facts = booking_facts(s, b, today)
    return CommissionAppFacts(
        number=b.number, status=BookingStatus(b.status), tour_type=TourType(b.tour_type), currency=b.currency,
        price_minor=b.price_minor, payments=tuple(booking_payments(s, b.id)), confirmed_on=b.confirmed_on,
        tourists=facts.tourists, children_under_12=facts.children_under_12,
        single_service=b.tour_type == TourType.HOTEL_ONLY.value,
        usd_per_unit=usd_per_unit(s, b.currency, b.confirmed_on or today),
    )


def _apps(s: Session, agency_id: int, quarter: Quarter, today: date) -> list[CommissionAppFacts]:
    start, end = quarter_bounds(quarter)
    rows = s.execute(select(m.Booking).where(
        m.Booking.agency_id == agency_id, m.Booking.confirmed_on.is_not(None),
        m.Booking.confirmed_on >= start - timedelta(days=_GRACE_CALENDAR_DAYS), m.Booking.confirmed_on <= end,
    ).order_by(m.Booking.id)).unique().scalars().all()
    return [app_facts(s, b, today) for b in rows]


def agency_facts(s: Session, agency: m.Agency, *, before_booking: m.Booking | None = None) -> AgencyFacts:
    stmt = select(func.count()).select_from(m.Booking).where(m.Booking.agency_id == agency.id)
    if before_booking is not None:
        stmt = stmt.where(m.Booking.created_on <= before_booking.created_on, m.Booking.id != before_booking.id)
    return AgencyFacts(agency_id=str(agency.id), name=agency.name, is_network=agency.is_network,
                       contract_since=agency.registered_on, prior_applications=int(s.execute(stmt).scalar_one()))


def booking_commission(s: Session, b: m.Booking, today: date) -> CommissionResult | None:
    """The agency's percent for this booking today; None for a booking without an agency."""
    if b.agency_id is None or b.agency is None:
        return None
    current = quarter_of(today)
    prev = previous_quarter(current)
    return commission_percent(agency_facts(s, b.agency, before_booking=b), TourType(b.tour_type),
                              _apps(s, b.agency_id, prev, today), _apps(s, b.agency_id, current, today), today)


def agency_report(db: Database, quarter: Quarter, agency_id: int | None = None,
                  today: date | None = None) -> list[ReportRow]:
    """One row per agency: previous and current quarter volume, the tier for a standard package, why.

    ``as of`` is the quarter's last day, or ``today`` while the quarter runs.
    """
    start, end = quarter_bounds(quarter)
    today = today or date.today()
    as_of = min(max(today, start), end)
    with db.read() as uow:
        s = uow.session
        stmt = select(m.Agency).order_by(m.Agency.id)
        if agency_id is not None:
            stmt = stmt.where(m.Agency.id == agency_id)
        agencies = s.execute(stmt).scalars().all()
        if agency_id is not None and not agencies:
            raise NotFound(f"Агентство {agency_id} не найдено.")
        out: list[ReportRow] = []
        for a in agencies:
            facts = agency_facts(s, a)
            prev = previous_quarter(quarter)
            result = commission_percent(facts, TourType.STANDARD, _apps(s, a.id, prev, as_of),
                                        _apps(s, a.id, quarter, as_of), as_of)
            out.append(ReportRow(a.id, a.name, result.prev_tourists, result.prev_usd_minor,
                                 result.current_tourists, result.current_usd_minor,
                                 str(result.percent), result.reason_ru))
        return out


def report_title(quarter: Quarter) -> str:
    return f"Комиссия агентств, {quarter_label(quarter)}"
