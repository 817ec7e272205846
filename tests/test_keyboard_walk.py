"""A keyboard-only walk at the counter (issue 12 §3): account typed → Enter → F6 → Enter → slip shown.

Counted with real key events (QTest): after the search text, at most four keystrokes take a
payment and show its slip.  The amount is pre-filled with what is due and has the focus.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cashier_app.services import shifts
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import OperationRunner
from tests.conftest import TODAY
from tests.test_ledger import balance, ctx_for

pytestmark = pytest.mark.gui


class _Keys:
    """Every keystroke after the search text goes through here, so the test can count them."""

    def __init__(self) -> None:
        self.count = 0

    def press(self, key: Qt.Key) -> None:
        self.count += 1
        target = QApplication.focusWidget() or QApplication.activeWindow()
        assert target is not None, "no widget has the keyboard focus"
        QTest.keyClick(target, key)


def _last_account(db) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from cashier_app.storage import models as m

    with db.read() as uow:
        return uow.session.execute(select(m.Account.number).order_by(m.Account.id.desc()).limit(1)).scalar_one()


def _gost(number: str) -> str:
    """A payment code as a keyboard-wedge scanner types it (ASCII: QTest's key events)."""
    return ("ST00012|Name=OOO Sever|PersonalAcc=40702810631000007404|BankName=PAO Sberbank|BIC=044525225|"
            f"CorrespAcc=30101810400000000225|PersAcc={number}|Sum=125050")


@pytest.mark.parametrize("how", ["typed", "scanned"])
def test_account_then_f6_then_enter_takes_the_payment_and_shows_the_slip(qtbot, fresh_db, how: str) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.app import _extensions
    from cashier_app.ui.cash_payment_dialog import CashPaymentDialog
    from cashier_app.ui.pdf_preview import PdfPreviewDialog

    ctx = ctx_for(fresh_db)
    ctx.today_override = TODAY
    shifts.open_shift(ctx, 0)
    runner = OperationRunner()
    window = MainWindow(ctx, runner)
    runner.setParent(window)
    qtbot.addWidget(window)
    for cls in _extensions():
        window.install(cls())
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)  # the keys go where a cashier's would
    window.search.setFocus()
    number = "0000001" if how == "typed" else _last_account(fresh_db)
    before = balance(fresh_db, number)

    keys = _Keys()
    if how == "typed":
        QTest.keyClicks(window.search, number)  # the search text: not counted
        keys.press(Qt.Key.Key_Return)  # open the card
    else:
        # The scanner types the code and its own Enter: none of it is the cashier's keystroke.
        QTest.keyClicks(window.search, _gost(number))
        QTest.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current is not None and window.current.number == number, timeout=10_000)
    qtbot.waitUntil(lambda: window.buttons["cash"].isEnabled(), timeout=10_000)
    keys.press(Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: window.live_dialog(CashPaymentDialog) is not None, timeout=10_000)
    dlg = window.live_dialog(CashPaymentDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.amount, timeout=5_000)
    if not dlg.amount.text():  # nothing due: the amount is typed (not counted as a command key)
        QTest.keyClicks(dlg.amount, "100")
    amount = dlg._rub_minor()
    assert amount and amount > 0
    keys.press(Qt.Key.Key_Return)  # «Принять оплату» is the default button
    qtbot.waitUntil(lambda: window.live_dialog(PdfPreviewDialog) is not None, timeout=15_000)
    preview = window.live_dialog(PdfPreviewDialog)
    assert "Квитанция" in preview.windowTitle()
    assert balance(fresh_db, number) == before + amount
    assert keys.count <= 4
    qtbot.waitUntil(lambda: window.current.balance_minor == before + amount, timeout=10_000)
    runner.wait_idle(10_000)
    qtbot.wait(50)
