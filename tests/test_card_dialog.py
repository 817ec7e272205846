"""The F7 dialog: link, QR, live status through the watcher, and the account card refreshed when paid."""

from __future__ import annotations

import pytest
import zxingcpp
from PySide6.QtCore import QUrl

from cashier_app.services import cards
from cashier_app.storage.db import Database
from cashier_app.ui import card_actions
from cashier_app.ui.card_payment_dialog import CardPaymentDialog
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.notifications import notifier_of
from cashier_app.ui.operations import OperationRunner
from tests.test_card_helpers import Office, account_of, balance, bank, ctx_for, office

__all__ = ["bank", "office"]


def _pending_text(window) -> str:  # type: ignore[no-untyped-def]
    """The status bar's «Ожидают оплаты: N» counter (CardPayments owns it, issue 12)."""
    return card_actions.card_payments_of(window).pending_label.text()


def _pending_dialog():  # type: ignore[no-untyped-def]
    from cashier_app.ui.pending_orders_dialog import PendingOrdersDialog

    return PendingOrdersDialog


@pytest.fixture(autouse=True)
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every question the dialogs ask (closing a pending order, cancelling): recorded, answered «yes»."""
    questions: list[str] = []

    def confirm(_parent, _title: str, text: str, _yes=None) -> bool:  # type: ignore[no-untyped-def]
        questions.append(text)
        return True

    monkeypatch.setattr("cashier_app.ui.messages.confirm", confirm)
    return questions


def _f7(qtbot, window):  # type: ignore[no-untyped-def]
    """F7, then wait for the look-up of an unfinished order (the form is ready, or the order reopened)."""
    window.trigger("card")
    dialog = window.live_dialog(CardPaymentDialog)
    qtbot.waitUntil(lambda: dialog.create_button.isEnabled() or dialog.reopened, timeout=10_000)
    return dialog


def _window(qtbot, db: Database):  # type: ignore[no-untyped-def]
    runner = OperationRunner()
    window = MainWindow(ctx_for(db), runner)
    qtbot.addWidget(window)
    card_actions.install(window)
    card_actions.card_payments_of(window).watcher.poll_secs = 0.2
    opened: list[str] = []
    card_actions.card_payments_of(window).open_url = lambda url: opened.append(QUrl(url).toString())
    return window, runner, opened


def _finish(qtbot, window, runner) -> None:  # type: ignore[no-untyped-def]
    """Close the dialog and let queued results arrive while the window still exists."""
    import shiboken6
    from PySide6.QtWidgets import QApplication

    dialog = window.live_dialog(CardPaymentDialog)
    if dialog is not None and shiboken6.isValid(dialog):  # closed dialogs delete themselves (issue 12)
        dialog.close()
    QApplication.processEvents()  # a start-up reconcile not yet started starts now, and is waited for
    card_actions.card_payments_of(window).watcher.timer.stop()
    runner.wait_idle(5000)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=5_000)


def test_dialog_pays_an_account_and_refreshes_the_card(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    number = account_of(office.db, "interra")
    before = balance(office.db, number)
    window, runner, opened = _window(qtbot, office.db)
    window.show_card(cards.account_card(ctx_for(office.db), number))
    assert window.buttons["card"].isEnabled()
    dialog = _f7(qtbot, window)
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
    assert _pending_text(window).startswith("Ожидает оплаты 1 заказ")
    dialog.grab().save("/tmp/card_dialog_link.png")
    office.bank.pay(dialog.order.order_number, "sberbank")
    qtbot.waitUntil(lambda: dialog.status.text() == "Оплачено", timeout=10_000)
    dialog.grab().save("/tmp/card_dialog_paid.png")
    qtbot.waitUntil(lambda: window.current is not None and window.current.balance_minor == before + 123_450,
                    timeout=10_000)
    assert _pending_text(window) == ""
    assert not dialog.open_button.isVisible() and not dialog.cancel_button.isVisible()
    _finish(qtbot, window, runner)


def test_closed_dialog_keeps_watching_in_the_background(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    number = account_of(office.db, "dem")
    before = balance(office.db, number)
    window, runner, _opened = _window(qtbot, office.db)
    window.show_card(cards.account_card(ctx_for(office.db), number))
    dialog = _f7(qtbot, window)
    dialog.amount.setText("500")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.order is not None, timeout=10_000)
    order_number = dialog.order.order_number
    dialog.close()
    office.bank.pay(order_number, "tbank")
    qtbot.waitUntil(lambda: balance(office.db, number) == before + 50_000, timeout=10_000)
    qtbot.waitUntil(lambda: _pending_text(window) == "", timeout=5_000)
    _finish(qtbot, window, runner)


def test_wrong_amount_is_refused_with_the_field_name(qtbot, office: Office, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.show_error", lambda _p, exc: shown.append(str(exc)))
    window, runner, opened = _window(qtbot, office.db)
    window.show_card(cards.account_card(ctx_for(office.db), account_of(office.db, "interra")))
    dialog = _f7(qtbot, window)
    from PySide6.QtWidgets import QLabel

    for text in ("", "abc", "-5", "0", "1,234"):
        dialog.amount.setText(text)
        dialog.create_button.click()
        # Issue 12: once, under the amount; no box, nothing on the dialog's own line.
        under = dialog.findChild(QLabel, "amount_error")
        qtbot.waitUntil(lambda: under is not None and not under.isHidden(), timeout=5_000)  # noqa: B023
        assert under.text() and not shown and dialog.error.isHidden(), (text, under.text())
    dialog.amount.setText("12")
    assert under.isHidden()  # corrected: the text has gone
    assert dialog.order is None and opened == []
    _finish(qtbot, window, runner)


# --- issue 11 §1, §3: a pending order is never orphaned; the cashier is told ------------------------------

def _orders_of(db: Database, account: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from cashier_app.storage import models as m

    with db.read() as uow:
        s = uow.session
        aid = s.execute(select(m.Account.id).where(m.Account.number == account)).scalar_one()
        rows = s.execute(select(m.GatewayOrder.order_number, m.GatewayOrder.state)
                         .join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
                         .where(m.Payment.account_id == aid).order_by(m.GatewayOrder.id))
        return [(n, st) for n, st in rows]


def _create(qtbot, dialog, amount: str) -> None:  # type: ignore[no-untyped-def]
    dialog.amount.setText(amount)
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.order is not None and bool(dialog.url_label.text()), timeout=10_000)


def test_f7_again_reopens_the_pending_order_and_a_new_one_needs_the_first_cancelled(
        qtbot, office: Office, asked: list[str]) -> None:  # type: ignore[no-untyped-def]
    number = account_of(office.db, "interra", 1)
    window, runner, opened = _window(qtbot, office.db)
    window.show_card(cards.account_card(ctx_for(office.db), number))
    dialog = _f7(qtbot, window)
    _create(qtbot, dialog, "700")
    first, url = dialog.order.order_number, dialog.order.payment_url
    dialog.close()  # Esc / the cross: asks, and the order stays watched
    assert asked and first in asked[-1] and "останется под наблюдением" in asked[-1]
    assert not dialog.isVisible() and first in card_actions.card_payments_of(window).watcher.orders
    # F7 again: the same order, the same link and QR — not a second order.
    again = _f7(qtbot, window)
    assert again is not dialog and again.reopened
    assert again.order.order_number == first and again.url_label.text() == url
    decoded = zxingcpp.read_barcodes(again.qr.pixmap().toImage())
    assert decoded and decoded[0].text == url
    assert again.notice.isVisible() and first in again.notice.text()
    assert not again.create_button.isVisible() and again.cancel_button.text() == "Отменить первый заказ"
    assert not again.amount.isEnabled() and again.amount.text() == "700,00"
    again.show()
    qtbot.waitUntil(lambda: again.status.text() != "", timeout=5_000)
    again.grab().save("/tmp/card_dialog_reopened.png")
    assert _orders_of(office.db, number) == [(first, "registered")]
    assert opened == [url]  # the browser was opened once, for the order made
    # «Отменить первый заказ»: cancelled at the bank first, then the form is free for a new one.
    again.cancel_button.click()
    qtbot.waitUntil(lambda: again.create_button.isVisible() and again.create_button.isEnabled(), timeout=10_000)
    assert _orders_of(office.db, number) == [(first, "cancelled")]
    at_bank = {o["order_number"]: o["status"] for o in office.bank.orders(bank="sberbank")}
    assert at_bank[first] in ("CANCELED", "REVERSED")
    _create(qtbot, again, "800")
    assert again.order.order_number != first and again.order.payment_url != url
    assert _orders_of(office.db, number) == [(first, "cancelled"), (again.order.order_number, "registered")]
    _finish(qtbot, window, runner)


def test_closing_a_pending_order_asks_and_the_end_is_told(qtbot, office: Office, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    number = account_of(office.db, "dem", 1)
    window, runner, _opened = _window(qtbot, office.db)
    window.resize(1100, 700)
    window.show()
    window.show_card(cards.account_card(ctx_for(office.db), number))
    dialog = _f7(qtbot, window)
    _create(qtbot, dialog, "300")
    order_number = dialog.order.order_number
    monkeypatch.setattr("cashier_app.ui.messages.confirm", lambda *_a: False)  # «No»: stay
    dialog.show()
    dialog.reject()
    assert dialog.isVisible() and dialog.order is not None
    monkeypatch.setattr("cashier_app.ui.messages.confirm", lambda *_a: True)
    dialog.reject()
    assert not dialog.isVisible()
    office.bank.pay(order_number, "tbank")
    notes = notifier_of(window).history
    qtbot.waitUntil(lambda: any(order_number in n.text for n in notes), timeout=10_000)
    note = next(n for n in notes if order_number in n.text)
    assert note.title == "Оплачено картой" and note.level == "ok" and "Оплачено" in note.text
    assert order_number in window.statusBar().currentMessage()
    assert any(order_number in text for text in notifier_of(window).visible_texts())  # the toast is on screen
    window.grab().save("/tmp/card_toast.png")
    _finish(qtbot, window, runner)


def test_pending_orders_list_opens_copies_and_cancels(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QGuiApplication

    from cashier_app.services import card_pending

    a1, a2 = account_of(office.db, "interra", 2), account_of(office.db, "dem", 2)
    window, runner, _opened = _window(qtbot, office.db)
    o1 = card_pending.start_or_reuse(window.ctx, account=a1, amount_minor=12_345).order
    o2 = card_pending.start_or_reuse(window.ctx, account=a2, amount_minor=54_321).order
    for o in (o1, o2):
        card_actions.card_payments_of(window).watcher.watch(o.order_number)
    assert _pending_text(window).startswith("Ожидают оплаты 2 заказ")
    card_actions.card_payments_of(window).pending_label.click()  # the status-bar counter opens the list
    pending = window.live_dialog(_pending_dialog())
    qtbot.waitUntil(lambda: pending.table.rowCount() == 2, timeout=10_000)
    assert [pending.table.item(r, 0).text() for r in range(2)] == [o1.order_number, o2.order_number]
    assert pending.scope.text() == f"Касса {window.ctx.desk}"
    pending.show()
    pending.grab().save("/tmp/pending_orders.png")
    pending.table.selectRow(1)
    pending.copy_button.click()
    assert QGuiApplication.clipboard().text() == o2.payment_url
    pending.open_button.click()  # reopens the order in the F7 dialog
    qtbot.waitUntil(lambda: window.live_dialog(CardPaymentDialog) is not None
                    and window.live_dialog(CardPaymentDialog).order is not None, timeout=10_000)
    assert window.live_dialog(CardPaymentDialog).reopened and window.live_dialog(CardPaymentDialog).order.order_number == o2.order_number
    assert window.live_dialog(CardPaymentDialog).url_label.text() == o2.payment_url
    window.live_dialog(CardPaymentDialog).done(0)
    pending.table.selectRow(0)
    pending.cancel_button.click()
    qtbot.waitUntil(lambda: pending.table.rowCount() == 1, timeout=10_000)
    assert pending.table.item(0, 0).text() == o2.order_number
    assert _orders_of(office.db, a1) == [(o1.order_number, "cancelled")]
    # The menu opens the same list.
    window.action("pending_orders").trigger()
    assert window.live_dialog(_pending_dialog()) is not pending
    window.live_dialog(_pending_dialog()).done(0)
    pending.done(0)
    _finish(qtbot, window, runner)


def test_a_pending_payment_row_of_the_account_reopens_its_order(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services import card_pending

    number = account_of(office.db, "interra", 3)
    window, runner, _opened = _window(qtbot, office.db)
    order = card_pending.start_or_reuse(window.ctx, account=number, amount_minor=4_200).order
    window.show_card(cards.account_card(ctx_for(office.db), number))
    assert window.current.last_payments[0].number == order.payment_number
    window.account_view.payments.cellDoubleClicked.emit(0, 1)
    qtbot.waitUntil(lambda: window.live_dialog(CardPaymentDialog) is not None, timeout=10_000)
    assert window.live_dialog(CardPaymentDialog).reopened and window.live_dialog(CardPaymentDialog).order.order_number == order.order_number
    _finish(qtbot, window, runner)


def test_browser_that_does_not_open_is_said_and_the_link_can_be_copied(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QGuiApplication

    window, runner, _opened = _window(qtbot, office.db)
    card_actions.card_payments_of(window).open_url = lambda _url: False  # QDesktopServices.openUrl's answer when no browser opens
    window.show_card(cards.account_card(ctx_for(office.db), account_of(office.db, "interra", 4)))
    dialog = _f7(qtbot, window)
    _create(qtbot, dialog, "100")
    assert "Браузер не открылся" in dialog.error.text() and dialog.copy_button.isVisibleTo(dialog)
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.order.payment_url
    _finish(qtbot, window, runner)


def test_recovery_text_of_the_order_is_shown(qtbot, office: Office) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from cashier_app.services import card_pending
    from cashier_app.ui.card_payment_dialog import CardPaymentDialog

    number = account_of(office.db, "interra", 5)
    window, runner, _opened = _window(qtbot, office.db)
    order = card_pending.start_or_reuse(window.ctx, account=number, amount_minor=5_000).order
    text = "Ответ банка на регистрацию потерялся; заказа в банке не оказалось — зарегистрирован повторно."
    dialog = CardPaymentDialog(window.ctx, runner, card_actions.card_payments_of(window).watcher,
                               cards.account_card(ctx_for(office.db), number), order=replace(order, recovery=text),
                               open_url=lambda _u: True, parent=window)
    assert dialog.recovery.isVisibleTo(dialog) and dialog.recovery.text() == text
    _finish(qtbot, window, runner)


def test_reconcile_and_watcher_failures_reach_the_cashier_and_the_log(
        qtbot, office: Office, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from PySide6.QtWidgets import QApplication

    from cashier_app.services import card_payments, card_pending

    window, runner, _opened = _window(qtbot, office.db)
    QApplication.processEvents()  # the start-up reconcile (nothing open) starts, and is waited for
    runner.wait_idle(5000)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=5_000)
    assert notifier_of(window).history == []

    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("database gone")

    monkeypatch.setattr(card_payments, "reconcile", broken)
    caplog.set_level(logging.ERROR)
    card_actions.card_payments_of(window).watcher.reconcile()
    notes = notifier_of(window).history
    qtbot.waitUntil(lambda: len(notes) == 1, timeout=10_000)
    assert notes[0].title == "Проверка незавершённых оплат при запуске не выполнена"
    assert "результат неизвестен, проверьте журнал" in notes[0].text and notes[0].level == "error"
    assert any("reconcile failed" in r.getMessage() and r.exc_info for r in caplog.records)
    order = card_pending.start_or_reuse(window.ctx, account=account_of(office.db, "interra", 6),
                                        amount_minor=6_000).order
    monkeypatch.setattr(card_payments, "check", broken)
    card_actions.card_payments_of(window).watcher.watch(order.order_number)
    qtbot.waitUntil(lambda: len(notes) == 2, timeout=10_000)
    assert notes[1].title == f"Заказ № {order.order_number}: статус не проверен"
    assert any("status check failed" in r.getMessage() and r.exc_info for r in caplog.records)
    assert order.order_number in card_actions.card_payments_of(window).watcher.orders  # it goes on trying
    _finish(qtbot, window, runner)
