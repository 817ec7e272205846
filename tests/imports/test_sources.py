"""read_table: encodings, separators, XLSX, hostile files (services/importing/sources.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from cashier_app.domain.errors import ValidationError
from cashier_app.services.importing.sources import read_table

ROWS = [["number", "full_name", "balance"], ["001", "Ёлкин Иван", "1 234,50"], ["002", "Щукина «Аня»", "-5"]]


def _csv(path: Path, rows: list[list[str]], enc: str, sep: str) -> Path:
    import csv

    with path.open("w", encoding=enc, newline="") as fh:
        csv.writer(fh, delimiter=sep).writerows(rows)
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_detects_encoding_and_separator(tmp_path: Path, enc: str, sep: str) -> None:
    t = read_table(_csv(tmp_path / "a.csv", ROWS, enc, sep))
    assert (t.encoding, t.delimiter, t.columns) == (enc, sep, ROWS[0])
    assert list(t.rows()) == [(2, ROWS[1]), (3, ROWS[2])]


def test_xlsx_streams_the_same_rows(tmp_path: Path) -> None:
    t = read_table(_xlsx(tmp_path / "a.xlsx", ROWS))
    assert t.encoding == "xlsx" and t.columns == ROWS[0]
    assert list(t.rows()) == [(2, ROWS[1]), (3, ROWS[2])]


def test_blank_lines_skipped_and_multiline_cell_keeps_numbering(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text('number;full_name\n\n1;"Пет\nров"\n2;x\n', encoding="utf-8")
    assert list(read_table(p).rows()) == [(4, ["1", "Пет\nров"]), (5, ["2", "x"])]


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "пуст"), ("number;x\n".encode("utf-16"), "UTF-16"), (b"\x00\x01\x02binary", "UTF-16"),
    (b"PK\x03\x04not really a zip", "XLSX"),
])
def test_unreadable_files_are_named(tmp_path: Path, content: bytes, reason: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(ValidationError, match=rf"bad\.csv.*{reason}"):
        read_table(p)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"nope\.csv"):
        read_table(tmp_path / "nope.csv")


def test_bad_bytes_after_the_sample_named_by_line(tmp_path: Path) -> None:
    p = tmp_path / "late.csv"
    body = "number;full_name\n" + "".join(f"{i};имя\n" for i in range(30000))
    p.write_bytes(body.encode("utf-8") + b"99;\xff\xfe\n")
    t = read_table(p)
    assert t.encoding == "utf-8"
    with pytest.raises(ValidationError, match="строка 30002"):
        list(t.rows())


_cell = st.text(alphabet="абвгдеёжАБВЯ0123456789 ,.-«»\"'", max_size=8)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_cell, min_size=3, max_size=3).filter(lambda r: any(c.strip() for c in r)),
                min_size=1, max_size=5))
def test_cp1251_utf8_and_xlsx_read_the_same(tmp_path: Path, rows: list[list[str]]) -> None:
    data = [ROWS[0], *rows]
    got = [list(read_table(p).rows()) for p in (
        _csv(tmp_path / "u.csv", data, "utf-8", ";"), _csv(tmp_path / "w.csv", data, "cp1251", ";"),
        _xlsx(tmp_path / "x.xlsx", data))]
    assert got[0] == got[1]
    # XLSX has no line breaks inside a row: same values row by row (it is one line per row).
    assert [v for _, v in got[0]] == [[c if c else "" for c in v] for _, v in got[2]]
