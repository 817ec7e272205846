"""What the cashier sees of fiscal receipts (offscreen): the payment dialogs' e-receipt fields, the journal's
fiscal column with «Повторить чек» and the receipt's details, the status bar register indicator.

Against the register emulator over loopback; every receipt is counted where it is made
(``srv.documents()``).  Bad input is refused inline, naming the field, before anything is sent.
"""

from __future__ import annotations

from typing import Any

import pytest
import zxingcpp
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from cashier_app.domain.errors import RuleViolation
from cashier_app.services import cards, fiscal_views
from cashier_app.storage.db import Database
from cashier_app.ui.card_payment_dialog import CardPaymentDialog
from cashier_app.ui.cash_payment_dialog import CashPaymentDialog
from cashier_app.ui.fiscal_actions import FiscalRegister
from cashier_app.ui.journal_dialog import JournalDialog
from cashier_app.ui.journal_model import FISCAL_COLUMN
from cashier_app.ui.operations import SyncRunner
from tests.fiscal.fc_helpers import account, ctx_for, docs_for, open_desk, pay, register, row_of, set_fiscal

__all__ = ["register"]


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "1,1")


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message box's text (errors and notes), instead of a modal box."""
    out: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: out.append(str(a[2])))
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.information", lambda *a: out.append(str(a[2])))
    return out


def _cash_dialog(qtbot: Any, ctx: Any, number: str) -> CashPaymentDialog:
    dlg = CashPaymentDialog(ctx, SyncRunner(), cards.account_card(ctx, number))
    qtbot.addWidget(dlg)
    return dlg


# --- payment dialogs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["ivanov@", "12345", "+7 912 345", "иванов собака mail"])
def test_cash_dialog_refuses_a_bad_contact_inline(qtbot: Any, fresh_db: Database, register: Any, said: list[str],
                                                  typed: str) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    dlg = _cash_dialog(qtbot, ctx, account(fresh_db))
    dlg.amount.setText("100")
    dlg.contact.setText(typed)
    dlg.submit()
    assert dlg.result is None and dlg.pay_button.isEnabled()
    # Issue 12: said once, under the contact field (no box, not repeated on the dialog's line).
    under = dlg.findChild(QLabel, "receipt_contact_error")
    assert under is not None and not under.isHidden() and under.text(), dlg.error.text()
    assert dlg.error.isHidden() and not said
    assert "c62828" in dlg.contact.styleSheet()
    assert register.documents() == [] or all(d["type"] != "sell" for d in register.documents())
    dlg.contact.setText("")  # typing again clears the mark and the text
    assert dlg.contact.styleSheet() == "" and under.isHidden()


def test_cash_dialog_sends_the_contact_and_no_paper(qtbot: Any, fresh_db: Database, register: Any,
                                                    said: list[str]) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    dlg = _cash_dialog(qtbot, ctx, account(fresh_db))
    assert not dlg.paperless.isEnabled()  # nothing to send an unprinted receipt to yet
    dlg.amount.setText("250")
    dlg.contact.setText("+7 (912) 345-67-89")
    assert dlg.paperless.isEnabled()
    dlg.paperless.setChecked(True)
    dlg.submit()
    assert dlg.result is not None, (dlg.error.text(), said)
    r = row_of(fresh_db, dlg.result.payment_number)
    assert r.contact == "+79123456789" and r.electronically and r.state == "done"
    [doc] = docs_for(register, r.key)
    assert doc["electronically"] is True and "+79123456789" in str(doc["client"])
    # Clearing the contact un-ticks «Без печати»: an unprinted receipt must reach someone.
    dlg.contact.setText("")
    assert not dlg.paperless.isChecked() and not dlg.paperless.isEnabled()


class _Watcher(QObject):
    updated = Signal(object)

    def watch(self, *_a: Any, **_k: Any) -> None:
        raise AssertionError("no order may be made for a refused form")


