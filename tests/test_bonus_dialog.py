"""The spending dialog and the rates dialog, driven like a manager and an administrator would."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMenu
from sqlalchemy import select

from cashier_app.services import bonuses, cards
from cashier_app.storage import models as m
from cashier_app.ui import bonus_actions, messages, rates_dialog
from cashier_app.ui.bonus_dialog import BonusDialog
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.rates_dialog import RatesDialog
from tests.conftest import TODAY
from tests.test_bonuses_service import add_booking, manager_ctx, set_balance
from tests.test_ledger import ctx_for

SHOTS = Path("/tmp")


def _dialog(qtbot, db, number: str, done: list, asked: list | None = None) -> BonusDialog:  # type: ignore[no-untyped-def]
    ctx = manager_ctx(db)
    info = bonuses.spend_info(ctx, number, TODAY)
    dlg = BonusDialog(ctx, SyncRunner(), info, TODAY, on_done=done.append)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_hint_refusal_inline_then_success(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, _title, text, _yes=None: asked.append(text) or True)
    number = add_booking(fresh_db, price=100_000, paid=90_000)
    set_balance(fresh_db, "manager", "plus", 3_000)
    set_balance(fresh_db, "manager", "select", 50_000)
    done: list = []
    dlg = _dialog(qtbot, fresh_db, number, done)
    assert dlg.hint_labels["plus"].text() == "30,00\u00a0$"  # the balance binds
    assert dlg.hint_labels["select"].text() == "100,00\u00a0$"  # the 10 % cap binds
    dlg.edits["plus"].setText("30,01")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert "Недостаточно бонусов" in dlg.error.text()
    assert dlg.isVisible() and not done
    dlg.grab().save(str(SHOTS / "bonus_dialog_refused.png"))
    # Issue 12: a bad amount is said once, under its own field, and goes when corrected.
    dlg.edits["plus"].setText("abc")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    under = dlg.findChild(QLabel, "amount_plus_error")
    assert under is not None and under.isVisible() and under.text() and not dlg.error.isVisible()
    dlg.edits["plus"].setText("30")
    assert not under.isVisible()
    dlg.edits["select"].setText("20,50")
    assert dlg.to_spend_label.text() == "50,50\u00a0$" and dlg.left_label.text() == "49,50\u00a0$"
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    # Asked first (the amount), then the success stays on screen with what is left.
    assert len(asked) == 1 and "50,50" in asked[0]
    assert done and done[0].total_minor == 5_050 and dlg.isVisible()
    assert "Списано 50,50" in dlg.error.text() and "осталось оплатить 49,50" in dlg.error.text()
    assert not dlg.ok_button.isVisible()


def test_blocked_booking_shows_reason_and_disables(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=50_000)
    dlg = _dialog(qtbot, fresh_db, number, [])
    assert "для списания бонусов нужно не меньше 90 %" in dlg.error.text()
    assert not dlg.ok_button.isEnabled()


def test_more_than_due_says_so_and_refusing_confirm_spends_nothing(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(messages, "confirm", lambda *_a: False)
    number = add_booking(fresh_db, price=100_000, paid=97_000)  # 30,00 $ due
    set_balance(fresh_db, "manager", "plus", 50_000)
    set_balance(fresh_db, "manager", "select", 50_000)
    done: list = []
    dlg = _dialog(qtbot, fresh_db, number, done)
    assert dlg.available_label.text() == "1\u00a0000,00\u00a0$"
    dlg.edits["plus"].setText("20")
    dlg.edits["select"].setText("20")
    assert "Больше суммы к оплате" in dlg.error.text() and "Недостаточно" not in dlg.error.text()
    assert not dlg.ok_button.isEnabled() and dlg.left_label.text() == "0,00\u00a0$"
    dlg.edits["select"].setText("5")  # corrected: the message goes, the button comes back
    assert not dlg.error.isVisible() and dlg.ok_button.isEnabled()
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert not done  # «Отмена» in the question: nothing written
    info = bonuses.spend_info(manager_ctx(fresh_db), number, TODAY)
    assert info.paid_minor == 97_000


def test_main_window_button_menu_and_account_message(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda *_a: True)
    monkeypatch.setattr(messages, "show_info", lambda _p, text, title=None: shown.append(text))
    number = add_booking(fresh_db, price=100_000, paid=90_000)
    set_balance(fresh_db, "manager", "plus", 3_000)
    window = MainWindow(manager_ctx(fresh_db), SyncRunner())
    qtbot.addWidget(window)
    bonus_actions.install(window)
    with fresh_db.read() as uow:
        acc_number = uow.session.execute(select(m.Account.number).limit(1)).scalar_one()
    window.show_card(cards.account_card(ctx_for(fresh_db), acc_number))
    assert not window.buttons["bonuses"].isEnabled()
    bonus_actions.open_bonuses(window, window.current)
    assert shown and "только в оплату заявки" in shown[0]
    window.show_card(cards.booking_card(ctx_for(fresh_db), number, TODAY))
    assert window.buttons["bonuses"].isEnabled()
    window.trigger("bonuses")
    dlg = window.live_dialog(BonusDialog)
    dlg.edits["plus"].setText("30")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert window.current.paid_minor == 93_000  # the card was refreshed by action_finished
    menus = [x for x in window.menuBar().findChildren(QMenu) if x.title().replace("&", "") == "Сервис"]
    assert len(menus) == 1 and window.action("rates_action") in menus[0].actions()
    window.action("rates_action").trigger()
    assert window.live_dialog(RatesDialog).isVisible()


def test_rates_dialog_add_edit_import(qtbot, fresh_db, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dlg = RatesDialog(ctx_for(fresh_db, "admin"), SyncRunner())
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.currency.currentText() == "EUR" and dlg.table.rowCount() >= 30
    dlg.currency.setCurrentText("USD")
    dlg.reload()
    dlg.table.selectRow(0)
    assert dlg.rate.text() and dlg.day.date().toPython() == TODAY
    dlg.rate.setText("92,45678")
    qtbot.mouseClick(dlg.save, Qt.MouseButton.LeftButton)
    under = dlg.findChild(QLabel, "rate_error")  # issue 12: once, under the rate; gone when corrected
    assert under is not None and not under.isHidden() and under.text() and dlg.status.text() == ""
    dlg.rate.setText("95,5")
    assert under.isHidden()
    qtbot.mouseClick(dlg.save, Qt.MouseButton.LeftButton)
    assert "95,5000" in dlg.status.text() and "было" in dlg.status.text()
    assert dlg.table.item(0, 1).text() == "95,5000"
    f = tmp_path / "r.csv"
    f.write_text("currency;date;rate\nUSD;2031-01-02;90\n", encoding="utf-8")
    monkeypatch.setattr(rates_dialog, "ask_csv_file", lambda _p: str(f))
    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    assert "новых 1" in dlg.status.text()
    assert dlg.table.item(0, 0).text() == "02.01.2031"
    dlg.grab().save(str(SHOTS / "rates_dialog.png"))
    cashier = RatesDialog(ctx_for(fresh_db, "cashier"), SyncRunner())
    qtbot.addWidget(cashier)
    cashier.rate.setText("90")
    qtbot.mouseClick(cashier.save, Qt.MouseButton.LeftButton)
    assert "Недостаточно прав" in cashier.status.text()
    assert date(2031, 1, 2)  # keeps the import date readable above
