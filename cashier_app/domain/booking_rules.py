"""Which payment methods a tour booking can be paid with today, and for how much.

One entry point, :func:`payment_options`, answers for every method at once so
the payment dialog can show all of them, greyed out with the Russian reason
when unavailable.  Plus the ф. 112ЭП (Russian Post) form helpers: splitting the
payer's full name and address, and listing required fields still empty.

Rubles: the tour currency amount × the operator's rate of *today*, rounded
half-up once (``money.convert_to_rub``); fees are a percent of that ruble
amount, half-up, because the receipt prints the amount and the fee separately
and each must be reproducible from what is printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from cashier_app.domain.bonus_rules import DEFAULTS as BONUS_DEFAULTS
from cashier_app.domain.bonus_rules import BonusSettings, spend_blockers, spend_cap_minor
from cashier_app.domain.money import convert_to_rub, format_money, percent_of
from cashier_app.domain.tours import (
    PAYMENT_METHOD_LABELS,
    PAYMENT_METHOD_ORDER,
    BookingFacts,
    BookingStatus,
    PaymentMethod,
    days_ru,
    days_to_departure,
    due_minor,
    format_date_ru,
    paid_share_percent,
    payment_deadline,
)
from cashier_app.i18n import N_, tr

__all__ = [
    "DEFAULTS",
    "AmountMode",
    "BookingRuleSettings",
    "MethodOption",
    "PayerAddress",
    "PayerDetails",
    "days_to_departure",
    "due_minor",
    "fee_minor",
    "paid_share_percent",
    "payment_deadline",
    "payment_options",
    "post_form_missing_fields",
    "rub_quote",
    "split_address",
    "split_full_name",
]


class AmountMode(StrEnum):
    FULL_ONLY = "full_only"  # exactly the amount due, nothing else
    UP_TO_DUE = "up_to_due"  # any amount from min to max (partial payment)


@dataclass(frozen=True, slots=True)
class BookingRuleSettings:
    post_min_days: int = 4
    card_limit_rub_minor: int = 200_000_00  # per card per day; one order never exceeds it
    card_pay_window_minutes: int = 20
    card_order_cancel_days: int = 5
    contact_fee_percent: Decimal = Decimal(1)
    euroset_fee_percent: Decimal = Decimal(1)
    # The seed's Euroset instructions end with «оплатите тур полностью».
    euroset_full_only: bool = True
    bonus: BonusSettings = BONUS_DEFAULTS


DEFAULTS = BookingRuleSettings()


@dataclass(frozen=True, slots=True)
class MethodOption:
    """One payment method for one booking today.

    Amounts: ``min_minor``/``max_minor`` in the tour currency; the ``*_rub_minor``
    twins are kopecks at today's rate (None for bonuses, which never convert, or
    when there is no rate).  ``fee_rub_minor`` and ``total_rub_minor`` are for
    paying ``max_minor``; for another amount call :func:`rub_quote`.
    ``note`` is information for the manager that does not block the method.
    """

    method: PaymentMethod
    label: str
    available: bool
    reason: str | None
    amount_mode: AmountMode
    currency: str
    min_minor: int
    max_minor: int
    min_rub_minor: int | None
    max_rub_minor: int | None
    fee_percent: Decimal
    fee_rub_minor: int | None
    total_rub_minor: int | None
    valid_until: date | None = None
    pay_within_minutes: int | None = None
    note: str | None = None


def fee_minor(amount_rub_minor: int, fee_percent: Decimal) -> int:
    """Fee on top of a ruble amount, half-up to the kopeck (1 % of 100,50 ₽ = 1,01 ₽)."""
    return percent_of(amount_rub_minor, fee_percent)


def rub_quote(amount_minor: int, rate: Decimal, fee_percent: Decimal = Decimal(0)) -> tuple[int, int, int]:
    """(rubles, fee, total) in kopecks for ``amount_minor`` of the tour currency at ``rate``."""
    rub = convert_to_rub(amount_minor, rate)
    fee = fee_minor(rub, fee_percent)
    return rub, fee, rub + fee


def _fee_percent(method: PaymentMethod, s: BookingRuleSettings) -> Decimal:
    if method is PaymentMethod.CONTACT:
        return s.contact_fee_percent
    if method is PaymentMethod.EUROSET:
        return s.euroset_fee_percent
    return Decimal(0)


def _mode(method: PaymentMethod, s: BookingRuleSettings) -> AmountMode:
    if method in (PaymentMethod.CONTACT, PaymentMethod.POST):
        return AmountMode.FULL_ONLY
    if method is PaymentMethod.EUROSET and s.euroset_full_only:
        return AmountMode.FULL_ONLY
    return AmountMode.UP_TO_DUE


def _booking_blocker(b: BookingFacts) -> str | None:
    if b.status is BookingStatus.CANCELLED:
        return tr("заявка аннулирована")
    if b.status is not BookingStatus.CONFIRMED:
        return tr("заявка не подтверждена")
    if due_minor(b) == 0:
        return tr("заявка оплачена полностью")
    return None


def _rate_for_today(
    b: BookingFacts, today: date, rate: Decimal | None, rate_date: date | None
) -> tuple[Decimal | None, str | None]:
    """Today's rate, or why there is none. A ruble tour needs no rate."""
    if b.currency == "RUB":
        return Decimal(1), None
    if rate is None or rate_date is None or rate_date != today:
        reason = tr("нет курса {currency} на {day}", currency=b.currency, day=format_date_ru(today))
        if rate is not None and rate_date is not None:
            # Yesterday's rate is still on the screen: say so, so nobody uses it.
            reason += tr(" (последний — на {day})", day=format_date_ru(rate_date))
        return None, reason
    if not isinstance(rate, Decimal) or rate <= 0:
        raise ValueError("rate must be a positive Decimal")
    return rate, None


