"""The journal's «Биллинг» column (offscreen): a cash payment is «в очереди» until the background run
delivers it to a real billing emulator; a refusal is red with the billing's reason, and «Повторить
доставку в биллинг» in the context menu sends the same txn_id again — one payment in the billing."""

from __future__ import annotations

from typing import Any

from cashier_app.services import payments_journal as pj
from cashier_app.storage.db import Database
from cashier_app.ui import billing_actions
from cashier_app.ui.journal_dialog import JournalDialog
from cashier_app.ui.journal_model import BILLING_COLUMN, COLUMNS
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.paged_model import NEGATIVE
from tests.billing_gui.gui_helpers import ctx_for, open_desk, pay, wire


def _journal(qtbot: Any, ctx: Any) -> JournalDialog:
    dlg = JournalDialog(ctx, SyncRunner())
    qtbot.addWidget(dlg)
    return dlg


def _row(dlg: JournalDialog, number: str) -> int:
    for i in range(dlg.model.rowCount()):
        if dlg.model.row(i).number == number:
            return i
    raise AssertionError(number)


def _cell(dlg: JournalDialog, number: str, role: Any = None) -> Any:
    index = dlg.model.index(_row(dlg, number), BILLING_COLUMN)
    return index.data() if role is None else index.data(role)


def test_column_follows_the_delivery_and_retry_sends_the_same_txn(qtbot: Any, fresh_db: Database, billing: Any,
                                                                  said: list[str]) -> None:
    from PySide6.QtCore import Qt

    assert COLUMNS[BILLING_COLUMN] == "Биллинг"
    _code, numbers = wire(fresh_db, billing, known=3)
    ctx = open_desk(fresh_db)
    good = pay(ctx, numbers[0])
    unknown = pay(ctx, numbers[4], 5_000)  # an account the billing does not have: refused (5)
    manager = ctx_for(fresh_db, "manager", ctx.desk)
    dlg = _journal(qtbot, manager)
    assert _cell(dlg, good.payment_number) == "в очереди" == _cell(dlg, unknown.payment_number)

    counts = billing_actions.deliver(ctx)  # what the 30 s background run does
    assert counts["delivered"] == 1 and counts["refused"] == 1, counts
    dlg.reload()
    assert _cell(dlg, good.payment_number) == "доставлен"
    refused = _cell(dlg, unknown.payment_number)
    assert refused.startswith("отклонён: ") and len(refused) > len("отклонён: "), refused
    assert _cell(dlg, unknown.payment_number, Qt.ItemDataRole.ForegroundRole).color() == NEGATIVE
    dlg.resize(1500, 500)
    dlg.table.scrollTo(dlg.model.index(0, BILLING_COLUMN))
    dlg.grab().save("/tmp/h5_journal.png")

    # «Повторить доставку» is on for the refused entry only, from the context menu.
    dlg.table.selectRow(_row(dlg, good.payment_number))
    menu = dlg.context_menu()
    assert dlg.billing_retry_action in menu.actions() and not dlg.billing_retry_action.isEnabled()
    billing.load_accounts([{"number": numbers[4], "full_name": "Вернулся", "balance": "0", "blocked": "0"}])
    dlg.table.selectRow(_row(dlg, unknown.payment_number))
    dlg.context_menu()
    assert dlg.billing_retry_action.isEnabled() and dlg.billing_retry_action.isVisible()
    dlg.billing_retry_action.trigger()
    assert said and said[-1].startswith(f"Доставка платежа {unknown.payment_number} в биллинг: доставлен"), said
    assert _cell(dlg, unknown.payment_number) == "доставлен"
    paid = [p for p in billing.payments() if p["account"] == numbers[4]]
    assert len(paid) == 1 and paid[0]["sum_minor"] == 5_000
    assert len(billing.payments()) == 2
    # Nothing left to push: the action is off again and a second trigger only says so.
    dlg.context_menu()
    assert not dlg.billing_retry_action.isEnabled()


def test_cashier_has_no_retry_and_export_has_the_column(qtbot: Any, fresh_db: Database, billing: Any,
                                                        tmp_path: Any) -> None:
    _code, numbers = wire(fresh_db, billing)
    ctx = open_desk(fresh_db)
    p = pay(ctx, numbers[1])
    dlg = _journal(qtbot, ctx)
    assert not dlg.billing_retry_action.isVisible()  # retry needs «correct»: managers and administrators
    billing_actions.deliver(ctx)
    manager = ctx_for(fresh_db, "manager", ctx.desk)
    only = pj.JournalFilter(account=numbers[1])  # the demo office's thousands of rows are not the point here
    pj.export(manager, only, tmp_path / "p.csv", "csv")
    lines = (tmp_path / "p.csv").read_text("utf-8-sig").splitlines()
    header = lines[0].split(";")
    at = header.index("Биллинг")
    by_number = {cells[0]: cells[at] for cells in (ln.split(";") for ln in lines[1:]) if len(cells) > at}
    assert by_number[p.payment_number] == "доставлен"
    pj.export(manager, only, tmp_path / "p.xlsx", "xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "p.xlsx", read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    col = rows[0].index("Биллинг")
    assert {r[0]: r[col] for r in rows[1:] if len(r) > col}[p.payment_number] == "доставлен"
