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
    assert by_number[b.payment_number][4] == "Сторнирован"  # people's words, not the code (issue 12 §3)
    assert rows[-1][0] == "Итого" and rows[-1][5] == "1000,50"
    ws = load_workbook(xlsx_path).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "Номер"
    xa = next(v for v in values if v[0] == a.payment_number)
    assert Decimal(str(xa[5])) == Decimal("1000.50") and xa[9] == "0000001"
    assert values[-1][0] == "Итого" and Decimal(str(values[-1][5])) == Decimal("1000.50")


# -- issue 11 §6: every row of the filter, its total, and no formulas ----------------------------


def _bulk_payments(db, n: int, *, reason: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """``n`` credited cash payments straight into the ledger table; returns their sum."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from cashier_app.storage import models as m

    with db.uow() as uow:
        s = uow.session
        account_id = s.execute(select(m.Account.id).order_by(m.Account.id).limit(1)).scalar_one()
        user_id = s.execute(select(m.User.id).where(m.User.login == "cashier")).scalar_one()
        base = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        rows = [{"number": f"BULK-{i:07d}", "entry_kind": "payment", "method": "cash", "status": "paid",
                 "amount_minor": 100 + i % 977, "currency": "RUB", "account_id": account_id, "desk": "bulk",
                 "user_id": user_id, "created_at": base + timedelta(milliseconds=i // 3), "credited": True,
                 "reason": reason}
                for i in range(n)]
        for i in range(0, n, 5000):
            s.execute(insert(m.Payment), rows[i:i + 5000])
        uow.commit()
    return sum(r["amount_minor"] for r in rows)


def test_export_writes_every_row_and_totals_them(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Before: 5 000 rows were written under a total of all 20 000."""
    total = _bulk_payments(fresh_db, 20_000)
    manager = ctx_for(fresh_db, "manager")
    f = pj.JournalFilter(desk="bulk")
    csv_path, xlsx_path = tmp_path / "all.csv", tmp_path / "all.xlsx"
    written = pj.export(manager, f, csv_path, "csv")
    assert written.rows == 20_000 and written.net_minor == total
    rows = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig")), delimiter=";"))
    body = rows[1:-1]
    assert len(body) == 20_000 and len({r[0] for r in body}) == 20_000  # none skipped, none twice
    assert sum(Decimal(r[5].replace(",", ".")) for r in body) == Decimal(rows[-1][5].replace(",", "."))
    assert Decimal(rows[-1][5].replace(",", ".")) * 100 == total
    pj.export(manager, f, xlsx_path, "xlsx")
    values = list(load_workbook(xlsx_path, read_only=True).active.iter_rows(values_only=True))
    assert len(values) == 20_002 and values[-1][0] == "Итого"
    assert sum(Decimal(str(v[5])) for v in values[1:-1]) == Decimal(str(values[-1][5])) == Decimal(total) / 100


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://x\")", "+7 999", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(fresh_db, tmp_path: Path, typed: str) -> None:  # type: ignore[no-untyped-def]
    _bulk_payments(fresh_db, 2, reason=typed)
    manager = ctx_for(fresh_db, "manager")
    path = tmp_path / "j.csv"
    pj.export(manager, pj.JournalFilter(desk="bulk"), path, "csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""), delimiter=";"))
    reasons = [r[15] for r in rows[1:-1]]
    assert reasons == ["'" + typed] * 2
    # Amounts are numbers, not text: a negative one is left alone.
    assert rows[-1][5] and not rows[-1][5].startswith("'")
    xlsx = tmp_path / "j.xlsx"
    pj.export(manager, pj.JournalFilter(desk="bulk"), xlsx, "xlsx")
    ws = load_workbook(xlsx).active
    cells = [row[15] for row in ws.iter_rows(min_row=2, max_row=3)]
    assert all(c.data_type == "s" for c in cells)
