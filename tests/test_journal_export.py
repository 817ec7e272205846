"""The payments journal: filters, totals, cashier sees own entries, CSV and XLSX content."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cashier_app.domain.errors import ValidationError
from cashier_app.services import cash, corrections, shifts
from cashier_app.services import payments_journal as pj
from tests.conftest import TODAY
from tests.test_ledger import ctx_for


def test_journal_filters_totals_and_exports(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    shifts.open_shift(cashier, 0)
    a = cash.take_cash(cashier, token=cash.new_token(), amount_minor=100050, account="0000001")
    b = cash.take_cash(cashier, token=cash.new_token(), amount_minor=25000, account="0000002")
    corrections.cancel_payment(manager, b.payment_number, "ошибка кассира")
    f = pj.JournalFilter(date_from=TODAY, date_to=TODAY, method="cash", desk="desk-1")
    res = pj.query(manager, f)
    assert [r.number for r in res.rows][-2:] == [b.payment_number, a.payment_number]
    assert res.totals.paid_minor == 125050 and res.totals.returned_minor == -25000 and res.totals.net_minor == 100050
    assert res.totals.count == 3
    only_b = pj.query(manager, pj.JournalFilter(account="0000002", date_from=TODAY, status="reversed"))
    assert [r.number for r in only_b.rows] == [b.payment_number]
    # A cashier sees only their own entries: the manager's reversal is not there.
    mine = pj.query(cashier, pj.JournalFilter(date_from=TODAY))
    assert {r.user for r in mine.rows} == {"cashier"}
    with pytest.raises(ValidationError) as err:
        pj.query(cashier, pj.JournalFilter(user="manager"))
    assert err.value.field == "Кассир"
    for bad, field in ((pj.JournalFilter(method="barter"), "Способ"), (pj.JournalFilter(status="maybe"), "Статус"),
                       (pj.JournalFilter(date_from=TODAY, date_to=TODAY.replace(year=TODAY.year - 1)), "Дата по")):
        with pytest.raises(ValidationError) as err:
            pj.query(manager, bad)
        assert err.value.field == field

    csv_path, xlsx_path = tmp_path / "j.csv", tmp_path / "j.xlsx"
    pj.export_csv(res, csv_path)
    pj.export_xlsx(res, xlsx_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["Номер", "Дата и время", "Вид", "Способ", "Статус", "Сумма"]
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[a.payment_number][5] == "1000,50" and by_number[a.payment_number][9] == "0000001"
    assert by_number[b.payment_number][4] == "reversed"
    assert rows[-1][0] == "Итого" and rows[-1][5] == "1000,50"
    ws = load_workbook(xlsx_path).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "Номер"
    xa = next(v for v in values if v[0] == a.payment_number)
    assert Decimal(str(xa[5])) == Decimal("1000.50") and xa[9] == "0000001"
    assert values[-1][0] == "Итого" and Decimal(str(values[-1][5])) == Decimal("1000.50")
