"""The F7 dialog: link, QR, live status through the watcher, and the account card refreshed when paid."""

from __future__ import annotations

import zxingcpp
from PySide6.QtCore import QUrl

from cashier_app.services import cards
from cashier_app.storage.db import Database
from cashier_app.ui import card_actions
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import OperationRunner
from tests.test_card_helpers import Office, account_of, balance, bank, ctx_for, office

__all__ = ["bank", "office"]


def _window(qtbot, db: Database):  # type: ignore[no-untyped-def]
    runner = OperationRunner()
    window = MainWindow(ctx_for(db), runner)
    qtbot.addWidget(window)
    card_actions.install(window)
    window.card_watcher.poll_secs = 0.2
    opened: list[str] = []
    window.card_open_url = lambda url: opened.append(QUrl(url).toString())
    return window, runner, opened


def _finish(qtbot, window, runner) -> None:  # type: ignore[no-untyped-def]
    """Close the dialog and let queued results arrive while the window still exists."""
    window.card_dialog.close()
    window.card_watcher.timer.stop()
    runner.wait_idle(5000)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=5_000)


def test_dialog_pays_an_account_and_refreshes_the_card(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    number = account_of(office.db, "interra")
    before = balance(office.db, number)
    window, runner, opened = _window(qtbot, office.db)
    window.show_card(cards.account_card(office.db, number))
    assert window.buttons["card"].isEnabled()
    window.trigger("card")
    dialog = window.card_dialog
    dialog.amount.setText("1 234,50")
    dialog.grab().save("/tmp/card_dialog_empty.png")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.order is not None and bool(dialog.url_label.text()), timeout=10_000)
    assert not dialog.qr.pixmap().isNull()
    assert opened == [dialog.order.payment_url]
    # The QR on screen decodes to the very link (the customer's phone opens it).
    image = dialog.qr.pixmap().toImage()
    decoded = zxingcpp.read_barcodes(image)
    assert decoded and decoded[0].text == dialog.order.payment_url
    assert window.pending_label.text() == "Ожидают оплаты: 1"
    dialog.grab().save("/tmp/card_dialog_link.png")
    office.bank.pay(dialog.order.order_number, "sberbank")
    qtbot.waitUntil(lambda: dialog.status.text() == "Оплачено", timeout=10_000)
    dialog.grab().save("/tmp/card_dialog_paid.png")
    qtbot.waitUntil(lambda: window.current is not None and window.current.balance_minor == before + 123_450,
                    timeout=10_000)
    assert window.pending_label.text() == ""
    assert not dialog.open_button.isVisible() and not dialog.cancel_button.isVisible()
    _finish(qtbot, window, runner)


def test_closed_dialog_keeps_watching_in_the_background(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    number = account_of(office.db, "dem")
    before = balance(office.db, number)
    window, runner, _opened = _window(qtbot, office.db)
    window.show_card(cards.account_card(office.db, number))
    window.trigger("card")
    dialog = window.card_dialog
    dialog.amount.setText("500")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.order is not None, timeout=10_000)
    order_number = dialog.order.order_number
    dialog.close()
    office.bank.pay(order_number, "tbank")
    qtbot.waitUntil(lambda: balance(office.db, number) == before + 50_000, timeout=10_000)
    qtbot.waitUntil(lambda: window.pending_label.text() == "", timeout=5_000)
    _finish(qtbot, window, runner)


def test_wrong_amount_is_refused_with_the_field_name(qtbot, office: Office, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.show_error", lambda _p, exc: shown.append(str(exc)))
    window, runner, opened = _window(qtbot, office.db)
    window.show_card(cards.account_card(office.db, account_of(office.db, "interra")))
    window.trigger("card")
    dialog = window.card_dialog
    for text in ("", "abc", "-5", "0", "1,234"):
        dialog.amount.setText(text)
        dialog.create_button.click()
        qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=5_000)
        assert dialog.error.text().startswith("Сумма"), (text, dialog.error.text())
        dialog.error.setText("")
    assert dialog.order is None and opened == []
    _finish(qtbot, window, runner)