def payment_options(
    booking: BookingFacts,
    today: date,
    rate: Decimal | None,
    rate_date: date | None,
    settings: BookingRuleSettings = DEFAULTS,
    *,
    reserved_minor: int = 0,
    reserved_orders: Sequence[str] = (),
) -> list[MethodOption]:
    """Every payment method (in ``PAYMENT_METHOD_ORDER``) with availability, reason and amounts.

    ``rate`` is RUB per one unit of ``booking.currency`` and ``rate_date`` the day
    it is for; ruble methods need the rate of ``today``.  ``reserved_minor`` is
    what open card orders (``reserved_orders``) ask for: the customer may still
    pay them, so it is not due for any other payment.
    """
    if reserved_minor < 0:
        raise ValueError("reserved_minor must not be negative")
    blocker = _booking_blocker(booking)
    due = 0 if blocker else max(due_minor(booking) - reserved_minor, 0)
    held = ""
    if reserved_minor and not blocker:
        orders = tr(" (заказ {orders})", orders=", ".join(reserved_orders)) if reserved_orders else ""
        held = tr("{amount} ждут оплаты картой{orders}", amount=format_money(reserved_minor, booking.currency),
                  orders=orders)
        if due == 0:
            blocker = tr("вся сумма к оплате ждёт оплаты картой{orders}: дождитесь оплаты или отмените заказ",
                         orders=orders)
    day_rate, rate_reason = _rate_for_today(booking, today, rate, rate_date)
    cur = booking.currency
    out: list[MethodOption] = []
    for method in PAYMENT_METHOD_ORDER:
        mode = _mode(method, settings)
        fee_pct = _fee_percent(method, settings)
        reasons: list[str] = []
        note: str | None = None
        valid_until: date | None = None
        minutes: int | None = None
        min_minor = due if mode is AmountMode.FULL_ONLY else min(1, due)
        max_minor = due

        if method is PaymentMethod.BONUSES:
            if blocker:
                reasons.append(blocker)
            else:
                reasons.extend(spend_blockers(booking, today, settings.bonus))
                cap = spend_cap_minor(booking, settings.bonus)
                max_minor = max(min(due, cap - booking.bonus_spent_minor), 0)
                min_minor = min(1, max_minor)
                if not reasons and max_minor == 0:
                    reasons.append(tr("по заявке уже списано {spent} — весь лимит",
                                      spent=format_money(booking.bonus_spent_minor, cur)))
                note = tr("не больше остатка на бонусных счетах; только в валюте тура")
                if held:
                    note = f"{held}; {note}"
            out.append(
                MethodOption(
                    method=method,
                    label=tr(PAYMENT_METHOD_LABELS[method]),
                    available=not reasons,
                    reason="; ".join(reasons) or None,
                    amount_mode=mode,
                    currency=cur,
                    min_minor=min_minor if not reasons else 0,
                    max_minor=max_minor if not reasons else 0,
                    min_rub_minor=None,
                    max_rub_minor=None,
                    fee_percent=fee_pct,
                    fee_rub_minor=None,
                    total_rub_minor=None,
                    note=note,
                )
            )
            continue

        if blocker:
            reasons.append(blocker)
        elif rate_reason:
            reasons.append(rate_reason)

        if method is PaymentMethod.POST and not blocker:
            days = days_to_departure(booking, today)
            if days < settings.post_min_days:
                reasons.append(tr("Почта: до вылета {days}, нужно не меньше {need}", days=days_ru(days),
                                   need=settings.post_min_days))
        if method is PaymentMethod.CONTACT:
            # The CONTACT receipt is valid only on the day it is issued.
            valid_until = today
        if method is PaymentMethod.CARD:
            minutes = settings.card_pay_window_minutes
            if day_rate is not None and not blocker:
                limit = settings.card_limit_rub_minor
                if convert_to_rub(max_minor, day_rate) > limit:
                    # Largest tour-currency amount whose ruble value fits the limit:
                    # floor(limit / rate) · rate ≤ limit, so half-up cannot push it over.
                    max_minor = int((Decimal(limit) / day_rate).to_integral_value(rounding=ROUND_DOWN))
                    note = tr("с одной карты — не больше {limit} в день; остаток можно оплатить "
                              "другой картой или на следующий день", limit=format_money(limit))
        if method is PaymentMethod.BANK_TRANSFER and not blocker:
            note = tr("счёт на оплату с номером заявки {number}", number=booking.number)

        deadline = payment_deadline(booking)
        if note is None and not blocker and deadline is not None and today > deadline:
            note = tr("срок полной оплаты истёк {day}", day=format_date_ru(deadline))

        if held:
            note = held if note is None else f"{held}; {note}"

        min_rub = max_rub = fee = total = None
        if day_rate is not None and not blocker:
            min_rub = convert_to_rub(min_minor, day_rate)
            max_rub, fee, total = rub_quote(max_minor, day_rate, fee_pct)
        out.append(
            MethodOption(
                method=method,
                label=tr(PAYMENT_METHOD_LABELS[method]),
                available=not reasons,
                reason="; ".join(reasons) or None,
                amount_mode=mode,
                currency=cur,
                min_minor=min_minor,
                max_minor=max_minor,
                min_rub_minor=min_rub,
                max_rub_minor=max_rub,
                fee_percent=fee_pct,
                fee_rub_minor=fee,
                total_rub_minor=total,
                valid_until=valid_until,
                pay_within_minutes=minutes,
                note=note,
            )
        )
    return out


