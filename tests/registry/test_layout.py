"""Register layouts: hostile documents are refused naming the field; amounts are exact both ways."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashier_app.domain import registry_layout as rl
from cashier_app.domain.errors import ValidationError


def _fields(data: dict[str, Any]) -> set[str]:
    return {e.field for e in rl.problems(data)}


def test_default_is_valid_and_round_trips() -> None:
    assert rl.problems(rl.DEFAULT.as_json()) == []
    assert rl.from_json(rl.DEFAULT.as_json()) == rl.DEFAULT


@pytest.mark.parametrize(("data", "field"), [
    ({"columns": ["number", "amount", "password_hash"]}, rl.F_COLUMNS),
    ({"columns": ["amount", "amount"]}, rl.F_COLUMNS),
    ({"columns": []}, rl.F_COLUMNS),
    ({"columns": "amount"}, rl.F_COLUMNS),
    ({"columns": ["number", "account"]}, rl.F_COLUMNS),  # no amount: nothing to reconcile
    ({"columns": ["amount"] * 40}, rl.F_COLUMNS),
    ({"separator": "::"}, rl.F_SEPARATOR),
    ({"separator": "\n"}, rl.F_SEPARATOR),
    ({"date_format": "%A %d"}, rl.F_DATE),  # the locale's weekday name
    ({"date_format": "%d;%m;%Y"}, rl.F_DATE),  # literal ';' is not allowed (and is the separator)
    ({"date_format": "%d,%m", "separator": ","}, rl.F_DATE),
    ({"date_format": "%"}, rl.F_DATE),
    ({"date_format": "dd.mm.yyyy"}, rl.F_DATE),
    ({"date_format": "%d" * 20}, rl.F_DATE),
    ({"date_format": "%d\r\n%m"}, rl.F_DATE),
    ({"time_format": "%s"}, rl.F_TIME),
    ({"amount_format": "1 234,50"}, rl.F_AMOUNT),
    ({"amount_format": "1234,50", "separator": ","}, rl.F_AMOUNT),
    ({"encoding": "koi8-r"}, rl.F_ENCODING),
    ({"header": "yes"}, "header"),
    ({"payer_inn": "12345"}, f"{rl.F_PAYER}: ИНН"),
    ({"payer_account": "4070"}, f"{rl.F_PAYER}: счёт"),
    ({"payer_name": "ООО\x00"}, f"{rl.F_PAYER}: наименование"),
    ({"sql": "drop table"}, "Реестр"),
])
def test_hostile_layouts_are_refused_naming_the_field(data: dict[str, Any], field: str) -> None:
    assert field in _fields(data)
    with pytest.raises(ValidationError) as exc:
        rl.from_json(data)
    assert exc.value.message  # Russian text, not a traceback


def test_every_problem_at_once() -> None:
    fields = _fields({"columns": ["x"], "separator": "#", "encoding": "latin1"})
    assert {rl.F_COLUMNS, rl.F_SEPARATOR, rl.F_ENCODING} <= fields


def test_cli_assignments() -> None:
    data = rl.parse_assignments(["columns=txn_id,amount", "separator=tab", "header=нет", "amount_format=kopecks"])
    lay = rl.from_json(data)
    assert lay.columns == ("txn_id", "amount") and lay.separator == "\t" and lay.header is False
    with pytest.raises(ValidationError):
        rl.parse_assignments(["header=maybe"])
    with pytest.raises(ValidationError):
        rl.parse_assignments(["columns"])


@pytest.mark.parametrize(("text", "minor"), [("1 234,50", 123450), ("1234.50", 123450), ("-12,3", -1230),
                                             ("5", 500), ("0,01", 1)])
def test_amounts_parse(text: str, minor: int) -> None:
    assert rl.parse_amount(text) == minor


@pytest.mark.parametrize("text", ["12,345", "1e3", "NaN", "", "1.2.3", "--5", "١٢"])
def test_ambiguous_amounts_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        rl.parse_amount(text)


@settings(max_examples=30)
@given(st.integers(min_value=-10**13, max_value=10**13), st.sampled_from(rl.AMOUNT_FORMATS))
def test_amount_round_trip(minor: int, fmt: str) -> None:
    assert rl.parse_amount(rl.format_amount(minor, fmt), fmt) == minor


def test_dates_use_the_subset() -> None:
    assert rl.format_when(datetime(2026, 4, 1, 9, 5, 7), "%d.%m.%Y %H:%M:%S") == "01.04.2026 09:05:07"
