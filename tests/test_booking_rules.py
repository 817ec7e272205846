"""Payment methods for a tour booking: availability, reasons, amounts, ф. 112ЭП helpers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from cashier_app.domain.booking_rules import (
    AmountMode,
    BookingRuleSettings,
    MethodOption,
    PayerAddress,
    PayerDetails,
    days_to_departure,
    due_minor,
    fee_minor,
    paid_share_percent,
    payment_options,
    post_form_missing_fields,
    rub_quote,
    split_address,
    split_full_name,
)
from cashier_app.domain.money import convert_to_rub
from cashier_app.domain.tours import BookingFacts, BookingStatus, PaymentMethod, TourType

TODAY = date(2026, 11, 23)
RATE = Decimal("92.4567")


def booking(**kw: object) -> BookingFacts:
    base: dict[str, object] = {
        "number": "1234567",
        "status": BookingStatus.CONFIRMED,
        "tour_type": TourType.STANDARD,
        "currency": "USD",
        "price_minor": 100_000,  # 1 000,00 $
        "paid_minor": 0,
        "departure": TODAY + timedelta(days=20),
        "return_date": TODAY + timedelta(days=30),
        "confirmed_on": TODAY,
    }
    base.update(kw)
    return BookingFacts(**base)  # type: ignore[arg-type]


def options(b: BookingFacts, today: date = TODAY, rate: Decimal | None = RATE, rate_date: date | None = TODAY,
            settings: BookingRuleSettings | None = None) -> dict[PaymentMethod, MethodOption]:
    kw = {} if settings is None else {"settings": settings}
    return {o.method: o for o in payment_options(b, today, rate, rate_date, **kw)}


# --- amounts of a booking -------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "paid", "due", "share"),
    [
        (100_000, 0, 100_000, "0.00"),
        (10_000, 8_999, 1_001, "89.99"),
        (10_000, 9_000, 1_000, "90.00"),
        (1_000_000, 899_999, 100_001, "89.99"),  # 89.9999 % is shown rounded DOWN, never 90.00
        (3, 2, 1, "66.66"),
        (10_000, 10_000, 0, "100.00"),
        (10_000, 12_000, 0, "120.00"),  # overpaid: nothing due, never negative
        (0, 0, 0, "100.00"),
    ],
)
def test_due_and_paid_share(price: int, paid: int, due: int, share: str) -> None:
    b = booking(price_minor=price, paid_minor=paid)
    assert due_minor(b) == due
    assert paid_share_percent(b) == Decimal(share)
    assert str(paid_share_percent(b)) == share


@pytest.mark.parametrize(("delta", "days"), [(-1, -1), (0, 0), (4, 4), (28, 28)])
def test_days_to_departure(delta: int, days: int) -> None:
    assert days_to_departure(booking(departure=TODAY + timedelta(days=delta), return_date=TODAY + timedelta(days=40)), TODAY) == days


def test_every_method_listed_once_in_order() -> None:
    got = [o.method for o in payment_options(booking(), TODAY, RATE, TODAY)]
    assert sorted(got) == sorted(PaymentMethod)
    assert len(got) == len(set(got))
    assert got[0] is PaymentMethod.CASH


# --- booking-level blockers -----------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"status": BookingStatus.AWAITING, "confirmed_on": None}, "заявка не подтверждена"),
        ({"status": BookingStatus.CANCELLED}, "заявка аннулирована"),
        ({"paid_minor": 100_000}, "заявка оплачена полностью"),
        ({"paid_minor": 100_001}, "заявка оплачена полностью"),
    ],
)
def test_nothing_payable(kw: dict[str, object], reason: str) -> None:
    for o in options(booking(**kw)).values():
        assert not o.available, o.method
        assert o.reason == reason, o.method
        assert o.max_minor == 0


def test_one_cent_due_is_payable() -> None:
    opts = options(booking(paid_minor=99_999))
    assert opts[PaymentMethod.CASH].available
    assert opts[PaymentMethod.CASH].max_minor == 1


# --- rate -----------------------------------------------------------------------


def test_missing_rate_blocks_ruble_methods_not_bonuses() -> None:
    opts = options(booking(paid_minor=90_000, departure=TODAY + timedelta(days=10)), rate=None, rate_date=None)
    for m, o in opts.items():
        if m is PaymentMethod.BONUSES:
            assert o.available, o.reason
        else:
            assert not o.available
            assert o.reason == "нет курса USD на 23.11.2026"
            assert o.max_rub_minor is None and o.total_rub_minor is None


def test_yesterdays_rate_is_not_todays() -> None:
    o = options(booking(), rate=RATE, rate_date=TODAY - timedelta(days=1))[PaymentMethod.CASH]
    assert not o.available
    assert o.reason == "нет курса USD на 23.11.2026 (последний — на 22.11.2026)"


def test_eur_rate_reason_names_currency() -> None:
    o = options(booking(currency="EUR"), rate=None, rate_date=None)[PaymentMethod.CARD]
    assert o.reason == "нет курса EUR на 23.11.2026"


def test_ruble_tour_needs_no_rate() -> None:
    o = options(booking(currency="RUB", price_minor=5_000_00), rate=None, rate_date=None)[PaymentMethod.CASH]
    assert o.available
    assert o.max_rub_minor == 5_000_00


# --- conversion and fee rounding -------------------------------------------------


def test_rub_conversion_half_up_once_at_the_end() -> None:
    # 1 cent × 92.5 = 92.5 kopecks → 93 (half up, not banker's 92)
    assert rub_quote(1, Decimal("92.5")) == (93, 0, 93)
    # 333 × 92.4567 = 30 788.0811 → 30 788 (rounded once; rounding the rate to 92.46 first would give 30 789)
    o = options(booking(price_minor=333))[PaymentMethod.CASH]
    assert o.max_rub_minor == 30_788
    # Whole amount converted once, not the sum of converted parts: 3 × round(0.5) would be 3, once is 2.
    assert rub_quote(3, Decimal("0.5"))[0] == 2


@pytest.mark.parametrize(
    ("rub", "fee"),
    [(10_050, 101), (10_049, 100), (10_000, 100), (49, 0), (50, 1), (1, 0), (0, 0)],
)
def test_fee_one_percent_half_up(rub: int, fee: int) -> None:
    assert fee_minor(rub, Decimal(1)) == fee


def test_contact_full_only_fee_on_top_valid_today() -> None:
    # 1,00 $ at 100,50 ₽ → 100,50 ₽; 1 % = 1,005 ₽ → 1,01 ₽ half-up; total 101,51 ₽
    b = booking(price_minor=100)
    o = options(b, rate=Decimal("100.50"))[PaymentMethod.CONTACT]
    assert o.available
    assert o.amount_mode is AmountMode.FULL_ONLY
    assert (o.min_minor, o.max_minor) == (100, 100)
    assert (o.min_rub_minor, o.max_rub_minor) == (10_050, 10_050)
    assert o.fee_percent == Decimal(1)
    assert o.fee_rub_minor == 101
    assert o.total_rub_minor == 10_151
    assert o.valid_until == TODAY


def test_euroset_fee_and_full_only() -> None:
    o = options(booking(price_minor=200_000, paid_minor=50_000), rate=Decimal(100))[PaymentMethod.EUROSET]
    assert o.amount_mode is AmountMode.FULL_ONLY
    assert o.max_rub_minor == 15_000_000
    assert o.fee_rub_minor == 150_000
    assert o.total_rub_minor == 15_150_000
    assert o.valid_until is None


def test_euroset_partial_when_configured() -> None:
    o = options(booking(), settings=BookingRuleSettings(euroset_full_only=False))[PaymentMethod.EUROSET]
    assert o.amount_mode is AmountMode.UP_TO_DUE
    assert o.min_minor == 1


@pytest.mark.parametrize("method", [PaymentMethod.CASH, PaymentMethod.BANK_RECEIPT, PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER])
def test_partial_methods_no_fee(method: PaymentMethod) -> None:
    o = options(booking(paid_minor=30_000))[method]
    assert o.available
    assert o.amount_mode is AmountMode.UP_TO_DUE
    assert o.min_minor == 1
    assert o.max_minor == 70_000
    assert o.min_rub_minor == convert_to_rub(1, RATE)
    assert o.max_rub_minor == convert_to_rub(70_000, RATE)
    assert o.fee_rub_minor == 0
    assert o.total_rub_minor == o.max_rub_minor


def test_bank_transfer_invoice_names_booking() -> None:
    assert "1234567" in (options(booking())[PaymentMethod.BANK_TRANSFER].note or "")


# --- post office ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "available", "reason"),
    [
        (5, True, None),
        (4, True, None),
        (3, False, "Почта: до вылета 3 дня, нужно не меньше 4"),
        (1, False, "Почта: до вылета 1 день, нужно не меньше 4"),
        (0, False, "Почта: до вылета 0 дней, нужно не меньше 4"),
    ],
)
def test_post_needs_four_days(days: int, available: bool, reason: str | None) -> None:
    b = booking(departure=TODAY + timedelta(days=days), return_date=TODAY + timedelta(days=days + 7))
    o = options(b)[PaymentMethod.POST]
    assert o.available is available
    assert o.reason == reason
    assert o.amount_mode is AmountMode.FULL_ONLY
    assert o.min_minor == o.max_minor == 100_000
    # other methods are not affected by the post-office rule
    assert options(b)[PaymentMethod.CASH].available


def test_post_min_days_configurable() -> None:
    b = booking(departure=TODAY + timedelta(days=4), return_date=TODAY + timedelta(days=9))
    o = options(b, settings=BookingRuleSettings(post_min_days=5))[PaymentMethod.POST]
    assert o.reason == "Почта: до вылета 4 дня, нужно не меньше 5"


# --- card -----------------------------------------------------------------------


def test_card_partial_and_twenty_minutes() -> None:
    o = options(booking())[PaymentMethod.CARD]
    assert o.available and o.amount_mode is AmountMode.UP_TO_DUE
    assert o.pay_within_minutes == 20
    assert o.note is None


@pytest.mark.parametrize(
    ("due", "max_minor", "limited"),
    [
        (199_999, 199_999, False),
        (200_000, 200_000, False),  # exactly 200 000,00 ₽ at rate 100
        (200_001, 200_000, True),
        (1_000_000, 200_000, True),
    ],
)
def test_card_daily_limit(due: int, max_minor: int, limited: bool) -> None:
    o = options(booking(price_minor=due), rate=Decimal(100))[PaymentMethod.CARD]
    assert o.max_minor == max_minor
    assert o.max_rub_minor == max_minor * 100
    assert o.max_rub_minor <= 200_000_00
    assert (o.note is not None) is limited


@pytest.mark.parametrize("rate", [RATE, Decimal(93), Decimal("101.37")])
def test_card_limit_with_odd_rate_stays_under_limit(rate: Decimal) -> None:
    o = options(booking(price_minor=1_000_000), rate=rate)[PaymentMethod.CARD]
    assert o.max_rub_minor is not None
    assert o.max_rub_minor <= 200_000_00
    assert convert_to_rub(o.max_minor + 1, rate) > 200_000_00  # the largest amount that fits


# --- bonuses as a method -----------------------------------------------------------


def test_bonus_method_reason_from_bonus_rules() -> None:
    o = options(booking(paid_minor=50_000))[PaymentMethod.BONUSES]
    assert not o.available
    assert o.reason == "оплачено 50,00 %, для списания бонусов нужно не меньше 90 %"
    assert o.min_rub_minor is None


def test_bonus_method_max_is_cap_left() -> None:
    o = options(booking(paid_minor=95_000, bonus_spent_minor=6_000))[PaymentMethod.BONUSES]
    assert o.available
    assert o.max_minor == 4_000  # cap 10 000 − 6 000 spent, below 5 000 due
    assert o.fee_rub_minor is None and o.max_rub_minor is None


def test_bonus_method_cap_used_up() -> None:
    o = options(booking(paid_minor=92_000, bonus_spent_minor=10_000))[PaymentMethod.BONUSES]
    assert not o.available
    assert o.reason is not None and "весь лимит" in o.reason


@pytest.mark.parametrize(
    ("tour_type", "bonus_ok"),
    [
        (TourType.STANDARD, True),
        (TourType.INDIVIDUAL, True),
        (TourType.PROMO, True),
        (TourType.GROUP, True),
        (TourType.HOTEL_ONLY, False),
        (TourType.TICKET_ONLY, False),
        (TourType.FIT, False),
        (TourType.DOMESTIC, False),
    ],
)
def test_each_tour_type(tour_type: TourType, bonus_ok: bool) -> None:
    opts = options(booking(tour_type=tour_type, paid_minor=90_000))
    assert opts[PaymentMethod.BONUSES].available is bonus_ok
    # money methods do not depend on the tour type
    for m in (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CONTACT, PaymentMethod.POST):
        assert opts[m].available


def test_overdue_note() -> None:
    o = options(booking(confirmed_on=TODAY - timedelta(days=2)))[PaymentMethod.CASH]
    assert o.available
    assert o.note == "срок полной оплаты истёк 22.11.2026"


# --- ф. 112ЭП ----------------------------------------------------------------------

FULL = PayerDetails(
    "Иванов", "Иван", "Иванович",
    PayerAddress("344038", "Ростовская обл.", "", "Ростов-на-Дону", "пр-кт Ленина", "85", "27"),
)


def test_complete_post_form() -> None:
    assert post_form_missing_fields(FULL) == []


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"surname": ""}, ["Фамилия"]),
        ({"first_name": "  "}, ["Имя"]),
        ({"patronymic": ""}, ["Отчество"]),
        ({"address": replace(FULL.address, region="")}, ["Регион (область, край, республика)"]),
        ({"address": replace(FULL.address, city="")}, ["Город (населённый пункт)"]),
        ({"address": replace(FULL.address, street="")}, ["Улица"]),
        ({"address": replace(FULL.address, house="")}, ["Дом"]),
        ({"address": replace(FULL.address, postal_index="")}, ["Индекс (6 цифр)"]),
        ({"address": replace(FULL.address, postal_index="34403")}, ["Индекс (6 цифр)"]),
        ({"address": replace(FULL.address, postal_index="3440388")}, ["Индекс (6 цифр)"]),
        ({"address": replace(FULL.address, postal_index="34403a")}, ["Индекс (6 цифр)"]),
        ({"address": replace(FULL.address, flat="")}, []),  # flat is optional
    ],
)
def test_post_form_missing(change: dict[str, object], missing: list[str]) -> None:
    assert post_form_missing_fields(replace(FULL, **change)) == missing  # type: ignore[arg-type]


def test_empty_post_form_lists_everything() -> None:
    assert len(post_form_missing_fields(PayerDetails())) == 8


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Иванов Иван Иванович", ("Иванов", "Иван", "Иванович")),
        ("  Петрова   Анна  Сергеевна ", ("Петрова", "Анна", "Сергеевна")),
        ("Мамедов Рашид Ахмед оглы", ("Мамедов", "Рашид", "Ахмед оглы")),
        ("Smith John", ("Smith", "John", "")),
        ("Иванов", ("Иванов", "", "")),
        ("", ("", "", "")),
    ],
)
def test_split_full_name(full: str, parts: tuple[str, str, str]) -> None:
    assert split_full_name(full) == parts


@pytest.mark.parametrize(
    ("addr", "expected"),
    [
        (
            "344038, Ростовская обл., г. Ростов-на-Дону, пр-кт Ленина, д. 85, кв. 27",
            PayerAddress("344038", "Ростовская обл.", "", "Ростов-на-Дону", "пр-кт Ленина", "85", "27"),
        ),
        (
            "г. Москва, ул. Тверская, д. 1, корп. 2, кв. 5, 125009",
            PayerAddress("125009", "Москва", "", "Москва", "ул. Тверская", "1, корп. 2", "5"),
        ),
        (
            "Ростовская обл., Азовский р-н, с. Кагальник, ул. Советская, 12",
            PayerAddress("", "Ростовская обл.", "Азовский р-н", "с. Кагальник", "ул. Советская", "12", ""),
        ),
        (
            "420111, Республика Татарстан, г. Казань, ул. Баумана, д. 10",
            PayerAddress("420111", "Республика Татарстан", "", "Казань", "ул. Баумана", "10", ""),
        ),
        (
            "Тверская область, д. Ивановка, Центральная ул., д. 3а",
            PayerAddress("", "Тверская область", "", "д. Ивановка", "Центральная ул.", "3а", ""),
        ),
    ],
)
def test_split_address(addr: str, expected: PayerAddress) -> None:
    assert split_address(addr) == expected


def test_prefilled_form_from_seed_strings_is_complete() -> None:
    payer = PayerDetails.from_strings(
        "Иванов Иван Иванович", "344038, Ростовская обл., г. Ростов-на-Дону, пр-кт Ленина, д. 85, кв. 27"
    )
    assert payer == FULL
    no_index = PayerDetails.from_strings("Иванов Иван", "Ростовская обл., г. Ростов-на-Дону, пр-кт Ленина, д. 85")
    assert post_form_missing_fields(no_index) == ["Отчество", "Индекс (6 цифр)"]
