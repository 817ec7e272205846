"""The administrator's fiscal forms (offscreen): a payee's register and receipt settings, the cashier's fiscal
name and INN.  Every bad field is marked and named, nothing is saved while any remains; good input is saved
as the service keeps it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.services.fiscal_form import FIELD_COLUMNS
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from cashier_app.ui.fiscal_settings_dialog import FiscalSettingsDialog
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.payees_dialog import PayeesDialog
from cashier_app.ui.users_dialog import UsersDialog
from tests.fiscal.fc_helpers import ctx_for

BAD_MARK = "c62828"


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    out: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: out.append(str(a[2])))
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.information", lambda *a: out.append(str(a[2])))
    return out


def _payee(db: Database, kind: str = "isp") -> tuple[str, str]:
    with db.read() as uow:
        p = uow.session.execute(select(m.Payee).where(m.Payee.kind == kind).order_by(m.Payee.id)).scalars().first()
        assert p is not None
        return p.code, p.name


def _settings(db: Database, code: str) -> m.FiscalSettings | None:
    with db.read() as uow:
        p = uow.session.execute(select(m.Payee).where(m.Payee.code == code)).scalar_one()
        row = uow.session.get(m.FiscalSettings, p.id)
        if row is not None:
            uow.session.expunge(row)
        return row



def _under(field) -> str:  # type: ignore[no-untyped-def]
    """The error shown under ``field`` (issue 12: once, by the field), '' when none."""
    error = field.property("_field_error")
    return error.text() if error is not None and not error.isHidden() else ""


def test_every_field_name_the_checks_use_marks_a_widget() -> None:
    """A refusal the form cannot place would be listed but not marked: every check's field is known."""
    worst = fr.FiscalRules(mode="atol_online", url="ftp://x", group_code="", login="", company_email="bad",
                           tax_system="x", vat="x", agent="bank_paying_agent", agent_operation="",
                           agent_phone="1", operator_phone="2", supplier_name="", supplier_inn="1",
                           supplier_phone="3", payment_object="x", payment_method="x", item_name="я" * 500,
                           place="", company_inn="1")
    web = fr.FiscalRules(mode="atol_web", url="nonsense", place="я" * 500, agent="none")
    fields = {e.field for e in fr.check_rules(worst)} | {e.field for e in fr.check_rules(web)}
    assert fields and fields <= set(FIELD_COLUMNS), fields - set(FIELD_COLUMNS)
    from cashier_app.services import fiscal_settings

    for name in (fiscal_settings.F_PASSWORD, fiscal_settings.F_URL):
        assert name in FIELD_COLUMNS


