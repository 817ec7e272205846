"""Agency commission (discount) by quarterly volume tiers.

How the percent for a booking is chosen, in this order:

1. network agencies of the operator: fixed 9 %;
2. ticket-only tours: 5 %;
3. the first application of an agency whose contract is new this year: 6.5 %;
4. otherwise the tier table, by tourists **or** USD, whichever gives the higher
   tier; below the table 6 %.

The tier: the operator sets a starting tier at 00:00 of the quarter's first day
from the *previous* quarter's volume, and raises it daily within the quarter
as the current quarter's own volume reaches the next row.  It never lowers
within a quarter, so the percent is ``max(tier(previous quarter),
tier(current quarter up to today))``.

Counted volume: applications confirmed within the quarter (or at most three
banking days before it) whose running total of payments first reached 25 %
(or 100 % at once) within the quarter; not counted are children under 12,
ticket-only, promo, cancelled and single-service (e.g. hotel-only) applications.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cashier_app.domain.money import MINOR_PER_MAJOR, format_money
from cashier_app.domain.tours import (
    BookingStatus,
    TourType,
    format_date_ru,
    format_percent_ru,
    milestone_date,
    within_grace,
)
from cashier_app.i18n import tr

Quarter = tuple[int, int]  # (year, 1..4)

# (tourists, USD whole units, percent) — the seed's 2019 table.
DEFAULT_TIERS: tuple[tuple[int, int, Decimal], ...] = (
    (1, 1, Decimal("6.5")),
    (4, 2400, Decimal("7")),
    (6, 3600, Decimal("7.5")),
    (8, 4800, Decimal("8")),
    (12, 7800, Decimal("8.5")),
    (16, 9600, Decimal("9")),
)


@dataclass(frozen=True, slots=True)
class CommissionSettings:
    tiers: tuple[tuple[int, int, Decimal], ...] = DEFAULT_TIERS
    below_table_percent: Decimal = Decimal(6)
    ticket_only_percent: Decimal = Decimal(5)
    new_agency_first_percent: Decimal = Decimal("6.5")
    network_percent: Decimal = Decimal(9)
    prepay_percent: Decimal = Decimal(25)
    confirm_grace_banking_days: int = 3
    holidays: frozenset[date] = frozenset()
    # The seed counts standard and individual packages (SPO included); hotel-only
    # is a single-service application, ticket-only and promo are named exclusions.
    counted_types: frozenset[TourType] = frozenset(
        {TourType.STANDARD, TourType.INDIVIDUAL, TourType.FIT, TourType.DOMESTIC, TourType.GROUP}
    )
    # 0: a tier reached today applies today. The 2017 archive rule raised it the
    # next day; set 1 to get that behaviour.
    rise_delay_days: int = 0


DEFAULTS = CommissionSettings()


@dataclass(frozen=True, slots=True)
class CommissionAppFacts:
    """One application as the volume count sees it.

    ``payments`` are (day, amount) in minor units of ``currency``; refunds negative.
    ``usd_per_unit`` converts the tour currency to USD for the USD volume (1 for
    USD tours; the service supplies the operator's cross rate for EUR tours).
    """

    number: str
    status: BookingStatus
    tour_type: TourType
    currency: str
    price_minor: int
    payments: tuple[tuple[date, int], ...]
    confirmed_on: date | None
    tourists: int
    children_under_12: int = 0
    single_service: bool = False
    is_promo: bool = False
    usd_per_unit: Decimal = Decimal(1)

    def first_paid_on(self, prepay_percent: Decimal = DEFAULTS.prepay_percent) -> date | None:
        """Day payments first reached the prepayment share (a 100 % first payment reaches it too)."""
        return milestone_date(self.price_minor, self.payments, prepay_percent)


@dataclass(frozen=True, slots=True)
class AgencyFacts:
    agency_id: str
    name: str = ""
    is_network: bool = False
    contract_since: date | None = None
    # Applications the agency made before the one being priced.
    prior_applications: int = 0


@dataclass(frozen=True, slots=True)
class CommissionResult:
    percent: Decimal
    reason_ru: str
    prev_tourists: int = 0
    prev_usd_minor: int = 0
    current_tourists: int = 0
    current_usd_minor: int = 0


def quarter_of(d: date) -> Quarter:
    return d.year, (d.month - 1) // 3 + 1


def quarter_bounds(quarter: Quarter) -> tuple[date, date]:
    """(first day, last day) of the quarter, both inclusive."""
    year, q = quarter
    if q not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1..4, got {q}")
    start = date(year, 3 * q - 2, 1)
    nxt = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, nxt - timedelta(days=1)


def previous_quarter(quarter: Quarter) -> Quarter:
    year, q = quarter
    return (year - 1, 4) if q == 1 else (year, q - 1)


def quarter_label(quarter: Quarter) -> str:
    return tr("{q} кв. {year}", q=quarter[1], year=quarter[0])


def _excluded(app: CommissionAppFacts, s: CommissionSettings) -> bool:
    return (
        app.status is BookingStatus.CANCELLED
        or app.is_promo
        or app.single_service
        or app.tour_type not in s.counted_types
    )


def counts_for_quarter(
    app: CommissionAppFacts, quarter: Quarter, settings: CommissionSettings = DEFAULTS
) -> bool:
    """Does the application count towards the quarter's volume (ignoring ``as_of``)?"""
    if _excluded(app, settings):
        return False
    start, end = quarter_bounds(quarter)
    c = app.confirmed_on
    if c is None or c > end:
        return False
    if c < start and not within_grace(c, start, settings.confirm_grace_banking_days, settings.holidays):
        return False
    paid = app.first_paid_on(settings.prepay_percent)
    return paid is not None and start <= paid <= end


def volume(
    apps: Iterable[CommissionAppFacts],
    quarter: Quarter,
    as_of: date,
    settings: CommissionSettings = DEFAULTS,
) -> tuple[int, int]:
    """(tourists, USD minor units) counted for ``quarter`` with what was known by ``as_of``.

    Tourists exclude children under 12.  USD is the sum of the counted
    applications' payments up to ``as_of`` (and the quarter's end), converted
    per application half-up to the cent.
    """
    _, end = quarter_bounds(quarter)
    cutoff = min(as_of, end)
    tourists = 0
    usd = 0
    for app in apps:
        if not counts_for_quarter(app, quarter, settings):
            continue
        first = app.first_paid_on(settings.prepay_percent)
        if first is None or first > cutoff:
            continue
        tourists += app.tourists - app.children_under_12
        paid = sum(amount for day, amount in app.payments if day <= cutoff)
        usd += int((Decimal(paid) * app.usd_per_unit).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return tourists, usd


def tier_percent(tourists: int, usd_minor: int, settings: CommissionSettings = DEFAULTS) -> Decimal:
    """Highest row reached by tourists or by USD; 6 % below the table."""
    best = settings.below_table_percent
    for need_tourists, need_usd, pct in settings.tiers:
        if tourists >= need_tourists or usd_minor >= need_usd * MINOR_PER_MAJOR:
            best = max(best, pct)
    return best


def _volume_text(tourists: int, usd_minor: int) -> str:
    return tr("{tourists} тур., {usd}", tourists=tourists, usd=format_money(usd_minor, "USD"))


def commission_percent(
    agency: AgencyFacts,
    tour_type: TourType,
    prev_quarter_apps: Iterable[CommissionAppFacts],
    current_quarter_apps: Iterable[CommissionAppFacts],
    today: date,
    settings: CommissionSettings = DEFAULTS,
) -> CommissionResult:
    """Commission percent for a booking of ``tour_type`` made by ``agency`` on ``today``.

    The previous quarter's volume fixes the starting tier; the current quarter's
    volume so far (up to ``today`` minus ``rise_delay_days``) can only raise it.
    See the module docstring for the order of the special cases.
    """
    if agency.is_network:
        return CommissionResult(
            settings.network_percent,
            tr("сетевое агентство — фиксированная комиссия {pct} %",
               pct=format_percent_ru(settings.network_percent)),
        )
    if tour_type is TourType.TICKET_ONLY:
        return CommissionResult(
            settings.ticket_only_percent,
            tr("тур «только билет» — комиссия {pct} %", pct=format_percent_ru(settings.ticket_only_percent)),
        )
    if (
        agency.contract_since is not None
        and agency.contract_since.year == today.year
        and agency.prior_applications == 0
    ):
        pct = settings.new_agency_first_percent
        return CommissionResult(
            pct,
            tr("первая заявка агентства, договор с {since} — комиссия {pct} %",
               since=format_date_ru(agency.contract_since), pct=format_percent_ru(pct)),
        )
    current = quarter_of(today)
    prev = previous_quarter(current)
    _, prev_end = quarter_bounds(prev)
    p_t, p_usd = volume(prev_quarter_apps, prev, prev_end, settings)
    c_t, c_usd = volume(
        current_quarter_apps, current, today - timedelta(days=settings.rise_delay_days), settings
    )
    p_pct = tier_percent(p_t, p_usd, settings)
    c_pct = tier_percent(c_t, c_usd, settings)
    pct = max(p_pct, c_pct)
    if c_pct > p_pct:
        reason = tr(
            "комиссия {pct} %: объём {current} на {today} — {current_volume} (за {prev} было {prev_volume}, "
            "{prev_pct} %)", pct=format_percent_ru(pct), current=quarter_label(current),
            today=format_date_ru(today), current_volume=_volume_text(c_t, c_usd), prev=quarter_label(prev),
            prev_volume=_volume_text(p_t, p_usd), prev_pct=format_percent_ru(p_pct),
        )
    elif pct == settings.below_table_percent:
        reason = tr(
            "комиссия {pct} %: объём {prev} — {prev_volume}, {current} пока — {current_volume}; ниже таблицы",
            pct=format_percent_ru(pct), prev=quarter_label(prev), prev_volume=_volume_text(p_t, p_usd),
            current=quarter_label(current), current_volume=_volume_text(c_t, c_usd),
        )
    else:
        reason = tr("комиссия {pct} % по объёму {prev}: {prev_volume}", pct=format_percent_ru(pct),
                    prev=quarter_label(prev), prev_volume=_volume_text(p_t, p_usd))
    return CommissionResult(pct, reason, p_t, p_usd, c_t, c_usd)
