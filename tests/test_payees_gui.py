"""The payees dialog: problems shown next to the form, a fixed payee saved, the gateway group, the menu."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from cashier_app.services import payees
from cashier_app.ui import payee_actions
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.payees_dialog import BAD_STYLE, PayeesDialog
from tests.test_ledger import ctx_for

SHOTS = os.environ.get("CASHIER_SCREENSHOTS")
SECRET = "gui-s3cr3t-77"



def _under(field) -> str:  # type: ignore[no-untyped-def]
    """The error shown under ``field`` (issue 12: once, by the field), '' when none."""
    error = field.property("_field_error")
    return error.text() if error is not None and not error.isHidden() else ""


def test_dialog_shows_problems_inline_then_saves_the_fixed_payee(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    boxes: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: boxes.append(str(a[2])))
    admin = ctx_for(fresh_db, "admin")
    dlg = PayeesDialog(admin, SyncRunner())
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.table.rowCount() == len(dlg.rows) >= 5 and not dlg.gw_save.isEnabled()
    values = {"code": "gui-payee", "name": "ООО «Окно»", "inn": "7707083894", "kpp": "773601001",
              "account": "40702810138250123017", "bank_name": "ПАО СБЕРБАНК", "bic": "044525225",
              "corr_account": "30101810400000000225", "postal_index": "1179", "address": "г. Москва",
              "purpose_template": "Оплата услуг связи"}
    for attr, text in values.items():
        dlg.edits[attr].setText(text)
    n = len(dlg.rows)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    # Issue 12: each problem once, under its own field (no list repeating them, no box).
    assert not dlg.problems.isVisibleTo(dlg), dlg.problems.text()
    for attr in ("inn", "postal_index", "purpose_template"):
        assert dlg.edits[attr].styleSheet() == BAD_STYLE and _under(dlg.edits[attr]), attr
    assert dlg.edits["name"].styleSheet() == ""
    assert not boxes and len(dlg.rows) == n  # inline, and nothing saved
    assert "gui-payee" not in {r.code for r in payees.list_payees(admin)}
    if SHOTS:
        dlg.grab().save(os.path.join(SHOTS, "payees_problems.png"))

    dlg.edits["inn"].setText("7707083893")
    dlg.edits["postal_index"].setText("117997")
    dlg.edits["purpose_template"].setText("Оплата услуг связи по л/с {account}")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert not dlg.problems.isVisibleTo(dlg) and not boxes
    saved = payees.get(admin, "gui-payee")
    assert saved.inn == "7707083893" and saved.tech_code == "09" and saved.kind == "isp"
    assert "gui-payee" in {r.code for r in dlg.rows} and dlg.edits["code"].isReadOnly()
    assert dlg.gw_save.isEnabled() and "шлюз не настроен" in dlg.secret_status.text()

    # The gateway group: a plain-http bank URL is refused inline; a secret gets the env-variable guidance.
    dlg.provider.setCurrentIndex(dlg.provider.findData("sberbank"))
    dlg.url.setText("http://securepayments.sberbank.ru")
    dlg.login.setText("api-login")
    dlg.secret.setText(SECRET)
    assert dlg.secret.echoMode() == dlg.secret.EchoMode.Password
    qtbot.mouseClick(dlg.gw_save, Qt.MouseButton.LeftButton)
    assert _under(dlg.url) and dlg.url.styleSheet() == BAD_STYLE
    dlg.url.setText("https://securepayments.sberbank.ru")
    qtbot.mouseClick(dlg.gw_save, Qt.MouseButton.LeftButton)
    assert "CASHIER_GW_SECRET_SBERBANK_GUI_PAYEE" in _under(dlg.secret) + dlg.gw_problems.text()
    assert SECRET not in _under(dlg.secret) + dlg.gw_problems.text() and dlg.secret.styleSheet() == BAD_STYLE
    assert payees.get(admin, "gui-payee").gateway_provider is None
    dlg.secret.clear()
    qtbot.mouseClick(dlg.gw_save, Qt.MouseButton.LeftButton)
    assert not dlg.gw_problems.isVisibleTo(dlg) and not boxes
    assert dlg.secret_status.text() == "секрет: не задан"
    assert payees.get(admin, "gui-payee").gateway_base_url == "https://securepayments.sberbank.ru"
    monkeypatch.setenv("CASHIER_GW_SECRET_SBERBANK_GUI_PAYEE", SECRET)
    dlg.fill(payees.get(admin, "gui-payee"))
    assert dlg.secret_status.text() == "секрет: в переменной окружения CASHIER_GW_SECRET_SBERBANK_GUI_PAYEE"
    if SHOTS:
        dlg.grab().save(os.path.join(SHOTS, "payees_saved.png"))

    # Selecting a demo payee fills the form; its loopback gateway runs on the sandbox's demo secret.
    i = next(i for i, r in enumerate(dlg.rows) if r.code == "interra")
    dlg.table.selectRow(i)
    assert dlg.edits["inn"].text() == "4027001231" and dlg.url.text() == "http://127.0.0.1:8765"
    assert dlg.secret_status.text() == "секрет: демо-песочница"


def test_menu_entry_opens_for_admin_and_refuses_a_cashier(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    boxes: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: boxes.append(str(a[2])))
    window = MainWindow(ctx_for(fresh_db, "cashier"), SyncRunner())
    qtbot.addWidget(window)
    payee_actions.install(window)
    menus = [x for x in window.menuBar().findChildren(QMenu) if x.title().replace("&", "") == "Сервис"]
    assert len(menus) == 1 and window.action("payees_action") in menus[0].actions()
    window.action("payees_action").trigger()
    assert boxes and "Недостаточно прав" in boxes[0] and window.live_dialog(PayeesDialog) is None
    window.set_user(ctx_for(fresh_db, "admin").user)
    window.action("payees_action").trigger()
    assert window.live_dialog(PayeesDialog).isVisible() and len(boxes) == 1
