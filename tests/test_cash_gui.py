"""Walk-through at the counter: sign in, open shift, find, take 1 000,50 in cash, slip preview, close, Z report."""

from __future__ import annotations

import io
import os

from pypdf import PdfReader
from PySide6.QtWidgets import QLabel

from cashier_app.services.context import DeskContext
from cashier_app.ui import cash_actions
from cashier_app.ui.cash_payment_dialog import CashPaymentDialog
from cashier_app.ui.close_shift_dialog import CloseShiftDialog
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.open_shift_dialog import OpenShiftDialog
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.pdf_preview import PdfPreviewDialog
from cashier_app.ui.sign_in_dialog import SignInDialog

SHOTS = os.environ.get("CASHIER_SCREENSHOTS")  # a directory: save each dialog for a human to look at


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, f"{name}.png"))


def test_cashier_walkthrough(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: errors.append(str(a[2])))
    runner = SyncRunner()
    ctx = DeskContext(fresh_db, "desk-gui")

    # Sign in: a wrong password first, then the right one.
    sign_in = SignInDialog(fresh_db, ctx.desk, runner)
    qtbot.addWidget(sign_in)
    sign_in.login.setText("cashier")
    sign_in.password.setText("wrong")
    sign_in.submit()
    assert "осталось попыток" in sign_in.error.text() and sign_in.user is None
    sign_in.password.setText("cashier")
    _shot(sign_in, "sign_in")
    sign_in.submit()
    assert sign_in.user is not None and sign_in.user.role == "cashier"

    window = MainWindow(ctx, runner)
    qtbot.addWidget(window)
    cash_actions.install(window)
    window.set_user(sign_in.user)
    assert window.ctx.user.login == "cashier" and "Смирнова" in window.user_label.text()

    # Open the shift from the menu «Смена → Открыть».
    window.action("shift_open").trigger()
    dlg = window.live_dialog(OpenShiftDialog)
    dlg.float_edit.setText("1 000")
    _shot(dlg, "open_shift")
    dlg.submit()

    # Find the account and take cash.
    window.search.setText("0000001")
    window._run_query()
    qtbot.waitUntil(lambda: window.current is not None and window.current.number == "0000001")
    balance_before = window.current.balance_minor
    window.trigger("cash")
    pay = window.live_dialog(CashPaymentDialog)
    pay.amount.setText("-5")
    pay.submit()
    # Issue 12: said once, under the amount (no box), and gone once the amount is corrected.
    under = pay.findChild(QLabel, "amount_error")
    assert not errors and under.isVisible() and "отрицательной" in under.text() and not pay.error.isVisible()
    pay.amount.setText("1 000,50")
    assert not under.isVisible()
    pay.received.setText("2 000")
    assert pay.change_label.text() == "999,50\u00a0₽"
    _shot(pay, "cash_payment")
    pay.submit()
    assert pay.result is not None and pay.result.change_minor == 99950
    qtbot.waitUntil(lambda: window.current.balance_minor == balance_before + 100050)
    preview = window.live_dialog(PdfPreviewDialog)
    assert preview.page_count() == 1 and "Квитанция" in preview.windowTitle()
    _shot(preview, "slip_preview")
    slip_text = PdfReader(io.BytesIO(preview.pdf)).pages[0].extract_text()
    assert "КВИТАНЦИЯ ОБ ОПЛАТЕ" in slip_text

    # Close the shift with the counted cash: 1 000 + 1 000,50 = 2 000,50 expected, counted exactly.
    window.action("shift_close").trigger()
    close = window.live_dialog(CloseShiftDialog)
    assert close.expected.text() == "2\u00a0000,50\u00a0₽"
    close.notes["100000"].setText("2")
    close.notes["coins"].setText("0,50")
    assert close.counted.text() == "2\u00a0000,50" and close.difference.text() == "нет"
    _shot(close, "close_shift")
    asked: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.confirm", lambda _p, _t, text, _y=None: asked.append(text) or True)
    close.submit()
    # Asked first, with counted against expected.
    assert len(asked) == 1 and "2\u00a0000,50" in asked[0] and "Расхождение: нет" in asked[0]
    z = window.live_dialog(PdfPreviewDialog)
    assert "Z-отчёт" in z.windowTitle()
    text = PdfReader(io.BytesIO(z.pdf)).pages[0].extract_text().replace("\u00a0", " ").replace("\n", " ")
    for needle in ("Z-ОТЧЁТ", "Размен на начало 1 000,00", "1 на 1 000,50", "Ожидается в кассе 2 000,50",
                   "Пересчитано 2 000,50", "1000 ₽ 2 шт."):
        assert needle in text, needle
    assert errors == []

    # Switch user (Ctrl+L): the window stays, the user changes.
    window.action("switch_user").trigger()
    assert window.ctx.user is None and "Вход не выполнен" in window.user_label.text()
    nxt = window.live_dialog(SignInDialog)
    nxt.login.setText("admin")
    nxt.password.setText("admin")
    nxt.submit()
    assert window.ctx.user.login == "admin"
    # Ctrl+L hides the customer (issue 12 §2); the switch is Ctrl+Shift+L.
    assert window.action("switch_user").shortcut().toString() == "Ctrl+Shift+L"
    assert window.action("hide_customer").shortcut().toString() == "Ctrl+L"
