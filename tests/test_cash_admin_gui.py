"""The administrator's dialogs: users (wrong input named), audit filter, payments journal export."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QLabel

from cashier_app.services import cash, shifts, users
from cashier_app.ui.audit_dialog import AuditDialog
from cashier_app.ui.journal_dialog import JournalDialog
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.users_dialog import UsersDialog
from tests.test_ledger import ctx_for

SHOTS = os.environ.get("CASHIER_SCREENSHOTS")


def test_users_audit_and_journal_dialogs(qtbot, fresh_db, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: errors.append(str(a[2])))
    runner, admin = SyncRunner(), ctx_for(fresh_db, "admin")
    cashier = ctx_for(fresh_db, "cashier")
    shifts.open_shift(cashier, 0)
    paid = cash.take_cash(cashier, token=cash.new_token(), amount_minor=100050, account="0000001")

    dlg = UsersDialog(admin, runner)
    qtbot.addWidget(dlg)
    assert {r.login for r in dlg.rows} >= {"admin", "manager", "cashier"}
    dlg.login.setText("kassa2")
    dlg.full_name.setText("Петрова Анна")
    dlg.password.setText("123")
    dlg.run("add")
    # Issue 12: each refusal once, under its field (no box), gone once the field is corrected.
    under = dlg.findChild(QLabel, "password_error")
    assert not errors and not under.isHidden() and "не короче" in under.text()
    dlg.limit.setText("-10")
    dlg.password.setText("secret12")
    assert under.isHidden()
    dlg.run("add")
    assert not errors and not dlg.findChild(QLabel, "limit_error").isHidden()
    dlg.limit.setText("20 000")
    dlg.run("add")
    assert any(r.login == "kassa2" and r.cash_limit_minor == 2_000_000 for r in dlg.rows)
    if SHOTS:
        dlg.grab().save(os.path.join(SHOTS, "users.png"))
    assert users.authenticate(fresh_db, "d", "kassa2", "secret12").role == "cashier"

    audit = AuditDialog(admin, runner)
    qtbot.addWidget(audit)
    audit.action.setText("user.add")
    audit.reload()
    assert [r.entity_id for r in audit.rows] == ["kassa2"]
    audit.verify()
    assert "цела" in audit.status.text()
    if SHOTS:
        audit.grab().save(os.path.join(SHOTS, "audit.png"))

    journal = JournalDialog(ctx_for(fresh_db, "manager"), runner)
    qtbot.addWidget(journal)
    journal.target.setText("0000001")
    journal.reload()
    assert journal.result is not None and journal.result.rows[0].number == paid.payment_number
    assert journal.cancel_button.isVisibleTo(journal) and journal.refund_button.isVisibleTo(journal)
    journal.export_to(str(tmp_path / "p.csv"), "csv")
    assert paid.payment_number in (tmp_path / "p.csv").read_text("utf-8-sig")
    if SHOTS:
        journal.grab().save(os.path.join(SHOTS, "journal.png"))
    cashier_journal = JournalDialog(cashier, runner)
    qtbot.addWidget(cashier_journal)
    assert not cashier_journal.cancel_button.isVisibleTo(cashier_journal)
    assert errors == []  # issue 12: the two wrong inputs were said under their fields, not in boxes