def test_card_dialog_refuses_a_bad_contact_before_the_bank(qtbot: Any, fresh_db: Database, said: list[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[Any] = []

    def start(*_a: Any, **k: Any) -> Any:
        called.append(k)
        raise RuleViolation("стоп: банк в этом тесте не нужен")

    monkeypatch.setattr("cashier_app.services.card_pending.start_or_reuse", start)
    ctx = ctx_for(fresh_db)
    dlg = CardPaymentDialog(ctx, SyncRunner(), _Watcher(), cards.account_card(ctx, account(fresh_db)),
                            open_url=lambda _u: True)
    qtbot.addWidget(dlg)
    dlg.create_button.setEnabled(True)
    dlg.amount.setText("100")
    dlg.contact.setText("not a contact")
    dlg.create()
    under = dlg.findChild(QLabel, "receipt_contact_error")  # issue 12: once, under the field
    assert called == [] and under is not None and not under.isHidden() and under.text() and dlg.error.isHidden()
    assert "c62828" in dlg.contact.styleSheet()
    dlg.contact.setText("buyer@example.ru")
    dlg.paperless.setChecked(True)
    dlg.create()
    assert called and called[0]["receipt_contact"] == "buyer@example.ru" and called[0]["receipt_paperless"] is True
    assert dlg.create_button.isEnabled() and dlg.contact.isEnabled()  # the refusal gives the form back


# --- the journal -------------------------------------------------------------------------------------------


def _journal(qtbot: Any, ctx: Any) -> JournalDialog:
    dlg = JournalDialog(ctx, SyncRunner())
    qtbot.addWidget(dlg)
    return dlg


def _select(dlg: JournalDialog, number: str) -> Any:
    for i in range(dlg.model.rowCount()):
        if dlg.model.row(i).number == number:
            dlg.table.selectRow(i)
            return dlg.model.row(i)
    raise AssertionError(number)


def _cell(dlg: JournalDialog, number: str) -> str:
    for i in range(dlg.model.rowCount()):
        if dlg.model.row(i).number == number:
            return str(dlg.model.index(i, FISCAL_COLUMN).data())
    raise AssertionError(number)


def test_journal_fiscal_column_retry_and_correction(qtbot: Any, fresh_db: Database, register: Any,
                                                    said: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    manager = ctx_for(fresh_db, "manager", ctx.desk)
    good = pay(ctx, 10_000)
    register.fault("sell", "drop_after_processing")  # made, the answer lost: the row stays «sent»
    lost = pay(ctx, 15_000, offset=1)
    register.fault("sell", "paper_out")  # refused: no document
    bad = pay(ctx, 20_000, offset=2)
    assert (good.fiscal.state, lost.fiscal.state, bad.fiscal.state) == ("done", "sent", "failed")
    dlg = _journal(qtbot, manager)
    assert _cell(dlg, good.payment_number) == "пробит"
    assert _cell(dlg, lost.payment_number) == "формируется"
    assert _cell(dlg, bad.payment_number) == "ошибка — повторите"
    _select(dlg, good.payment_number)
    assert not dlg.retry_button.isEnabled() and not dlg.correct_receipt_button.isEnabled()

    # «Повторить чек» on the lost answer: the register is asked first and the receipt is adopted, not re-made.
    lost_key = row_of(fresh_db, lost.payment_number).key
    assert len(docs_for(register, lost_key)) == 1
    _select(dlg, lost.payment_number)
    assert dlg.retry_button.isEnabled() and not dlg.correct_receipt_button.isEnabled()
    dlg.retry_button.click()
    assert [v.state for v in dlg.last_retry] == ["done"], said
    assert len(docs_for(register, lost_key)) == 1 and _cell(dlg, lost.payment_number) == "пробит"

    # The refused one, retried while the paper is still out: refused again (under a new key, since
    # the register keeps a refused uuid for ever) — nothing made, the reason shown.
    bad_key = row_of(fresh_db, bad.payment_number).key
    _select(dlg, bad.payment_number)
    assert dlg.retry_button.isEnabled() and dlg.correct_receipt_button.isEnabled()
    register.fault("sell", "paper_out")
    dlg.retry_button.click()
    assert [v.state for v in dlg.last_retry] == ["failed"], said
    second_key = row_of(fresh_db, bad.payment_number).key
    assert second_key != bad_key and docs_for(register, bad_key) == docs_for(register, second_key) == []
    # The manager settles it with a correction receipt instead: never a second sale.
    _select(dlg, bad.payment_number)
    monkeypatch.setattr("cashier_app.ui.journal_dialog.QInputDialog.getText",
                        lambda *a, **k: ("чек не пробит: нет бумаги", True))
    dlg.correct_receipt_button.click()
    assert "пробит" in said[-1], said
    assert _cell(dlg, bad.payment_number) == "исправлен коррекцией"
    sells = [d for d in register.documents() if d["type"] in ("sell", "sellCorrection")]
    assert [d["type"] for d in sells].count("sellCorrection") == 1 and len(sells) == 3  # good, lost, correction
    _select(dlg, bad.payment_number)
    assert not dlg.retry_button.isEnabled() and not dlg.correct_receipt_button.isEnabled()


def test_cashier_cannot_correct(qtbot: Any, fresh_db: Database, register: Any) -> None:
    dlg = _journal(qtbot, ctx_for(fresh_db, "cashier"))
    assert not dlg.correct_receipt_button.isVisibleTo(dlg) and dlg.retry_button.isVisibleTo(dlg)


def test_journal_receipt_details_show_the_fns_qr(qtbot: Any, fresh_db: Database, register: Any,
                                                 said: list[str]) -> None:
    set_fiscal(fresh_db, register, "atol_online")
    ctx = open_desk(fresh_db, register)
    res = pay(ctx, 33_300, contact="buyer@example.ru")
    dlg = _journal(qtbot, ctx)
    _select(dlg, res.payment_number)
    dlg.receipt_button.click()
    details = dlg.receipt_dialog
    labels = [w.text() for w in details.findChildren(type(dlg.totals))]
    r = row_of(fresh_db, res.payment_number)
    assert str(r.fd_number) in labels and r.fiscal_sign in labels and r.fn_number in labels
    assert "buyer@example.ru" in labels
    [view] = fiscal_views.receipts(ctx, payment=res.payment_number)
    from PySide6.QtWidgets import QLabel

    image = details.findChild(QLabel, "fns_qr").pixmap().toImage()
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [view.qr]


def test_journal_entry_without_receipt(qtbot: Any, fresh_db: Database, register: Any, said: list[str]) -> None:
    set_fiscal(fresh_db, register, "none")
    ctx = open_desk(fresh_db, register)
    res = pay(ctx, 1_000)
    dlg = _journal(qtbot, ctx)
    assert _cell(dlg, res.payment_number) == ""
    _select(dlg, res.payment_number)
    assert not dlg.retry_button.isEnabled()
    dlg.receipt_button.click()
    assert said[-1] == f"У записи {res.payment_number} нет фискального чека."


# --- the status bar ----------------------------------------------------------------------------------------


def _window(qtbot: Any, ctx: Any, runner: Any) -> Any:
    from cashier_app.ui import fiscal_actions
    from cashier_app.ui.main_window import MainWindow

    user = ctx.user
    ctx.user = None
    window = MainWindow(ctx, runner)
    qtbot.addWidget(window)
    fiscal_actions.install(window)
    window.set_user(user)
    return window


def test_status_bar_tells_the_register_state(qtbot: Any, fresh_db: Database, register: Any) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    window = _window(qtbot, ctx, SyncRunner())
    button = window.capability(FiscalRegister).indicator.button
    qtbot.waitUntil(lambda: button.text() == "ККТ: готова", timeout=5_000)
    register.set_state(paper=False)
    window.capability(FiscalRegister).indicator.refresh()
    assert button.text() == "ККТ: нет бумаги" and button.isVisibleTo(window)
    register.set_state(paper=True, unsent=3)
    window.capability(FiscalRegister).indicator.refresh()
    assert button.text() == "ККТ: готова; не отправлено в ОФД: 3"
    register.stop()
    window.capability(FiscalRegister).indicator.refresh()
    assert button.text() == "ККТ: нет связи" and "ККТ не отвечает" in button.toolTip()


def test_start_up_reconcile_settles_receipts_off_the_gui_thread(qtbot: Any, fresh_db: Database, register: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A receipt left «sent» (the answer lost) is settled after sign-in, on a worker thread, exactly once."""
    import threading

    from cashier_app.services import fiscal_delivery, fiscal_shifts
    from cashier_app.ui.operations import OperationRunner

    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    register.fault("sell", "drop_after_processing")
    res = pay(ctx, 7_700)
    assert res.fiscal.state in ("sent", "pending")
    key = row_of(fresh_db, res.payment_number).key
    threads: list[bool] = []
    real_reconcile, real_status = fiscal_delivery.reconcile, fiscal_shifts.register_status

    def reconcile(c: Any, **kw: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return real_reconcile(c, **kw)

    def status(c: Any, **kw: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return real_status(c, **kw)

    monkeypatch.setattr(fiscal_delivery, "reconcile", reconcile)
    monkeypatch.setattr(fiscal_shifts, "register_status", status)
    runner = OperationRunner()
    window = _window(qtbot, ctx, runner)
    try:
        qtbot.waitUntil(lambda: row_of(fresh_db, res.payment_number).state == "done", timeout=15_000)
        qtbot.waitUntil(lambda: window.capability(FiscalRegister).indicator.button.text() == "ККТ: готова", timeout=10_000)
    finally:
        window.capability(FiscalRegister).indicator.timer.stop()
        runner.wait_idle(10_000)
    assert threads and not any(threads)  # every register question ran off the GUI thread
    assert len(docs_for(register, key)) == 1


def test_journal_export_has_the_receipt_column(fresh_db: Database, register: Any, tmp_path: Any) -> None:
    from cashier_app.services import payments_journal as pj

    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    good = pay(ctx, 10_000)
    register.fault("sell", "paper_out")
    bad = pay(ctx, 20_000, offset=1)
    manager = ctx_for(fresh_db, "manager", ctx.desk)
    rows = {r.number: r.fiscal for r in pj.query(manager).rows}
    assert rows[good.payment_number] == "done" and rows[bad.payment_number] == "failed"
    pj.export(manager, None, tmp_path / "p.csv", "csv")
    lines = (tmp_path / "p.csv").read_text("utf-8-sig").splitlines()
    at = lines[0].split(";").index("Чек")  # issue 14 added «Биллинг» after it
    by_number = {c[0]: c[at] for c in (ln.split(";") for ln in lines[1:]) if len(c) > at}
    assert by_number[good.payment_number] == "пробит" and by_number[bad.payment_number] == "ошибка"


def test_refund_entry_shows_its_return_receipt(qtbot: Any, fresh_db: Database, register: Any,
                                               said: list[str]) -> None:
    from cashier_app.services import corrections

    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    manager = open_desk(fresh_db, register, "manager", "desk-2")  # a refund in cash needs its own open shift
    paid = pay(ctx, 12_000)
    res = corrections.refund_payment(manager, paid.payment_number, "ошибка кассира", amount_minor=5_000,
                                     customer="Иванов И. И.")
    dlg = _journal(qtbot, manager)
    assert _cell(dlg, paid.payment_number) == "пробит" and _cell(dlg, res.entry_number) == "пробит"
    _select(dlg, res.entry_number)
    dlg.receipt_button.click()
    texts = [w.text() for w in dlg.receipt_dialog.findChildren(type(dlg.totals))]
    assert "возврат прихода" in texts
    returns = [d for d in register.documents() if d["type"] == "sellReturn"]
    assert len(returns) == 1 and returns[0]["total_minor"] == 5_000
