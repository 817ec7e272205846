"""Agency commission: quarters, counting rules, tier table, special cases, daily rise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cashier_app.domain.commission import (
    AgencyFacts,
    CommissionAppFacts,
    CommissionSettings,
    commission_percent,
    counts_for_quarter,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    tier_percent,
    volume,
)
from cashier_app.domain.tours import BookingStatus, TourType

Q2 = (2019, 2)  # the seed's own example: 01.04.2019 (Monday) – 30.06.2019
AGENCY = AgencyFacts("A1", "ООО «Ромашка-Тур»", contract_since=date(2015, 3, 1), prior_applications=50)


def app(number: str = "1", *, confirmed: date | None = date(2019, 4, 10), payments: tuple[tuple[date, int], ...] | None = None,
        price: int = 100_000, tourists: int = 2, **kw: object) -> CommissionAppFacts:
    base: dict[str, object] = {
        "number": number,
        "status": BookingStatus.CONFIRMED,
        "tour_type": TourType.STANDARD,
        "currency": "USD",
        "price_minor": price,
        "payments": ((date(2019, 4, 11), price),) if payments is None else payments,
        "confirmed_on": confirmed,
        "tourists": tourists,
    }
    base.update(kw)
    return CommissionAppFacts(**base)  # type: ignore[arg-type]


# --- quarters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "q"),
    [(date(2019, 1, 1), (2019, 1)), (date(2019, 3, 31), (2019, 1)), (date(2019, 4, 1), (2019, 2)),
     (date(2019, 9, 30), (2019, 3)), (date(2019, 10, 1), (2019, 4)), (date(2019, 12, 31), (2019, 4))],
)
def test_quarter_of(d: date, q: tuple[int, int]) -> None:
    assert quarter_of(d) == q


@pytest.mark.parametrize(
    ("q", "bounds"),
    [((2019, 1), (date(2019, 1, 1), date(2019, 3, 31))), ((2019, 2), (date(2019, 4, 1), date(2019, 6, 30))),
     ((2019, 3), (date(2019, 7, 1), date(2019, 9, 30))), ((2019, 4), (date(2019, 10, 1), date(2019, 12, 31)))],
)
def test_quarter_bounds(q: tuple[int, int], bounds: tuple[date, date]) -> None:
    assert quarter_bounds(q) == bounds


def test_previous_quarter_wraps_year() -> None:
    assert previous_quarter((2020, 1)) == (2019, 4)
    assert previous_quarter((2019, 3)) == (2019, 2)
    with pytest.raises(ValueError):
        quarter_bounds((2019, 5))


# --- tier table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tourists", "usd", "pct"),
    [
        (0, 0, "6"),
        (0, 99, "6"),  # 0,99 $ is below «от 1 USD»
        (0, 100, "6.5"),
        (1, 0, "6.5"),
        (3, 0, "6.5"),
        (4, 0, "7"),
        (0, 239_999, "6.5"),
        (0, 240_000, "7"),
        (5, 0, "7"),
        (6, 0, "7.5"),
        (0, 359_999, "7"),
        (0, 360_000, "7.5"),
        (7, 479_999, "7.5"),
        (8, 0, "8"),
        (0, 480_000, "8"),
        (11, 779_999, "8"),
        (12, 0, "8.5"),
        (0, 780_000, "8.5"),
        (15, 959_999, "8.5"),
        (16, 0, "9"),
        (0, 960_000, "9"),
        (500, 10**12, "9"),
        (3, 480_000, "8"),  # USD gives the higher tier
        (12, 240_000, "8.5"),  # tourists give the higher tier
    ],
)
def test_tier_table_edges(tourists: int, usd: int, pct: str) -> None:
    assert tier_percent(tourists, usd) == Decimal(pct)


# --- which applications count ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "counts"),
    [
        ({}, True),
        ({"confirmed": date(2019, 6, 30), "payments": ((date(2019, 6, 30), 25_000),)}, True),
        ({"payments": ((date(2019, 4, 11), 24_999),)}, False),  # below 25 %
        ({"payments": ((date(2019, 4, 11), 25_000),)}, True),  # exactly 25 %
        ({"payments": ((date(2019, 4, 11), 10_000), (date(2019, 5, 2), 15_000))}, True),  # 25 % reached in Q2
        ({"payments": ((date(2019, 7, 1), 100_000),)}, False),  # first paid next quarter
        ({"confirmed": date(2019, 7, 1)}, False),
        # Q1 ends on Sunday 31.03.2019: the last three banking days are 27, 28, 29 March.
        ({"confirmed": date(2019, 3, 27)}, True),
        ({"confirmed": date(2019, 3, 30)}, True),
        ({"confirmed": date(2019, 3, 26)}, False),
        ({"confirmed": date(2019, 3, 27), "payments": ((date(2019, 3, 29), 25_000),)}, False),  # first paid in Q1
        ({"confirmed": None}, False),
        ({"status": BookingStatus.CANCELLED}, False),
        ({"tour_type": TourType.TICKET_ONLY}, False),
        ({"tour_type": TourType.PROMO}, False),
        ({"tour_type": TourType.HOTEL_ONLY}, False),
        ({"single_service": True}, False),
        ({"is_promo": True}, False),
        ({"tour_type": TourType.INDIVIDUAL}, True),
        ({"tour_type": TourType.FIT}, True),
        ({"tour_type": TourType.DOMESTIC}, True),
        ({"tour_type": TourType.GROUP}, True),
    ],
)
def test_counts_for_quarter(kw: dict[str, object], counts: bool) -> None:
    assert counts_for_quarter(app(**kw), Q2) is counts  # type: ignore[arg-type]


def test_holiday_widens_grace_window() -> None:
    a = app(confirmed=date(2019, 3, 26))
    assert not counts_for_quarter(a, Q2)
    assert counts_for_quarter(a, Q2, CommissionSettings(holidays=frozenset({date(2019, 3, 28)})))


# --- volume -----------------------------------------------------------------------------


def test_volume_excludes_children_and_uncounted() -> None:
    apps = [
        app("1", tourists=3, children_under_12=1, price=150_000),
        app("2", tourists=2, tour_type=TourType.TICKET_ONLY, price=50_000),
        app("3", tourists=2, status=BookingStatus.CANCELLED),
    ]
    assert volume(apps, Q2, date(2019, 6, 30)) == (2, 150_000)


def test_volume_as_of_and_partial_payments() -> None:
    a = app(payments=((date(2019, 4, 11), 30_000), (date(2019, 5, 20), 70_000)))
    assert volume([a], Q2, date(2019, 4, 10)) == (0, 0)
    assert volume([a], Q2, date(2019, 4, 11)) == (2, 30_000)
    assert volume([a], Q2, date(2019, 5, 20)) == (2, 100_000)


def test_volume_eur_converted_half_up() -> None:
    a = app(currency="EUR", price=1_001, payments=((date(2019, 4, 11), 1_001),), usd_per_unit=Decimal("1.1250"))
    assert volume([a], Q2, date(2019, 6, 30)) == (2, 1_126)  # 1 126.125 → 1 126


# --- commission percent ----------------------------------------------------------------


def q1_apps(tourists: int) -> list[CommissionAppFacts]:
    return [app("p", tourists=tourists, price=10_000, confirmed=date(2019, 2, 1), payments=((date(2019, 2, 2), 10_000),))]


@pytest.mark.parametrize(("prev_tourists", "pct"), [(0, "6"), (1, "6.5"), (3, "6.5"), (4, "7"), (16, "9")])
def test_start_tier_from_previous_quarter(prev_tourists: int, pct: str) -> None:
    r = commission_percent(AGENCY, TourType.STANDARD, q1_apps(prev_tourists) if prev_tourists else [], [], date(2019, 4, 1))
    assert r.percent == Decimal(pct)
    assert r.prev_tourists == prev_tourists


def test_below_table_reason() -> None:
    r = commission_percent(AGENCY, TourType.STANDARD, [], [], date(2019, 4, 1))
    assert r.percent == Decimal(6)
    assert r.reason_ru.startswith("комиссия 6 %")
    assert "ниже таблицы" in r.reason_ru


def test_daily_rise_within_quarter() -> None:
    prev = q1_apps(4)  # starts Q2 at 7 %
    cur = [
        app("c1", tourists=4, payments=((date(2019, 4, 11), 100_000),)),
        app("c2", tourists=2, confirmed=date(2019, 5, 2), payments=((date(2019, 5, 3), 100_000),)),
    ]
    assert commission_percent(AGENCY, TourType.STANDARD, prev, cur, date(2019, 5, 2)).percent == Decimal(7)
    r = commission_percent(AGENCY, TourType.STANDARD, prev, cur, date(2019, 5, 3))
    assert r.percent == Decimal("7.5")  # 6 tourists reached on 03.05
    assert (r.current_tourists, r.prev_tourists) == (6, 4)
    assert "2 кв. 2019 на 03.05.2019" in r.reason_ru
    # with the archive's "next day" rule the rise waits one day
    late = CommissionSettings(rise_delay_days=1)
    assert commission_percent(AGENCY, TourType.STANDARD, prev, cur, date(2019, 5, 3), late).percent == Decimal(7)
    assert commission_percent(AGENCY, TourType.STANDARD, prev, cur, date(2019, 5, 4), late).percent == Decimal("7.5")


def test_never_lower_than_start_tier() -> None:
    r = commission_percent(AGENCY, TourType.STANDARD, q1_apps(16), [app(tourists=1)], date(2019, 5, 1))
    assert r.percent == Decimal(9)


def test_previous_quarter_counts_only_its_own_window() -> None:
    # confirmed in Q1 but first paid in Q2: belongs to Q2, not to Q1's start tier
    prev = [app("x", tourists=8, confirmed=date(2019, 3, 1), payments=((date(2019, 4, 2), 100_000),))]
    r = commission_percent(AGENCY, TourType.STANDARD, prev, [], date(2019, 4, 1))
    assert r.percent == Decimal(6)


@pytest.mark.parametrize(
    ("agency", "tour_type", "pct"),
    [
        (AgencyFacts("N", is_network=True), TourType.STANDARD, "9"),
        (AgencyFacts("N", is_network=True), TourType.TICKET_ONLY, "9"),
        (AGENCY, TourType.TICKET_ONLY, "5"),
        (AgencyFacts("new", contract_since=date(2019, 2, 1), prior_applications=0), TourType.STANDARD, "6.5"),
        (AgencyFacts("new", contract_since=date(2019, 2, 1), prior_applications=1), TourType.STANDARD, "6"),
        (AgencyFacts("old", contract_since=date(2018, 12, 1), prior_applications=0), TourType.STANDARD, "6"),
        (AgencyFacts("new", contract_since=date(2019, 2, 1), prior_applications=0), TourType.TICKET_ONLY, "5"),
    ],
)
def test_special_cases(agency: AgencyFacts, tour_type: TourType, pct: str) -> None:
    r = commission_percent(agency, tour_type, [], [], date(2019, 4, 15))
    assert r.percent == Decimal(pct)
    assert r.reason_ru


def test_special_case_reasons() -> None:
    assert commission_percent(AgencyFacts("N", is_network=True), TourType.STANDARD, [], [], date(2019, 4, 1)).reason_ru == (
        "сетевое агентство — фиксированная комиссия 9 %"
    )
    assert commission_percent(AGENCY, TourType.TICKET_ONLY, [], [], date(2019, 4, 1)).reason_ru == (
        "тур «только билет» — комиссия 5 %"
    )
