"""Amount in words: exact strings, pinned to num2words 0.5.14."""

from __future__ import annotations

from decimal import Decimal

import num2words
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashier_app.printing.amount_words import amount_in_words, full_words, rubles_in_words_kopecks_digits


def test_pinned_num2words_version() -> None:
    # Output changed between releases («ноль копеек» or not): re-check the strings below on upgrade.
    from importlib.metadata import version

    assert version("num2words") == "0.5.14"
    assert num2words.num2words(Decimal("1.01"), lang="ru", to="currency", currency="RUB") == (
        "один рубль, одна копейка"
    )


@pytest.mark.parametrize(
    ("minor", "expected"),
    [
        (101, "Один рубль 01 копейка"),
        (202, "Два рубля 02 копейки"),
        (2121, "Двадцать один рубль 21 копейка"),
        (4_100_000, "Сорок одна тысяча рублей 00 копеек"),
        (4_202_222, "Сорок две тысячи двадцать два рубля 22 копейки"),
        (1111, "Одиннадцать рублей 11 копеек"),
        (51, "Ноль рублей 51 копейка"),
        (100_000_000, "Один миллион рублей 00 копеек"),
        (0, "Ноль рублей 00 копеек"),
        (100_000, "Одна тысяча рублей 00 копеек"),
        (5, "Ноль рублей 05 копеек"),
        (200_000_000, "Два миллиона рублей 00 копеек"),
        (500, "Пять рублей 00 копеек"),
    ],
)
def test_amount_in_words(minor: int, expected: str) -> None:
    assert amount_in_words(minor) == expected


@pytest.mark.parametrize(
    ("minor", "expected"),
    [
        (101, "Один рубль одна копейка"),
        (202, "Два рубля две копейки"),
        (2121, "Двадцать один рубль двадцать одна копейка"),
        (4_100_000, "Сорок одна тысяча рублей ноль копеек"),
        (4_202_222, "Сорок две тысячи двадцать два рубля двадцать две копейки"),
        (1111, "Одиннадцать рублей одиннадцать копеек"),
        (51, "Ноль рублей пятьдесят одна копейка"),
        (100_000_000, "Один миллион рублей ноль копеек"),
        (0, "Ноль рублей ноль копеек"),
    ],
)
def test_full_words(minor: int, expected: str) -> None:
    assert full_words(minor) == expected


@pytest.mark.parametrize(
    ("minor", "expected"),
    [
        (4_100_000, ("сорок одна тысяча", "00")),
        (4_202_222, ("сорок две тысячи двадцать два", "22")),
        (101, ("один", "01")),
        (202, ("два", "02")),
        (2121, ("двадцать один", "21")),
        (1111, ("одиннадцать", "11")),
        (51, ("ноль", "51")),
        (100_000_000, ("один миллион", "00")),
        (0, ("ноль", "00")),
    ],
)
def test_rubles_in_words_kopecks_digits(minor: int, expected: tuple[str, str]) -> None:
    assert rubles_in_words_kopecks_digits(minor) == expected


def test_int_is_not_read_as_kopecks_by_mistake() -> None:
    # num2words itself reads an int as kopecks: 4 100 000 would become 41 000 rubles only by luck.
    assert amount_in_words(4_100_000).startswith("Сорок одна тысяча рублей")
    assert amount_in_words(41_000) == "Четыреста десять рублей 00 копеек"


@pytest.mark.parametrize("bad", [1.01, Decimal("1.01"), "101", True, None])
def test_refuses_anything_but_int_minor_units(bad: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rubles_in_words_kopecks_digits(bad)  # type: ignore[arg-type]


def test_refuses_negative() -> None:
    with pytest.raises(ValueError):
        amount_in_words(-1)
    with pytest.raises(ValueError):
        full_words(-100)


@given(st.integers(min_value=0, max_value=10**13))
def test_words_formats_agree(minor: int) -> None:
    rubles_words, kop = rubles_in_words_kopecks_digits(minor)
    text = amount_in_words(minor)
    assert text[0].isupper()
    assert text.lower().startswith(rubles_words + " ")
    assert f" {kop} " in text
    assert text.endswith(("копейка", "копейки", "копеек"))
    assert full_words(minor).lower().startswith(rubles_words + " ")
    assert int(kop) == minor % 100


@given(st.integers(min_value=0, max_value=99))
def test_kopeck_word_is_declined(kop: int) -> None:
    last = amount_in_words(100 + kop).split()[-1]
    if kop % 10 == 1 and kop % 100 != 11:
        assert last == "копейка"
    elif kop % 10 in (2, 3, 4) and kop % 100 not in (12, 13, 14):
        assert last == "копейки"
    else:
        assert last == "копеек"