def test_fiscal_settings_from_the_payees_dialog(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    admin = ctx_for(fresh_db, "admin")
    code, name = _payee(fresh_db)
    payees = PayeesDialog(admin, SyncRunner())
    qtbot.addWidget(payees)
    assert not payees.fiscal_button.isEnabled()  # a new payee: save it first
    row = next(i for i, r in enumerate(payees.rows) if r.code == code)
    payees.table.selectRow(row)
    assert payees.fiscal_button.isEnabled()
    payees.fiscal_button.click()
    dlg: FiscalSettingsDialog = payees.fiscal_dialog
    qtbot.addWidget(dlg)
    assert dlg.save_button.isEnabled() and name in dlg.windowTitle()
    # The ISP defaults (FISCAL.md): payment agent, the provider as supplier.
    assert dlg.combos["agent"].currentData() == "paying_agent"
    assert dlg.edits["supplier_inn"].text()

    dlg.combos["mode"].setCurrentIndex(dlg.combos["mode"].findData("atol_web"))
    dlg.edits["url"].setText("http://127.0.0.1:16732")
    dlg.edits["supplier_inn"].setText("1234567890")  # a bad checksum
    dlg.edits["agent_phone"].setText("12")
    before = _settings(fresh_db, code)
    dlg.save()
    assert BAD_MARK in dlg.edits["supplier_inn"].styleSheet() and BAD_MARK in dlg.edits["agent_phone"].styleSheet()
    # Issue 12: each once, under its own field, not in a list again.
    assert _under(dlg.edits["supplier_inn"]) and _under(dlg.edits["agent_phone"])
    assert not dlg.problems.isVisibleTo(dlg), dlg.problems.text()
    after = _settings(fresh_db, code)
    assert (before is None) == (after is None) and (after is None or after.supplier_inn == before.supplier_inn)

    dlg.edits["supplier_inn"].setText("7707083893")
    dlg.edits["agent_phone"].setText("8 (912) 345-67-89")
    dlg.edits["operator_phone"].setText("+7 912 345 67 80")
    dlg.edits["supplier_phone"].setText("+79123456781")
    dlg.combos["vat"].setCurrentIndex(dlg.combos["vat"].findData("vat20"))
    dlg.save()
    assert not dlg.problems.isVisibleTo(dlg), dlg.problems.text()
    saved = _settings(fresh_db, code)
    assert saved is not None and saved.mode == "atol_web" and saved.vat == "vat20"
    assert saved.supplier_inn == "7707083893" and saved.agent_phone == "+79123456789"
    assert dlg.edits["agent_phone"].text() == "+79123456789"  # shown as stored
    with fresh_db.read() as uow:
        events = uow.session.execute(select(m.AuditEvent).where(m.AuditEvent.action == "payee.fiscal")).scalars()
        assert any(e.entity_id == code for e in events)


def test_online_fields_only_for_atol_online(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    code, name = _payee(fresh_db, "travel")
    dlg = FiscalSettingsDialog(ctx_for(fresh_db, "admin"), SyncRunner(), code, name)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.combos["mode"].setCurrentIndex(dlg.combos["mode"].findData("atol_web"))
    assert not dlg.edits["group_code"].isVisible() and not dlg.password.isVisible()
    dlg.combos["mode"].setCurrentIndex(dlg.combos["mode"].findData("atol_online"))
    assert dlg.edits["group_code"].isVisible() and dlg.password.isVisible()
    dlg.edits["url"].setText("http://online.example.ru/possystem/v5")  # not https, not loopback
    dlg.edits["group_code"].setText("")
    dlg.save()
    assert BAD_MARK in dlg.edits["url"].styleSheet() and BAD_MARK in dlg.edits["group_code"].styleSheet()


def test_cashier_refused_for_the_settings(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    code, name = _payee(fresh_db)
    dlg = FiscalSettingsDialog(ctx_for(fresh_db, "cashier"), SyncRunner(), code, name)
    qtbot.addWidget(dlg)
    assert said and not dlg.save_button.isEnabled()


def test_users_dialog_fiscal_name_and_inn(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    dlg = UsersDialog(ctx_for(fresh_db, "admin"), SyncRunner())
    qtbot.addWidget(dlg)
    row = next(i for i, r in enumerate(dlg.rows) if r.login == "cashier")
    dlg.table.selectRow(row)
    dlg.fiscal_name.setText("Смирнова О. Н.")
    dlg.fiscal_inn.setText("500100732258")  # one digit off
    dlg.run("fiscal")
    assert BAD_MARK in dlg.fiscal_inn.styleSheet() and _under(dlg.fiscal_inn)  # issue 12: under the field, once
    with fresh_db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == "cashier")).scalar_one()
        assert u.fiscal_inn != "500100732258"
    dlg.fiscal_inn.setText("500100732259")
    dlg.run("fiscal")
    assert dlg.fiscal_inn.styleSheet() == "" and "сохранены" in dlg.fiscal_error.text()
    with fresh_db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == "cashier")).scalar_one()
        assert (u.fiscal_name, u.fiscal_inn) == ("Смирнова О. Н.", "500100732259")
    dlg.table.selectRow(row)
    dlg._selected()
    assert dlg.fiscal_inn.text() == "500100732259" and dlg.fiscal_name.text() == "Смирнова О. Н."


def test_company_inn_for_the_cloud_register(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    code, name = _payee(fresh_db, "travel")
    dlg = FiscalSettingsDialog(ctx_for(fresh_db, "admin"), SyncRunner(), code, name)
    qtbot.addWidget(dlg)
    dlg.combos["mode"].setCurrentIndex(dlg.combos["mode"].findData("atol_online"))
    dlg.edits["url"].setText("https://online.atol.ru/possystem/v5")
    dlg.edits["group_code"].setText("grp-1")
    dlg.edits["login"].setText("office-login")
    dlg.edits["company_email"].setText("kassa@example.ru")
    dlg.edits["place"].setText("https://example.ru")
    dlg.edits["company_inn"].setText("7707083890")  # a bad checksum
    dlg.password.setText("s3cret")
    dlg.save()
    assert BAD_MARK in dlg.edits["company_inn"].styleSheet(), dlg.problems.text()
    assert _under(dlg.edits["company_inn"]) and not dlg.problems.isVisibleTo(dlg)