# --- ф. 112ЭП payer details -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayerAddress:
    postal_index: str = ""
    region: str = ""
    district: str = ""
    city: str = ""
    street: str = ""
    house: str = ""
    flat: str = ""


@dataclass(frozen=True, slots=True)
class PayerDetails:
    surname: str = ""
    first_name: str = ""
    patronymic: str = ""
    address: PayerAddress = PayerAddress()

    @classmethod
    def from_strings(cls, full_name: str, address: str) -> PayerDetails:
        """Prefill the form as the operator does: names from the full name, region/city from the address."""
        surname, first, patronymic = split_full_name(full_name)
        return cls(surname, first, patronymic, split_address(address))


# Field names as the form prints them, in form order (source text; translated in what is shown).
POST_FORM_FIELDS: tuple[tuple[str, str], ...] = (
    ("surname", N_("Фамилия")),
    ("first_name", N_("Имя")),
    ("patronymic", N_("Отчество")),
    ("region", N_("Регион (область, край, республика)")),
    ("city", N_("Город (населённый пункт)")),
    ("street", N_("Улица")),
    ("house", N_("Дом")),
    ("postal_index", N_("Индекс (6 цифр)")),
)

_INDEX = re.compile(r"^\d{6}$")


def post_form_missing_fields(payer: PayerDetails) -> list[str]:
    """Names (in the current language) of required ф. 112ЭП fields that are empty (or a bad index).

    The receipt must not be made while this list is non-empty.
    """
    a = payer.address
    values = {
        "surname": payer.surname,
        "first_name": payer.first_name,
        "patronymic": payer.patronymic,
        "region": a.region,
        "city": a.city,
        "street": a.street,
        "house": a.house,
    }
    missing = [tr(label) for key, label in POST_FORM_FIELDS if key in values and not values[key].strip()]
    if not _INDEX.fullmatch(a.postal_index.strip()):
        missing.append(tr(dict(POST_FORM_FIELDS)["postal_index"]))
    return missing


