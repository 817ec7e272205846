"""Money: integer minor units inside, ``Decimal`` at the edges, never float.

Amounts are stored as ``int`` minor units (kopecks, cents) together with an
ISO 4217 alphabetic currency code.  Text typed by a person (``1 000,50``,
``1000.5``) is parsed exactly; anything with more than two decimals, a sign,
or no digits is refused with a message naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cashier_app.domain.errors import ValidationError

MINOR_PER_MAJOR = 100
CURRENCY_NUMERIC = {"RUB": "643", "USD": "840", "EUR": "978"}
CURRENCY_SIGN = {"RUB": "₽", "USD": "$", "EUR": "€"}
# A single counter payment above this is a typing mistake, not a payment.
ABSURD_AMOUNT_MINOR = 100_000_000 * MINOR_PER_MAJOR

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str = "RUB"

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be int")

    @property
    def decimal(self) -> Decimal:
        return to_decimal(self.minor)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)


def to_decimal(minor: int) -> Decimal:
    return (Decimal(minor) / MINOR_PER_MAJOR).quantize(Decimal("0.01"))


def from_decimal(value: Decimal) -> int:
    """Exact conversion; refuses fractions of a minor unit."""
    scaled = value * MINOR_PER_MAJOR
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than two decimals")
    return int(scaled)


def parse_amount(
    text: str,
    field: str = "Сумма",
    *,
    allow_zero: bool = False,
    max_minor: int = ABSURD_AMOUNT_MINOR,
) -> int:
    """Parse a typed amount (``1 000,50``, ``1000.5``, ``700``) into minor units."""
    if text is None:
        raise ValidationError(field, "введите сумму")
    cleaned = _SPACES.sub("", str(text)).replace("₽", "").replace("руб.", "").replace("руб", "")
    if not cleaned:
        raise ValidationError(field, "введите сумму")
    if cleaned.startswith("-"):
        raise ValidationError(field, "сумма не может быть отрицательной")
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    if re.fullmatch(r"\d+[.,]\d{3,}", cleaned):
        raise ValidationError(field, "не больше двух знаков после запятой")
    if not _AMOUNT.fullmatch(cleaned):
        raise ValidationError(field, f"«{text}» — не сумма; пример: 1 000,50")
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise ValidationError(field, f"«{text}» — не сумма") from exc
    minor = from_decimal(value)
    if minor == 0 and not allow_zero:
        raise ValidationError(field, "сумма должна быть больше нуля")
    if minor > max_minor:
        raise ValidationError(field, f"слишком большая сумма: {format_money(minor)}")
    return minor


def format_amount(minor: int, *, sep: str = "\u00a0", decimal_sep: str = ",") -> str:
    """``-123456`` → ``-1 234,56`` (narrow no-break space between thousands)."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), MINOR_PER_MAJOR)
    grouped = f"{whole:,}".replace(",", sep)
    return f"{sign}{grouped}{decimal_sep}{frac:02d}"


def format_money(minor: int, currency: str = "RUB") -> str:
    sign = CURRENCY_SIGN.get(currency, currency)
    return f"{format_amount(minor)}\u00a0{sign}"


def split_rub_kop(minor: int) -> tuple[int, int]:
    """Rubles and kopecks of a non-negative amount, for forms with two boxes."""
    if minor < 0:
        raise ValueError("negative amount on a payment form")
    return divmod(minor, MINOR_PER_MAJOR)


def convert_to_rub(minor: int, rate: Decimal) -> int:
    """Foreign minor units × rate (RUB per unit) → kopecks, half up, rounded once."""
    if not isinstance(rate, Decimal):
        raise TypeError("rate must be Decimal")
    exact = Decimal(minor) * rate
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(minor: int, percent: Decimal) -> int:
    """``percent`` % of an amount, half up to the minor unit."""
    exact = Decimal(minor) * percent / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_rate(text: str, field: str = "Курс") -> Decimal:
    """An exchange rate: positive, at most 4 decimals (``92,4567``)."""
    cleaned = _SPACES.sub("", str(text)).replace(",", ".")
    if not re.fullmatch(r"\d+(?:\.\d{1,4})?", cleaned):
        raise ValidationError(field, f"«{text}» — не курс; нужно число, до 4 знаков после запятой")
    value = Decimal(cleaned)
    if value <= 0:
        raise ValidationError(field, "курс должен быть больше нуля")
    if value > Decimal(100000):
        raise ValidationError(field, "слишком большой курс")
    return value
