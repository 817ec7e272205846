"""Agency commission from the database: facts for ``domain/commission`` and the quarterly report.

Payments come from the ledger (credited entries, refunds negative) in the tour
currency; EUR tours are counted in USD at the cross rate of the operator's two
internal rates on the payment day (the latest known on or before it).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cashier_app.domain.business_day import business_day
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
from cashier_app.i18n import tr
from cashier_app.services import office_time
from cashier_app.services.travel_facts import age_on
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
        raise ValidationError(field, tr("«{value}» — не квартал; пример: 2026Q4", value=text)) from exc
    return quarter


class _Rates:
    """The rate history of a few currencies, read once, asked by day (latest on or before it)."""

    def __init__(self, s: Session, currencies: set[str]) -> None:
        self._days: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        wanted = currencies | {"USD"}
        for cur, day, rate in s.execute(
            select(m.ExchangeRate.currency, m.ExchangeRate.day, m.ExchangeRate.rate)
            .where(m.ExchangeRate.currency.in_(wanted)).order_by(m.ExchangeRate.currency, m.ExchangeRate.day)
        ):
            self._days.setdefault(cur, []).append(day)
            self._rates.setdefault(cur, []).append(rate)

    def on(self, currency: str, day: date) -> Decimal | None:
        days = self._days.get(currency)
        if not days:
            return None
        i = bisect_right(days, day) - 1
        return self._rates[currency][i] if i >= 0 else None

    def usd_per_unit(self, currency: str, day: date) -> Decimal:
        if currency == "USD":
            return Decimal(1)
        own, usd = self.on(currency, day), self.on("USD", day)
        return own / usd if own is not None and usd is not None else Decimal(0)


def usd_per_unit(s: Session, currency: str, day: date) -> Decimal:
    """USD per one unit of ``currency`` on ``day`` (0 when there are no rates)."""
    return _Rates(s, {currency}).usd_per_unit(currency, day)


def _apps(s: Session, agency_id: int, quarter: Quarter, today: date) -> list[CommissionAppFacts]:
    """The agency's applications of a quarter, read in a fixed number of queries (not one per booking)."""
    start, end = quarter_bounds(quarter)
    window = and_(
        m.Booking.agency_id == agency_id, m.Booking.confirmed_on.is_not(None),
        m.Booking.confirmed_on >= start - timedelta(days=_GRACE_CALENDAR_DAYS), m.Booking.confirmed_on <= end,
    )
    rows = s.execute(
        select(m.Booking.id, m.Booking.number, m.Booking.status, m.Booking.tour_type, m.Booking.currency,
               m.Booking.price_minor, m.Booking.confirmed_on, m.Booking.departure_on)
        .where(window).order_by(m.Booking.id)
    ).all()
    if not rows:
        return []
    ids = select(m.Booking.id).where(window).scalar_subquery()
    payments: dict[int, list[tuple[date, int]]] = {}
    zone = office_time.office_zone(s)
    for bid, rate_day, settled_at, created_at, amount in s.execute(
        select(m.Payment.booking_id, m.Payment.rate_day, m.Payment.settled_at, m.Payment.created_at,
               m.Payment.target_amount_minor)
        .where(m.Payment.booking_id.in_(ids), m.Payment.credited.is_(True)).order_by(m.Payment.id)
    ):
        # The same business day as travel_facts.booking_payments: the rate day, else the settlement date.
        payments.setdefault(bid, []).append((rate_day or business_day(settled_at or created_at, zone), int(amount or 0)))
    tourists: dict[int, list[date | None]] = {}
    for bid, birth in s.execute(select(m.Tourist.booking_id, m.Tourist.birth_date).where(m.Tourist.booking_id.in_(ids))):
        tourists.setdefault(bid, []).append(birth)
    rates = _Rates(s, {r.currency for r in rows})
    out = []
    for r in rows:
        births = tourists.get(r.id, [])
        children = sum(1 for b in births if (age := age_on(b, r.departure_on)) is not None and age < 12)
        out.append(CommissionAppFacts(
            number=r.number, status=BookingStatus(r.status), tour_type=TourType(r.tour_type), currency=r.currency,
            price_minor=r.price_minor, payments=tuple(payments.get(r.id, ())), confirmed_on=r.confirmed_on,
            tourists=max(len(births), 1), children_under_12=min(children, max(len(births), 1)),
            single_service=r.tour_type == TourType.HOTEL_ONLY.value,
            usd_per_unit=rates.usd_per_unit(r.currency, r.confirmed_on or today),
        ))
    return out


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
    today = today or office_time.today(db)
    as_of = min(max(today, start), end)
    with db.read() as uow:
        s = uow.session
        stmt = select(m.Agency).order_by(m.Agency.id)
        if agency_id is not None:
            stmt = stmt.where(m.Agency.id == agency_id)
        agencies = s.execute(stmt).scalars().all()
        if agency_id is not None and not agencies:
            raise NotFound(tr("Агентство {id} не найдено.", id=agency_id))
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
    return tr("Комиссия агентств, {quarter}", quarter=quarter_label(quarter))
