"""Tour bookings (заявки): enums, Russian labels and the facts the rules need.

Pure data: nothing here reads the clock, the database or Qt.  Services build a
:class:`BookingFacts` from storage and hand it, with ``today``, to
``booking_rules``, ``bonus_rules`` and ``commission``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from cashier_app.i18n import N_, ntr


class TourType(StrEnum):
    STANDARD = "standard"
    INDIVIDUAL = "individual"
    HOTEL_ONLY = "hotel_only"
    TICKET_ONLY = "ticket_only"
    FIT = "fit"
    DOMESTIC = "domestic"
    PROMO = "promo"
    GROUP = "group"


# The label tables are translated where shown (``tr(TOUR_TYPE_LABELS[t])``).
TOUR_TYPE_LABELS: dict[TourType, str] = {
    TourType.STANDARD: N_("Стандартный пакетный тур"),
    TourType.INDIVIDUAL: N_("Индивидуальный тур"),
    TourType.HOTEL_ONLY: N_("Только отель"),
    TourType.TICKET_ONLY: N_("Только билет"),
    TourType.FIT: N_("FIT (индивидуальное бронирование)"),
    TourType.DOMESTIC: N_("Внутренний туризм"),
    TourType.PROMO: N_("Рекламный тур"),
    TourType.GROUP: N_("Групповая заявка"),
}


class BookingStatus(StrEnum):
    AWAITING = "awaiting"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


BOOKING_STATUS_LABELS: dict[BookingStatus, str] = {
    BookingStatus.AWAITING: N_("Ожидает подтверждения"),
    BookingStatus.CONFIRMED: N_("Подтверждена"),
    BookingStatus.CANCELLED: N_("Аннулирована"),
}


class PaymentMethod(StrEnum):
    BANK_RECEIPT = "bank_receipt"
    CONTACT = "contact"
    EUROSET = "euroset"
    POST = "post"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    BONUSES = "bonuses"
    CASH = "cash"


PAYMENT_METHOD_LABELS: dict[PaymentMethod, str] = {
    PaymentMethod.BANK_RECEIPT: N_("Квитанция банка (Промсвязьбанк, Сбербанк)"),
    PaymentMethod.CONTACT: N_("Перевод CONTACT"),
    PaymentMethod.EUROSET: N_("Салон «Евросеть»"),
    PaymentMethod.POST: N_("Почта России (ф. 112ЭП)"),
    PaymentMethod.CARD: N_("Банковская карта"),
    PaymentMethod.BANK_TRANSFER: N_("Безналичный перевод (счёт юрлицу)"),
    PaymentMethod.BONUSES: N_("Бонусы Sales & Smiles"),
    PaymentMethod.CASH: N_("Наличные в кассе офиса"),
}

# Order in which the payment dialog lists the methods: the office's own cash
# desk first, then the operator's methods in the order of the seed pages.
PAYMENT_METHOD_ORDER: tuple[PaymentMethod, ...] = (
    PaymentMethod.CASH,
    PaymentMethod.BANK_RECEIPT,
    PaymentMethod.CARD,
    PaymentMethod.CONTACT,
    PaymentMethod.EUROSET,
    PaymentMethod.POST,
    PaymentMethod.BANK_TRANSFER,
    PaymentMethod.BONUSES,
)


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """What the payment, bonus and sale rules need to know about one booking.

    Amounts are minor units of ``currency`` (the tour's currency, usually USD or
    EUR; RUB for some domestic tours).  ``price_minor`` is the amount payable by
    the agency («сумма к оплате»); ``paid_minor`` includes earlier bonus
    write-offs, because those are payments too.

    ``paid_50_on`` / ``fully_paid_on`` are the days the running total of
    payments first reached 50 % / 100 % of the price (see :func:`milestone_date`);
    the monthly «sale» and Select accrual depend on them.
    """

    number: str
    status: BookingStatus
    tour_type: TourType
    currency: str
    price_minor: int
    paid_minor: int
    departure: date
    return_date: date
    confirmed_on: date | None = None
    tourists: int = 1
    children_under_12: int = 0
    hotel_select: bool = False
    # Sales & Smiles Plus of the hotel: either a percent or a fixed sum, never both.
    plus_bonus_percent: Decimal | None = None
    plus_bonus_fixed_minor: int | None = None
    # A promotion on an otherwise ordinary tour type (the operator flags SPO/promo
    # separately from the tour type in some exports).
    is_promo: bool = False
    single_service: bool = False
    sub_agent: bool = False
    bonus_spent_minor: int = 0
    paid_50_on: date | None = None
    fully_paid_on: date | None = None

    def __post_init__(self) -> None:
        # These are facts from storage; a wrong one is a bug upstream, so fail loudly.
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO code like USD, got {self.currency!r}")
        for name in ("price_minor", "paid_minor", "bonus_spent_minor", "tourists", "children_under_12"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if self.children_under_12 > self.tourists:
            raise ValueError("children_under_12 cannot exceed tourists")
        if self.return_date < self.departure:
            raise ValueError("return_date is before departure")
        if self.plus_bonus_percent is not None and self.plus_bonus_fixed_minor is not None:
            raise ValueError("Plus bonus is either a percent or a fixed sum")
        if self.plus_bonus_percent is not None and not isinstance(self.plus_bonus_percent, Decimal):
            raise TypeError("plus_bonus_percent must be Decimal")

    @property
    def promo(self) -> bool:
        return self.is_promo or self.tour_type is TourType.PROMO

    @property
    def counted_tourists(self) -> int:
        """Tourists who count for volume: children under 12 do not."""
        return self.tourists - self.children_under_12


def milestone_date(
    price_minor: int, payments: Iterable[tuple[date, int]], percent: Decimal | int
) -> date | None:
    """Day the running total of ``payments`` first reached ``percent`` % of the price.

    Compared in integers (paid·100 ≥ price·percent) so 89.995 % never passes as 90 %.
    Refunds (negative amounts) are applied in order; the first day the threshold
    was reached stays the answer, as the operator counts the *first* prepayment.
    """
    pct = Decimal(percent)
    total = 0
    for day, amount in sorted(payments, key=lambda p: p[0]):
        total += amount
        if Decimal(total) * 100 >= Decimal(price_minor) * pct and total > 0:
            return day
    return None


# --- calendar helpers shared by the sale and commission rules -----------------


def is_banking_day(d: date, holidays: frozenset[date] = frozenset()) -> bool:
    """Mon–Fri and not a listed holiday (Russian holidays are configured, not guessed)."""
    return d.weekday() < 5 and d not in holidays


def banking_days_between(start: date, end: date, holidays: frozenset[date] = frozenset()) -> int:
    """Banking days ``d`` with ``start <= d < end`` (0 when start >= end)."""
    count = 0
    d = start
    while d < end:
        if is_banking_day(d, holidays):
            count += 1
        d += timedelta(days=1)
    return count


def within_grace(
    confirmed_on: date, period_start: date, grace_banking_days: int, holidays: frozenset[date] = frozenset()
) -> bool:
    """Confirmed before the period but no more than ``grace_banking_days`` banking days before it.

    «не ранее трёх банковских дней до окончания предыдущего периода»: the last
    three banking days of the previous period (and any weekend after them) count.
    """
    return (
        confirmed_on < period_start
        and banking_days_between(confirmed_on, period_start, holidays) <= grace_banking_days
    )


# --- Russian wording ----------------------------------------------------------


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for ``n``: 1 день, 3 дня, 5 дней, 11 дней, 21 день."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def days_ru(n: int) -> str:
    """``3 дня`` (``3 days``): a count of days in the current language."""
    return ntr("{n} день", "{n} дней", n)


def format_date_ru(d: date) -> str:
    return d.strftime("%d.%m.%Y")


def format_percent_ru(p: Decimal) -> str:
    """``Decimal('89.99')`` → ``89,99``; ``Decimal('7.0')`` → ``7``; ``Decimal('6.5')`` → ``6,5``."""
    text = format(p.normalize(), "f") if p == p.to_integral_value() else format(p, "f").rstrip("0")
    return text.replace(".", ",")


def join_reasons(reasons: Sequence[str]) -> str | None:
    return "; ".join(reasons) if reasons else None


# --- amounts of a booking -------------------------------------------------------


def due_minor(b: BookingFacts) -> int:
    """Still to pay, in the tour currency; never negative (an overpayment is a refund matter)."""
    return max(b.price_minor - b.paid_minor, 0)


def paid_share_percent(b: BookingFacts) -> Decimal:
    """Paid share with 2 decimals, rounded DOWN: 89.999 % shows 89.99, never a false 90.00.

    Rules compare integers themselves; this is for display. A zero price counts as paid.
    """
    if b.price_minor == 0:
        return Decimal("100.00")
    share = Decimal(b.paid_minor) * 100 / Decimal(b.price_minor)
    return share.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def format_share_ru(p: Decimal) -> str:
    """``Decimal('89.90')`` → ``89,90`` (always two decimals, for paid shares)."""
    return f"{p:.2f}".replace(".", ",")


def days_to_departure(b: BookingFacts, today: date) -> int:
    """Calendar days from ``today`` to departure (0 on the day, negative after it)."""
    return (b.departure - today).days


def payment_deadline(b: BookingFacts) -> date | None:
    """Full payment is due within one day after confirmation."""
    return None if b.confirmed_on is None else b.confirmed_on + timedelta(days=1)
