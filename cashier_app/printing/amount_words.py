"""Amounts in words (сумма прописью) for receipts and postal forms.

Formats (``minor`` is kopecks, an ``int``):

* :func:`amount_in_words` — rubles in words, kopecks in two digits, first letter
  capital, no comma: ``4100000`` → «Сорок одна тысяча рублей 00 копеек»,
  ``101`` → «Один рубль 01 копейка», ``51`` → «Ноль рублей 51 копейка».
* :func:`rubles_in_words_kopecks_digits` — the two boxes of ф.112ЭП
  («рубли прописью, копейки цифрами»): ``("сорок одна тысяча", "00")``, lower case,
  without the words «рублей»/«копеек» the form prints itself.
* :func:`full_words` — both in words: «Сорок одна тысяча рублей ноль копеек».

num2words reads an ``int`` as kopecks and a ``float`` inexactly, so it always
gets a ``Decimal``; its output is pinned by exact-string tests (0.5.14).
"""

from __future__ import annotations

from decimal import Decimal

from num2words import num2words

from cashier_app.domain.money import to_decimal


def _check(minor: int) -> int:
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError("amount must be int minor units (kopecks)")
    if minor < 0:
        raise ValueError("an amount in words cannot be negative")
    return minor


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _currency(minor: int, *, kopecks_in_words: bool) -> str:
    value: Decimal = to_decimal(_check(minor))
    return num2words(value, lang="ru", to="currency", currency="RUB", cents=kopecks_in_words, separator="")


def amount_in_words(minor: int) -> str:
    """«Сорок одна тысяча рублей 00 копеек»: rubles in words, kopecks in digits."""
    return _capitalize(_currency(minor, kopecks_in_words=False))


def full_words(minor: int) -> str:
    """«Двадцать один рубль двадцать одна копейка»: both parts in words."""
    return _capitalize(_currency(minor, kopecks_in_words=True))


def rubles_in_words_kopecks_digits(minor: int) -> tuple[str, str]:
    """``("сорок одна тысяча", "00")`` for the ф.112ЭП amount line."""
    rubles, kopecks = divmod(_check(minor), 100)
    # Rubles are masculine, which is num2words' default gender for cardinals.
    return num2words(rubles, lang="ru"), f"{kopecks:02d}"