def split_full_name(full: str) -> tuple[str, str, str]:
    """«Иванов Иван Иванович» → (surname, first name, patronymic).

    Russian order (surname first). Extra words go to the patronymic so
    «Мамедов Рашид Ахмед оглы» keeps «Ахмед оглы»; missing parts are "".
    """
    parts = full.split()
    surname = parts[0] if parts else ""
    first = parts[1] if len(parts) > 1 else ""
    patronymic = " ".join(parts[2:])
    return surname, first, patronymic


_REGION = re.compile(
    r"(\bобл\b\.?|област|\bкрай\b|\bресп\b\.?|республик|\bАО\b|автономн|\bа\.?\s?о\.?$)", re.IGNORECASE  # i18n: data
)
_FEDERAL_CITIES = ("Москва", "Санкт-Петербург", "Севастополь")  # i18n: data
_CITY = re.compile(
    r"^(г\.|г\s|город\s|пгт\.?\s|пос\.|п\.|с\.|село\s|дер\.|д\.\s*\D|ст-ца|станица\s)", re.IGNORECASE  # i18n: data
)
_DISTRICT = re.compile(r"(\bр-н\b|район)", re.IGNORECASE)  # i18n: data
_STREET = re.compile(
    r"^(ул\.|ул\s|улица|пр-кт|пр-т|просп|пер\.|переулок|ш\.|шоссе|б-р|бульвар|наб\.|набережная|пл\.|площадь|"  # i18n: data
    r"мкр|микрорайон|проезд|пр-д|тракт|аллея|туп\.|тупик)|(\sул\.?|\sулица|\sпр-кт|\sпер\.?|\sш\.|\sб-р)$",
    re.IGNORECASE,
)
# «д.» is also «деревня»: a house number starts with a digit, a village with a letter.
_HOUSE = re.compile(r"^(д\.|дом)\s*(\d.*)$", re.IGNORECASE)  # i18n: data
_BARE_HOUSE = re.compile(r"\d+\s*[а-яА-ЯёЁ]?(/\d+)?")  # i18n: data
_HOUSE_EXTRA = re.compile(r"^(корп\.|к\.|корпус|стр\.|строение|лит\.|литера)\s*(.+)$", re.IGNORECASE)  # i18n: data
_FLAT = re.compile(r"^(кв\.|квартира|оф\.|офис|пом\.)\s*(.+)$", re.IGNORECASE)  # i18n: data
_CITY_PREFIX = re.compile(r"^(г\.|город)\s*", re.IGNORECASE)  # i18n: data


def split_address(addr: str) -> PayerAddress:
    """Split «344038, Ростовская обл., г. Ростов-на-Дону, пр-кт Ленина, д. 85, кв. 27».

    Comma-separated parts are recognised by their usual abbreviations; the city
    loses its «г.» (the form has its own «Город» box), the region is kept as
    written.  For Moscow, St Petersburg and Sevastopol the city is the region.
    Anything unrecognised between the city and the house is taken as the street.
    """
    index = region = district = city = street = house = flat = ""
    for raw in addr.split(","):
        part = " ".join(raw.split())
        if not part:
            continue
        if not index and re.fullmatch(r"\d{6}", part):
            index = part
        elif m := _FLAT.match(part):
            flat = m.group(2).strip()
        elif m := _HOUSE_EXTRA.match(part):
            house = f"{house}, {part}" if house else part
        elif m := _HOUSE.match(part):
            house = m.group(2).strip()
        elif not house and street and _BARE_HOUSE.fullmatch(part):
            house = part
        elif not region and _REGION.search(part):
            region = part
        elif not district and _DISTRICT.search(part):
            district = part
        elif not city and (_CITY.match(part) or _CITY_PREFIX.sub("", part) in _FEDERAL_CITIES):
            city = _CITY_PREFIX.sub("", part)
        elif not street and (_STREET.search(part) or city):
            street = part
        elif not city:
            city = part
    if city in _FEDERAL_CITIES and not region:
        region = city
    return PayerAddress(index, region, district, city, street, house, flat)
