"""Cell parsers of the accounts import (domain/import_fields.py): money, numbers, flags, lengths, mapping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashier_app.domain import import_fields as f
from cashier_app.domain.errors import ValidationError


@pytest.mark.parametrize(("text", "minor"), [
    ("1 234,50", 123450), ("1234.50", 123450), ("-5", -500), ("1 234.5", 123450), ("-12,3", -1230),
    ("0", 0), ("+7,05", 705), ("1\u00a0000", 100000), ("12 345 678,9", 1234567890),
])
def test_money_accepted(text: str, minor: int) -> None:
    assert f.parse_money(text) == minor


@pytest.mark.parametrize("text", ["12,345", "1e3", "NaN", "1,234.50", "12 34", "12,3,4", "abc", "1.", ",5", "--5",
                                  "١٢", "inf"])
def test_money_refused(text: str) -> None:
    with pytest.raises(f.FieldError, match="не число"):
        f.parse_money(text)


def test_money_empty_is_none_unless_required() -> None:
    assert f.parse_money("  ") is None
    with pytest.raises(f.FieldError, match="обязательна"):
        f.parse_money("", required=True)


@settings(max_examples=30)
@given(st.integers(min_value=-10**13, max_value=10**13), st.sampled_from([",", "."]), st.booleans())
def test_money_round_trip(minor: int, sep: str, grouped: bool) -> None:
    whole, frac = divmod(abs(minor), 100)
    body = f"{whole:,}".replace(",", " ") if grouped else str(whole)
    text = ("-" if minor < 0 else "") + body + sep + f"{frac:02d}"
    assert f.parse_money(text) == minor


def test_number_keeps_leading_zeros_and_refuses_spaces_and_length() -> None:
    assert f.parse_number(" 0012 ") == "0012"
    with pytest.raises(f.FieldError, match="пробел"):
        f.parse_number("00 12")
    with pytest.raises(f.FieldError, match="обязателен"):
        f.parse_number("")
    with pytest.raises(f.FieldError, match="не больше 32"):
        f.parse_number("1" * 33)


def test_too_long_name_is_refused_with_the_limit_never_cut() -> None:
    with pytest.raises(f.FieldError, match="161 знаков, не больше 160"):
        f.parse_text("я" * 161, "full_name")


@pytest.mark.parametrize(("text", "value"), [("1", True), ("0", False), ("да", True), ("Нет", False),
                                             ("yes", True), ("FALSE", False), ("blocked", True), ("", False)])
def test_blocked(text: str, value: bool) -> None:
    assert f.parse_blocked(text) is value


def test_blocked_refuses_the_unknown() -> None:
    with pytest.raises(f.FieldError, match="заблокирован"):
        f.parse_blocked("может быть")


def test_phone_key_is_the_projects_normaliser() -> None:
    assert f.parse_phone("8 (920) 111-22-33") == ("8 (920) 111-22-33", "9201112233")
    assert f.parse_phone("") == (None, None)


def test_address_split_like_the_form_and_fallback_for_billing_text() -> None:
    parts = f.parse_address_cell("248000, Калужская обл., г. Калуга, ул. Ленина, д. 5, кв. 3")
    assert parts == {"postal_index": "248000", "region": "Калужская обл.", "city": "г. Калуга",
                     "street": "ул. Ленина", "house": "5", "flat": "3"}
    loose = f.parse_address_cell("Ленина 7, Ленина 8, Мира 9")  # fits no box of ф. 112ЭП: kept whole
    assert (loose["street"], loose["house"]) == ("Ленина 7, Ленина 8, Мира 9", None)
    assert (f.parse_address_cell("Ленина 7, Мира 9, Садовая 1")["street"]) == "Ленина 7, Мира 9, Садовая 1"
    with pytest.raises(f.FieldError, match="не больше 16"):
        f.parse_address_cell("ул. Ленина, д. " + "1" * 20)


def test_mapping_case_insensitive_bom_and_overrides() -> None:
    cols = ["\ufeffUID", " FIO ", "Deposit", "extra"]
    m = f.mapping_for(cols, "abills", {"extra": "phone"})
    assert m == {"\ufeffUID": "number", " FIO ": "full_name", "Deposit": "balance", "extra": "phone"}
    assert f.missing_required(f.mapping_for(["login"], "generic")) == ["number", "full_name"]
    with pytest.raises(ValidationError, match="неизвестное поле"):
        f.mapping_for(cols, "abills", {"extra": "nope"})
    with pytest.raises(ValidationError, match="нет колонки"):
        f.mapping_for(cols, "abills", {"missing": "phone"})
    with pytest.raises(ValidationError, match="две колонки"):
        f.mapping_for(cols, "abills", {"extra": "number"})
    with pytest.raises(ValidationError, match="неизвестный набор"):
        f.mapping_for(cols, "bgbilling")


def test_every_preset_maps_only_known_fields() -> None:
    for preset in f.PRESETS.values():
        assert set(preset.values()) <= set(f.FIELDS)
        assert {"number", "full_name"} <= set(preset.values())
