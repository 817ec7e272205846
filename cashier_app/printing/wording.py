"""Wording shared by the documents: dates, rubles and kopecks, the rate note, TechCode names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cashier_app.domain.money import format_amount, format_rate, split_rub_kop
from cashier_app.printing.dto import ReceiptDTO

MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def date_ru(d: date) -> str:
    """``23.11.2026``."""
    return d.strftime("%d.%m.%Y")


def date_long(d: date) -> str:
    """``«23» ноября 2026 г.`` as the forms' date line reads."""
    return f"«{d.day:02d}» {MONTHS_GENITIVE[d.month - 1]} {d.year} г."


def rub_kop(minor: int) -> tuple[str, str]:
    """(``1 234``, ``05``) for the «__ руб. __ коп.» boxes."""
    rub, kop = split_rub_kop(minor)
    return f"{rub:,}".replace(",", "\u00a0"), f"{kop:02d}"


def money_text(minor: int) -> str:
    """``1 234 руб. 05 коп.``"""
    rub, kop = rub_kop(minor)
    return f"{rub} руб. {kop} коп."


def rate_text(rate: Decimal) -> str:
    """A rate as printed: comma decimal, no exponent (``92,4567``)."""
    return format_rate(rate)


def rate_note(receipt: ReceiptDTO) -> str:
    """The booking's tour-currency amount and the operator's internal rate, or ''."""
    if not receipt.has_rate:
        return ""
    assert receipt.currency and receipt.rate and receipt.rate_date and receipt.tour_amount_minor
    return (
        f"Сумма по заявке {format_amount(receipt.tour_amount_minor)} {receipt.currency} "
        f"по внутреннему курсу туроператора {rate_text(receipt.rate)} руб. за 1 {receipt.currency} "
        f"на {date_ru(receipt.rate_date)}"
    )


TECH_CODE_NAMES = {"09": "Интернет и ТВ", "11": "Отдых и путешествия"}


def tech_code_text(code: str) -> str:
    name = TECH_CODE_NAMES.get(code, "")
    return f"Код вида платежа: {code}" + (f" ({name})" if name else "")
