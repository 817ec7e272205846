"""Issue 12 §3: the audit view, the payments journal and the documents journal show words, rubles, whole times."""

from __future__ import annotations

import csv
import io
import re

from cashier_app.services import audit_log, cash, shifts
from cashier_app.services import payments_journal as pj
from cashier_app.services.documents import DocumentFilter, list_office_documents
from cashier_app.ui.audit_model import AuditModel
from cashier_app.ui.documents_model import DocumentsModel
from cashier_app.ui.journal_model import JournalModel
from cashier_app.ui.operations import SyncRunner
from tests.test_ledger import ctx_for

WHOLE_TIME = re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$")


def _pay(db) -> str:  # type: ignore[no-untyped-def]
    cashier = ctx_for(db, "cashier")
    shifts.open_shift(cashier, 0)
    return cash.take_cash(cashier, token=cash.new_token(), amount_minor=610050, account="0000001").payment_number


def test_audit_rows_in_words(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    _pay(fresh_db)
    admin = ctx_for(fresh_db, "admin")
    model = AuditModel(SyncRunner(), lambda f, off: audit_log.page(admin, f, offset=off))
    model.set_filter(audit_log.AuditFilter(action="payment."))
    assert model.rowCount() >= 1
    cells = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert WHOLE_TIME.match(cells[1]), cells[1]
    assert cells[4] == "Платёж зачислен" and cells[5].startswith("платёж ")
    assert "сумма: 6\u00a0100,50\u00a0₽" in cells[6] and "способ: Наличные" in cells[6]
    assert "610050" not in cells[6] and "{" not in cells[6]
    # The CSV has the words and, for an auditor, the codes and raw records as well.
    rows = list(csv.reader(io.StringIO(audit_log.to_csv(model.rows)), delimiter=";"))
    assert rows[0][5] == "Действие" and rows[1][5] == "Платёж зачислен" and rows[1][8] == "payment.credit"


def test_payments_journal_rows_in_words(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = _pay(fresh_db)
    manager = ctx_for(fresh_db, "manager")
    model = JournalModel(SyncRunner(), lambda f, off: pj.page(manager, f, offset=off))
    model.set_filter(pj.JournalFilter())
    row = next(r for r in range(model.rowCount()) if model.data(model.index(r, 0)) == number)
    cells = [model.data(model.index(row, c)) for c in range(6)]
    assert WHOLE_TIME.match(cells[1]) and cells[2:5] == ["Платёж", "Наличные", "Зачислен"]
    assert cells[5] == "6\u00a0100,50\u00a0₽"


def test_documents_journal_time_is_whole(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    _pay(fresh_db)  # its slip goes to the documents journal
    cashier = ctx_for(fresh_db, "cashier")
    model = DocumentsModel(SyncRunner(), lambda f, off: list_office_documents(cashier, f, offset=off))
    model.set_filter(DocumentFilter())
    assert model.rowCount() >= 1
    for r in range(model.rowCount()):
        assert WHOLE_TIME.match(model.data(model.index(r, 1)))
