"""Sales & Smiles: spending limits, accrual, burning, refunds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cashier_app.domain.bonus_rules import (
    INSUFFICIENT_BONUSES,
    BonusSettings,
    BonusState,
    BonusTxnFacts,
    BonusType,
    accrual_date,
    accrual_eligible,
    agent_accrual,
    burn_for_month,
    cancellation_bonus_refund,
    check_spend,
    is_sale,
    plus_accrual,
    refund_split,
    select_accrual,
    select_refusal,
    spend_cap_minor,
    spend_limits,
)
from cashier_app.domain.tours import BookingFacts, BookingStatus, TourType

TODAY = date(2027, 1, 20)
P, S, A = BonusType.PLUS, BonusType.SELECT, BonusType.AGENT
RICH = {P: 1_000_000, S: 1_000_000, A: 1_000_000}


def booking(**kw: object) -> BookingFacts:
    base: dict[str, object] = {
        "number": "77001",
        "status": BookingStatus.CONFIRMED,
        "tour_type": TourType.STANDARD,
        "currency": "USD",
        "price_minor": 100_000,  # 1 000,00 $
        "paid_minor": 90_000,
        "departure": date(2027, 1, 28),
        "return_date": date(2027, 2, 7),
        "confirmed_on": date(2027, 1, 10),
    }
    base.update(kw)
    return BookingFacts(**base)  # type: ignore[arg-type]


def spend(b: BookingFacts, requested: dict[BonusType, int], *, spent: int = 0, today: date = TODAY,
          balances: dict[BonusType, int] | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return check_spend(b, requested, RICH if balances is None else balances, spent, today, **kw)  # type: ignore[arg-type]


# --- spending: timing and share paid ---------------------------------------------


def test_seed_example_tour_28_01_paid_90_on_20_01_allowed() -> None:
    b = booking(departure=date(2027, 1, 28), paid_minor=90_000)
    r = spend(b, {P: 5_000}, today=date(2027, 1, 20))
    assert r.ok, r.reasons


@pytest.mark.parametrize(("days", "ok"), [(30, True), (9, True), (8, True), (7, False), (0, False), (-1, False)])
def test_days_before_departure(days: int, ok: bool) -> None:
    b = booking(departure=TODAY + timedelta(days=days), return_date=TODAY + timedelta(days=days + 10))
    r = spend(b, {P: 1_000})
    assert r.ok is ok
    if not ok:
        assert len(r.reasons) == 1
        assert r.reasons[0].startswith("до вылета ")
        assert "не позднее чем за 8 дней" in r.reasons[0]
        assert all(v == 0 for v in r.max_by_type.values())


def test_seven_days_reason_text() -> None:
    r = spend(booking(departure=date(2027, 1, 27)), {P: 1_000})
    assert r.reasons == ("до вылета 7 дней (27.01.2027), бонусы списываются не позднее чем за 8 дней",)


@pytest.mark.parametrize(
    ("price", "paid", "ok"),
    [(10_000, 8_999, False), (10_000, 9_000, True), (1_000_000, 899_999, False), (1_000_000, 900_000, True), (10_000, 9_999, True)],
)
def test_ninety_percent_paid(price: int, paid: int, ok: bool) -> None:
    r = spend(booking(price_minor=price, paid_minor=paid), {P: 1})
    assert r.ok is ok, r.reasons


def test_89_99_reason_text() -> None:
    r = spend(booking(price_minor=10_000, paid_minor=8_999), {P: 1})
    assert r.reasons == ("оплачено 89,99 %, для списания бонусов нужно не меньше 90 %",)


def test_999999_share_never_shown_as_90() -> None:
    r = spend(booking(price_minor=1_000_000, paid_minor=899_999), {P: 1})
    assert r.reasons == ("оплачено 89,99 %, для списания бонусов нужно не меньше 90 %",)


# --- spending: caps ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "promo", "cap"),
    [(100_000, False, 10_000), (999, False, 99), (100_000, True, 50_000), (999, True, 499), (0, False, 0)],
)
def test_cap_rounds_down(price: int, promo: bool, cap: int) -> None:
    assert spend_cap_minor(booking(price_minor=price, paid_minor=0, is_promo=promo)) == cap


@pytest.mark.parametrize(
    ("requested", "spent", "ok"),
    [
        ({P: 10_000}, 0, True),  # exactly 10 %
        ({P: 10_001}, 0, False),
        ({P: 6_000, S: 4_000}, 0, True),  # all types together
        ({P: 6_000, S: 4_000, A: 1}, 0, False),
        ({P: 5_000}, 5_000, True),  # including what was already spent on the booking
        ({P: 5_001}, 5_000, False),
        ({P: 1}, 10_000, False),
    ],
)
def test_ten_percent_cap(requested: dict[BonusType, int], spent: int, ok: bool) -> None:
    r = spend(booking(), requested, spent=spent)
    assert r.ok is ok, r.reasons
    if not ok:
        assert any(x.startswith(f"{INSUFFICIENT_BONUSES}: к списанию") for x in r.reasons)


def test_cap_reason_text() -> None:
    r = spend(booking(), {P: 10_001})
    assert r.reasons == (
        "Недостаточно бонусов: к списанию 100,01\u00a0$, уже списано 0,00\u00a0$, а по заявке можно не больше "
        "100,00\u00a0$ (10 % от суммы к оплате 1\u00a0000,00\u00a0$)",
    )


@pytest.mark.parametrize(("requested", "ok"), [(5_000, True), (5_001, False)])
def test_promo_fifty_percent_cap(requested: int, ok: bool) -> None:
    # Promo tour: 45 000 already spent; the cap is 50 % = 50 000, due is 10 000.
    r = spend(booking(tour_type=TourType.PROMO), {P: requested}, spent=45_000)
    assert r.ok is ok, r.reasons
    # Same request on a standard tour is far over the 10 % cap.
    assert not spend(booking(), {P: requested}, spent=45_000).ok


def test_promo_flag_on_standard_type_also_fifty() -> None:
    assert spend_cap_minor(booking(is_promo=True)) == 50_000


def test_cannot_spend_more_than_due() -> None:
    r = spend(booking(paid_minor=95_000), {P: 5_001}, spent=0)
    assert not r.ok
    assert r.reasons == ("Больше суммы к оплате: к списанию 50,01\u00a0$, к оплате 50,00\u00a0$",)


def test_balance_per_type() -> None:
    r = spend(booking(), {P: 4_000, S: 3_000}, balances={P: 3_999, S: 3_000})
    assert not r.ok
    assert r.reasons == (
        "Недостаточно бонусов: Sales & Smiles Plus — к списанию 40,00\u00a0$, на счёте 39,99\u00a0$",
    )
    assert spend(booking(), {P: 3_999, S: 3_000}, balances={P: 3_999, S: 3_000}).ok


def test_spend_limits_hint_per_type() -> None:
    r = spend_limits(booking(), {P: 3_000, S: 50_000}, TODAY, already_spent_on_booking_minor=2_000)
    assert r.ok
    assert dict(r.max_by_type) == {P: 3_000, S: 8_000, A: 0}
    assert r.cap_minor == 10_000 and r.cap_left_minor == 8_000


def test_spend_limits_uses_booking_spent_by_default() -> None:
    r = spend_limits(booking(bonus_spent_minor=10_000, paid_minor=91_000), RICH, TODAY)
    assert not r.ok
    assert dict(r.max_by_type) == {P: 0, S: 0, A: 0}


def test_spend_limits_blocked_shows_zero() -> None:
    r = spend_limits(booking(paid_minor=10_000), RICH, TODAY)
    assert not r.ok
    assert set(r.max_by_type.values()) == {0}


@pytest.mark.parametrize(
    ("tour_type", "ok"),
    [
        (TourType.STANDARD, True),
        (TourType.INDIVIDUAL, True),
        (TourType.PROMO, True),
        (TourType.GROUP, True),
        (TourType.HOTEL_ONLY, False),
        (TourType.FIT, False),
        (TourType.TICKET_ONLY, False),
        (TourType.DOMESTIC, False),
    ],
)
def test_spend_by_tour_type(tour_type: TourType, ok: bool) -> None:
    r = spend(booking(tour_type=tour_type), {P: 100})
    assert r.ok is ok
    if not ok:
        assert r.reasons[0].startswith("бонусами нельзя оплатить тур типа «")


@pytest.mark.parametrize(
    ("status", "reason"),
    [(BookingStatus.AWAITING, "заявка не подтверждена"), (BookingStatus.CANCELLED, "заявка аннулирована")],
)
def test_spend_status(status: BookingStatus, reason: str) -> None:
    assert spend(booking(status=status), {P: 100}).reasons == (reason,)


def test_spend_only_in_tour_currency() -> None:
    r = spend(booking(), {P: 100}, bonus_currency="EUR")
    assert r.reasons == ("бонусы в EUR нельзя списать на тур в USD: конвертации нет",)
    assert spend(booking(), {P: 100}, bonus_currency="USD").ok


def test_zero_and_negative_requests() -> None:
    assert spend(booking(), {}).reasons == ("введите сумму списания",)
    assert not spend(booking(), {P: -1, S: 100}).ok


def test_settings_change_days() -> None:
    b = booking(departure=TODAY + timedelta(days=8), return_date=TODAY + timedelta(days=18))
    assert not spend(b, {P: 100}, settings=BonusSettings(spend_min_days_before_departure=9)).ok


# --- accrual ------------------------------------------------------------------------

FULL = {"paid_minor": 100_000, "hotel_select": True}


@pytest.mark.parametrize(
    ("paid_days_before", "expected"),
    [(60, (250, 250)), (31, (250, 250)), (30, (0, 0)), (29, (0, 0)), (0, (0, 0))],
)
def test_select_more_than_thirty_days(paid_days_before: int, expected: tuple[int, int]) -> None:
    b = booking(**FULL)
    assert select_accrual(b, b.departure - timedelta(days=paid_days_before), 0) == expected


def test_select_refusal_text_at_thirty() -> None:
    b = booking(**FULL)
    assert select_refusal(b, date(2026, 12, 29)) == (
        "оплачена полностью 29.12.2026 — за 30 дней до вылета, а нужно больше чем за 30 дней"
    )
    assert select_refusal(b, date(2026, 12, 28)) is None


def test_select_base_excludes_non_commission_and_rounds_half_up() -> None:
    b = booking(**FULL)
    paid_on = date(2026, 12, 1)
    assert select_accrual(b, paid_on, 10_000) == (225, 225)  # 0.25 % of 900,00 $
    # 0.25 % of 102,00 $ = 25.5 cents → 26 (half up)
    b2 = booking(price_minor=10_200, paid_minor=10_200, hotel_select=True)
    assert select_accrual(b2, paid_on, 0) == (26, 26)


@pytest.mark.parametrize(
    "kw",
    [
        {"hotel_select": False},
        {"paid_minor": 99_999},
        {"tour_type": TourType.INDIVIDUAL},
        {"status": BookingStatus.CANCELLED},
    ],
)
def test_select_nothing(kw: dict[str, object]) -> None:
    b = booking(**{**FULL, **kw})
    assert select_accrual(b, date(2026, 12, 1), 0) == (0, 0)


def test_select_not_paid() -> None:
    assert select_accrual(booking(**FULL), None, 0) == (0, 0)


@pytest.mark.parametrize(
    ("kw", "ok"),
    [
        ({}, True),
        ({"tour_type": TourType.PROMO}, False),
        ({"is_promo": True}, False),
        ({"tour_type": TourType.TICKET_ONLY}, False),
        ({"tour_type": TourType.HOTEL_ONLY}, False),
        ({"tour_type": TourType.INDIVIDUAL}, False),
        ({"tour_type": TourType.GROUP}, False),
        ({"tour_type": TourType.FIT}, False),
        ({"tour_type": TourType.DOMESTIC}, False),
        ({"status": BookingStatus.CANCELLED}, False),
        ({"sub_agent": True}, False),
        ({"paid_minor": 99_999}, False),
    ],
)
def test_accrual_eligible(kw: dict[str, object], ok: bool) -> None:
    eligible, reason = accrual_eligible(booking(**{"paid_minor": 100_000, **kw}))
    assert eligible is ok
    assert (reason is None) is ok


def test_accrual_reason_texts() -> None:
    assert accrual_eligible(booking(sub_agent=True, paid_minor=100_000))[1] == (
        "субагенты не участвуют в программе Sales & Smiles"
    )
    assert accrual_eligible(booking(paid_minor=5))[1] == "бонусы начисляются только по полностью оплаченным заявкам"


def test_plus_accrual() -> None:
    pct = booking(paid_minor=100_000, plus_bonus_percent=Decimal("1.5"))
    assert plus_accrual(pct) == 1_500
    assert plus_accrual(pct, non_commission_minor=20_000) == 1_200
    fixed = booking(paid_minor=100_000, plus_bonus_fixed_minor=2_500)
    assert plus_accrual(fixed) == 2_500
    assert plus_accrual(booking(paid_minor=100_000)) == 0
    assert plus_accrual(booking(paid_minor=100_000, plus_bonus_fixed_minor=2_500, tour_type=TourType.PROMO)) == 0


def test_plus_bonus_percent_or_fixed_not_both() -> None:
    with pytest.raises(ValueError):
        booking(plus_bonus_percent=Decimal(1), plus_bonus_fixed_minor=100)


@pytest.mark.parametrize(
    ("plan_met", "sales", "pct", "expected"),
    [
        (True, 1_000_000, Decimal(1), 10_000),
        (True, 1_000_000, Decimal("0.5"), 5_000),
        (True, 1_000_000, Decimal(0), 0),
        (False, 1_000_000, Decimal(1), 0),
        (True, 150, Decimal(1), 2),  # 1.5 cents → 2 half up
    ],
)
def test_agent_accrual(plan_met: bool, sales: int, pct: Decimal, expected: int) -> None:
    assert agent_accrual(plan_met, sales, pct) == expected


@pytest.mark.parametrize("pct", [Decimal("1.01"), Decimal("-0.1")])
def test_agent_accrual_over_one_percent_refused(pct: Decimal) -> None:
    with pytest.raises(ValueError):
        agent_accrual(True, 100, pct)


def test_accrual_date_two_days_after_return() -> None:
    assert accrual_date(date(2027, 2, 7)) == date(2027, 2, 9)
    assert accrual_date(date(2027, 12, 31)) == date(2028, 1, 2)


# --- sales and burning -----------------------------------------------------------------

MARCH = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("kw", "sale"),
    [
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6)}, True),
        ({"confirmed_on": date(2027, 3, 31), "paid_50_on": date(2027, 3, 31)}, True),
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 4, 1)}, False),  # paid next month
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": None}, False),  # only 25 % so far
        ({"confirmed_on": date(2027, 4, 1), "paid_50_on": date(2027, 3, 20)}, False),
        # Feb 2027 ends on Sunday 28: the last three banking days are 24, 25, 26.
        ({"confirmed_on": date(2027, 2, 24), "paid_50_on": date(2027, 3, 2)}, True),
        ({"confirmed_on": date(2027, 2, 27), "paid_50_on": date(2027, 3, 2)}, True),
        ({"confirmed_on": date(2027, 2, 23), "paid_50_on": date(2027, 3, 2)}, False),
        ({"confirmed_on": date(2027, 2, 24), "paid_50_on": date(2027, 2, 25)}, False),  # paid last month
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6), "tour_type": TourType.TICKET_ONLY}, False),
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6), "tour_type": TourType.PROMO}, False),
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6), "tour_type": TourType.HOTEL_ONLY}, False),
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6), "single_service": True}, False),
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6), "status": BookingStatus.CANCELLED}, False),
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6), "tour_type": TourType.INDIVIDUAL}, True),
        ({"confirmed_on": date(2027, 3, 5), "paid_50_on": date(2027, 3, 6), "tour_type": TourType.DOMESTIC}, True),
    ],
)
def test_is_sale(kw: dict[str, object], sale: bool) -> None:
    assert is_sale(booking(**kw), date(2027, 3, 15)) is sale


def test_is_sale_holiday_moves_grace_window() -> None:
    b = booking(confirmed_on=date(2027, 2, 23), paid_50_on=date(2027, 3, 2))
    assert not is_sale(b, MARCH)
    assert is_sale(b, MARCH, BonusSettings(holidays=frozenset({date(2027, 2, 25)})))


TXNS = [
    BonusTxnFacts(1, P, BonusState.ACTIVE, 1_000, date(2027, 1, 15)),
    BonusTxnFacts(2, S, BonusState.ACTIVE, 500, date(2027, 2, 28)),  # last day before the month
    BonusTxnFacts(3, P, BonusState.ACTIVE, 700, date(2027, 3, 1)),  # became active in the month
    BonusTxnFacts(4, S, BonusState.EXPECTED, 300, None),
    BonusTxnFacts(5, P, BonusState.SPENT, 200, date(2027, 1, 2)),
    BonusTxnFacts(6, P, BonusState.BURNT, 200, date(2026, 12, 2)),
    BonusTxnFacts(7, A, BonusState.ACTIVE, 900, date(2027, 3, 20)),
]


@pytest.mark.parametrize(
    ("had_sale", "tied", "burn"),
    [(False, True, [1, 2]), (True, True, []), (False, False, []), (True, False, [])],
)
def test_burn_for_month(had_sale: bool, tied: bool, burn: list[int]) -> None:
    assert burn_for_month(TXNS, MARCH, had_sale, tied) == burn


def test_burn_month_start_normalised() -> None:
    assert burn_for_month(TXNS, date(2027, 3, 17), False, True) == [1, 2]


# --- refunds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decrease", "spent", "split"),
    [(5_000, 8_000, (5_000, 0)), (8_000, 8_000, (8_000, 0)), (10_000, 8_000, (8_000, 2_000)), (3_000, 0, (0, 3_000)), (0, 5, (0, 0))],
)
def test_refund_split_bonuses_first(decrease: int, spent: int, split: tuple[int, int]) -> None:
    assert refund_split(decrease, spent) == split


def test_refund_split_negative_refused() -> None:
    with pytest.raises(ValueError):
        refund_split(-1, 0)


def test_cancellation_keeps_spent_bonuses() -> None:
    amount, reason = cancellation_bonus_refund(5_000, "USD")
    assert amount == 0
    assert reason == "заявка аннулирована агентством: списанные бонусы (50,00\u00a0$) на бонусный счёт не возвращаются"
    assert cancellation_bonus_refund(0, "USD") == (0, "бонусы по заявке не списывались")
