"""Money: integer minor units inside, ``Decimal`` at the edges, never float.

Amounts are stored as ``int`` minor units (kopecks, cents) together with an
ISO 4217 alphabetic currency code.  Text typed by a person (``1 000,50``,
``1000.5``) is parsed exactly; anything with more than two decimals, a sign,
or no digits is refused with a message naming the field.  Only the ASCII digits
0–9 count: Arabic-Indic or full-width digits look like a number on screen but
are not what the cashier typed on the counter's keyboard, so they are refused,
and so is any text longer than a written amount can be (it is junk, and
parsing thousands of digits is work an attacker chooses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

MINOR_PER_MAJOR = 100
CURRENCY_NUMERIC = {"RUB": "643", "USD": "840", "EUR": "978"}
CURRENCY_SIGN = {"RUB": "₽", "USD": "$", "EUR": "€"}
# A single counter payment above this is a typing mistake, not a payment.
ABSURD_AMOUNT_MINOR = 100_000_000 * MINOR_PER_MAJOR

# Group separators inside an amount; other whitespace (a tab, a line break) inside it is junk.
_SPACES = re.compile(r"[ \u00a0\u202f\u2009']")
# re.ASCII: ``\d`` would also match Arabic-Indic (٣), full-width (３) and other digits.
_AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?", re.ASCII)
_RATE = re.compile(r"[0-9]+(?:\.[0-9]{1,4})?", re.ASCII)
# The longest amount a person writes: «100 000 000,00 руб.» with room for extra spaces.
MAX_AMOUNT_CHARS = 40
# Digits of rubles that can still be below ABSURD_AMOUNT_MINOR (leading zeros aside).
_MAX_WHOLE_DIGITS = 15


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


def check_amount(value: object, field: str = N_("Сумма"), *, allow_zero: bool = False,
                 max_minor: int = ABSURD_AMOUNT_MINOR) -> int:
    """The one check of an amount handed over in minor units (a form's parsed value, a service argument).

    Whole ``int`` kopecks only — ``True`` is 1 to Python and ``10.5`` is not a kopeck, so ``bool``
    and ``float`` are refused —, not negative, zero only when ``allow_zero`` (a float, a count),
    and not above ``max_minor`` (a typing mistake, not a payment).  Returns the value.
    """
    if value is None:
        raise ValidationError(field, tr("введите сумму"))
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, tr("сумма должна быть целым числом копеек"))
    if value < 0:
        raise ValidationError(field, tr("сумма не может быть отрицательной"))
    if value == 0 and not allow_zero:
        raise ValidationError(field, tr("сумма должна быть больше нуля"))
    if value > max_minor:
        raise ValidationError(field, tr("слишком большая сумма: {amount}", amount=format_money(value)))
    return value


def _check_text(text: object, field: str, what: str) -> str:
    """The typed text, refused early when it is too long or uses digits other than 0–9.

    ``what`` is the whole (translated) message for digits other than 0–9: a word put into a
    sentence would not agree with it in another language.
    """
    raw = str(text)
    if len(raw) > MAX_AMOUNT_CHARS:
        raise ValidationError(field, tr("слишком длинная запись ({n} знаков, не больше {limit})",
                                         n=len(raw), limit=MAX_AMOUNT_CHARS))
    if any(ch.isnumeric() and not ch.isascii() for ch in raw):
        raise ValidationError(field, what)
    if any(not ch.isprintable() and not ch.isspace() for ch in raw):
        raise ValidationError(field, tr("недопустимые символы"))
    return raw


def _shown(raw: str) -> str:
    """The typed text inside a one-line message: no line breaks."""
    return " ".join(raw.split())


def parse_amount(
    text: str,
    field: str = N_("Сумма"),
    *,
    allow_zero: bool = False,
    max_minor: int = ABSURD_AMOUNT_MINOR,
) -> int:
    """Parse a typed amount (``1 000,50``, ``1000.5``, ``700``) into minor units."""
    if text is None:
        raise ValidationError(field, tr("введите сумму"))
    raw = _check_text(text, field, tr("сумма пишется только цифрами 0–9 (другие цифры не принимаются)"))
    cleaned = _SPACES.sub("", raw.strip()).replace("₽", "").replace("руб.", "").replace("руб", "")  # i18n: data
    if not cleaned:
        raise ValidationError(field, tr("введите сумму"))
    if cleaned.startswith("-"):
        raise ValidationError(field, tr("сумма не может быть отрицательной"))
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    if re.fullmatch(r"[0-9]+[.,][0-9]{3,}", cleaned, re.ASCII):
        raise ValidationError(field, tr("не больше двух знаков после запятой"))
    match = _AMOUNT.fullmatch(cleaned)
    if not match:
        raise ValidationError(field, tr("«{typed}» — не сумма; пример: 1 000,50", typed=_shown(raw)))
    whole = match.group(1).lstrip("0") or "0"
    if len(whole) > _MAX_WHOLE_DIGITS:
        raise ValidationError(field, tr("слишком большая сумма"))
    # Integer arithmetic: Decimal's 28-digit context would round long amounts silently.
    minor = int(whole) * MINOR_PER_MAJOR + int((match.group(2) or "").ljust(2, "0"))
    return check_amount(minor, field, allow_zero=allow_zero, max_minor=max_minor)


def format_amount(minor: int, *, sep: str = "\u00a0", decimal_sep: str = ",") -> str:
    """``-123456`` → ``-1 234,56`` (narrow no-break space between thousands)."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), MINOR_PER_MAJOR)
    grouped = f"{whole:,}".replace(",", sep)
    return f"{sign}{grouped}{decimal_sep}{frac:02d}"


def format_rate(rate: Decimal) -> str:
    """A rate as people read it: comma decimal, no exponent (``92,4567``) — on screen and on paper."""
    return format(rate, "f").replace(".", ",")


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


def parse_rate(text: str, field: str = N_("Курс")) -> Decimal:
    """An exchange rate: positive, at most 4 decimals (``92,4567``)."""
    raw = _check_text(text, field, tr("курс пишется только цифрами 0–9 (другие цифры не принимаются)"))
    cleaned = _SPACES.sub("", raw.strip()).replace(",", ".")
    if not _RATE.fullmatch(cleaned):
        raise ValidationError(field, tr("«{typed}» — не курс; нужно число, до 4 знаков после запятой",
                                        typed=_shown(raw)))
    value = Decimal(cleaned)
    if value <= 0:
        raise ValidationError(field, tr("курс должен быть больше нуля"))
    if value > Decimal(100000):
        raise ValidationError(field, tr("слишком большой курс"))
    return value
