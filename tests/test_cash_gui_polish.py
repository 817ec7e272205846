"""Cash desk polish: the paged payments journal, the refund dialog, the office documents journal, cash on hand."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from cashier_app.services import cash, documents, shifts
from cashier_app.services import payments_journal as pj
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m
from cashier_app.ui import cash_actions, messages
from cashier_app.ui.cash_on_hand_dialog import CashOnHandDialog
from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog
from cashier_app.ui.journal_dialog import JournalDialog
from cashier_app.ui.journal_model import JournalModel
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.pdf_preview import PdfPreviewDialog
from tests.conftest import TODAY
from tests.test_documents_service import debtor
from tests.test_ledger import ctx_for

pytestmark = pytest.mark.gui

SHOTS = os.environ.get("CASHIER_SCREENSHOTS")  # a directory: save each dialog for a human to look at
WEEK = pj.JournalFilter(date_from=TODAY - timedelta(days=7), date_to=TODAY)


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, f"{name}.png"))


@pytest.fixture
def said(monkeypatch):  # type: ignore[no-untyped-def]
    """Every message box of the UI, as text: errors and infos."""
    out: dict[str, list[str]] = {"errors": [], "infos": []}
    monkeypatch.setattr(messages, "show_error", lambda _p, exc: out["errors"].append(str(exc)))
    monkeypatch.setattr(messages, "show_info", lambda _p, text, title=None: out["infos"].append(text))
    return out


def _window(qtbot, ctx: DeskContext) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(ctx, SyncRunner())
    qtbot.addWidget(w)
    cash_actions.install(w)
    return w


# --- 1. the payments journal: a model with pages of 200 --------------------------------------


def test_service_pages_keep_totals_over_the_whole_filter(demo_db) -> None:  # type: ignore[no-untyped-def]
    manager = ctx_for(demo_db, "manager")
    whole = pj.query(manager, WEEK)
    assert whole.totals.count > 2 * pj.PAGE_ROWS  # the demo office has enough for three pages
    first = pj.page(manager, WEEK)
    assert len(first.rows) == pj.PAGE_ROWS and first.has_more and first.next_offset == pj.PAGE_ROWS
    assert first.totals == whole.totals
    numbers = [r.number for r in first.rows]
    offset = first.next_offset
    while True:
        nxt = pj.page(manager, WEEK, offset=offset)
        assert nxt.totals is None  # only the first page pays for the totals
        numbers += [r.number for r in nxt.rows]
        offset = nxt.next_offset
        if not nxt.has_more:
            break
    assert numbers == [r.number for r in whole.rows]  # no row lost or repeated between pages


@pytest.fixture
def journal_model(demo_db):  # type: ignore[no-untyped-def]
    runner, manager = SyncRunner(), ctx_for(demo_db, "manager")
    model = JournalModel(runner, lambda f, off: pj.page(manager, f, offset=off))
    runner.setParent(model)
    yield model  # kept alive until the model tester has disconnected from it
    model.deleteLater()


def test_journal_model_fetches_pages_and_passes_qtmodeltester(qtmodeltester, journal_model) -> None:  # type: ignore[no-untyped-def]
    model = journal_model
    totals: list[pj.JournalTotals] = []
    model.totals_changed.connect(totals.append)
    model.set_filter(WEEK)
    root = model.index(-1, -1)
    assert model.rowCount() == pj.PAGE_ROWS and model.canFetchMore(root)
    assert totals and totals[0].count > 2 * pj.PAGE_ROWS
    model.fetchMore(root)
    assert model.rowCount() == 2 * pj.PAGE_ROWS
    assert model.data(model.index(0, 0)) == model.row(0).number
    qtmodeltester.check(model, force_py=True)  # also fetches the remaining pages itself
    assert model.rowCount() == totals[0].count and not model.canFetchMore(root)
    model.set_filter(pj.JournalFilter(account="нет-такого"))
    assert model.rowCount() == 0 and not model.canFetchMore(root) and model.totals.count == 0


def test_journal_dialog_scrolls_in_pages(qtbot, demo_db, said) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.journal_dialog import JournalDialog

    dlg = JournalDialog(ctx_for(demo_db, "manager"), SyncRunner())
    qtbot.addWidget(dlg)
    dlg.date_from.setDate(dlg.date_from.date().addDays(-7))
    dlg.reload()
    assert dlg.model.rowCount() == pj.PAGE_ROWS
    assert "показано 200" in dlg.totals.text() and dlg.totals.text().startswith("Записей: ")
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.table.scrollToBottom()  # the view asks the model for the next page itself
    qtbot.waitUntil(lambda: dlg.model.rowCount() > pj.PAGE_ROWS)
    _shot(dlg, "journal")
    # A wrong filter is refused naming the field, and the rows are not silently kept.
    dlg.date_to.setDate(dlg.date_from.date().addDays(-1))
    dlg.reload()
    under = dlg.findChild(QLabel, "date_to_error")  # issue 12: once, by the date field, no box
    assert said["errors"] == [] and under.text() == "раньше даты «с»" and dlg.model.rowCount() == 0


# --- 2. refund: amount, customer, reason; the application opens in the preview ---------------


def test_refund_asks_amount_customer_reason_and_shows_the_application(qtbot, fresh_db, said, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    manager = DeskContext(fresh_db, "desk-2", manager.user)
    shifts.open_shift(cashier, 0)
    shifts.open_shift(manager, 500_000)
    paid = cash.take_cash(cashier, token=cash.new_token(), amount_minor=100050, account="0000001")
    with fresh_db.read() as uow:
        owner = uow.session.execute(
            select(m.Contract.full_name).join(m.Account, m.Account.contract_id == m.Contract.id)
            .where(m.Account.number == "0000001")).scalar_one()

    window = _window(qtbot, manager)
    window.action("journal_payments").trigger()
    journal = window.live_dialog(JournalDialog)
    journal.target.setText("0000001")
    journal.reload()
    row = next(i for i, r in enumerate(journal.model.rows) if r.number == paid.payment_number)
    journal.table.selectRow(row)
    journal.refund_button.click()
    dlg = journal.refund_dialog
    assert dlg.isVisible() and paid.payment_number in dlg.windowTitle()
    assert dlg.amount.text() == "1 000,50"  # the whole remainder by default
    assert dlg.customer.text() == owner  # prefilled from the account's owner
    _shot(dlg, "refund")

    # Issue 12: each mistake is said once, under its field, not in a box.
    for amount, customer, reason, field, error in (
        ("2 000", owner, "отказ", "amount", "не больше остатка 1\u00a0000,50\u00a0₽"),
        ("10,555", owner, "отказ", "amount", "не больше двух знаков после запятой"),
        ("0", owner, "отказ", "amount", "сумма должна быть больше нуля"),
        ("400,50", "  ", "отказ", "customer", "укажите Ф.И.О. того, кому выдаются деньги"),
        ("400,50", owner, "", "reason", "укажите причину возврата"),
    ):
        dlg.amount.setText(amount)
        dlg.customer.setText(customer)
        dlg.reason.setText(reason)
        dlg.submit()
        under = dlg.findChild(QLabel, f"{field}_error")
        assert under.isVisible() and under.text() == error and dlg.isVisible()
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, _t, text, _y=None: asked.append(text) or True)
    dlg.amount.setText("400,50")
    dlg.customer.setText("Иванов Пётр Сергеевич")
    dlg.reason.setText("отказ от услуги")
    dlg.submit()
    assert len(asked) == 1 and "400,50" in asked[0]  # the amount is asked about first
    assert not dlg.isVisible()
    assert said["infos"] and "400,50" in said["infos"][-1]
    preview = window.live_dialog(PdfPreviewDialog)
    assert "Заявление на возврат" in preview.windowTitle() and preview.page_count() == 1
    text = PdfReader(io.BytesIO(preview.pdf)).pages[0].extract_text().replace("\u00a0", " ")
    assert "Иванов Пётр Сергеевич" in text and "400,50" in text and "отказ от услуги" in text

    # The second refund offers what is left; the journal shows the refund entry.
    assert any(r.entry_kind == "refund" for r in journal.model.rows)
    journal.table.selectRow(next(i for i, r in enumerate(journal.model.rows) if r.number == paid.payment_number))
    journal.refund_button.click()
    assert journal.refund_dialog.amount.text() == "600,00"
    assert said["errors"] == []  # the five wrong inputs were said inline, no box


# --- 3. «Журнал → Документы»: every journaled document --------------------------------------


def test_documents_menu_lists_filters_reprints_and_saves(qtbot, fresh_db, said, monkeypatch,
                                                         tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cashier = ctx_for(fresh_db, "cashier")
    cashier.today_override = TODAY
    pd4 = documents.issue(cashier, "pd4", account=debtor(fresh_db), today=TODAY)
    shifts.open_shift(cashier, 100_000)
    x = shifts.x_report(cashier).document

    window = _window(qtbot, cashier)
    window.action("journal_documents").trigger()
    dlg = window.live_dialog(DocumentsJournalDialog)
    assert dlg.office and dlg.kind.isVisibleTo(dlg)
    shown = [dlg.model.data(dlg.model.index(r, 0)) for r in range(dlg.model.rowCount())]
    assert shown == [x.number, pd4.number]  # newest first
    assert dlg.model.data(dlg.model.index(1, 2)) == "Квитанция ПД-4 (банк)"
    assert dlg.status.text() == "Документов: 2"
    _shot(dlg, "documents")

    dlg.kind.setCurrentIndex(dlg.kind.findData("x_report"))
    dlg.reload()
    assert [ln.number for ln in dlg.lines] == [x.number]
    dlg.reprint_button.click()
    assert dlg.preview.pdf == x.pdf

    out = tmp_path / "copy.pdf"
    monkeypatch.setattr("cashier_app.ui.documents_journal_dialog.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(out), "PDF (*.pdf)"))
    dlg.save_selected()
    assert out.read_bytes() == x.pdf

    dlg.kind.setCurrentIndex(0)
    dlg.date_to.setDate(dlg.date_to.date().addDays(-1))
    dlg.reload()
    assert dlg.lines == [] and not dlg.reprint_button.isEnabled()
    dlg.date_from.setDate(dlg.date_to.date().addDays(1))
    dlg.reload()
    assert said["errors"] == [] and dlg.findChild(QLabel, "date_to_error").text() == "раньше даты «с»"


def test_card_documents_journal_still_has_no_filters(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

    cashier = ctx_for(fresh_db, "cashier")
    number = debtor(fresh_db)
    doc = documents.issue(cashier, "pd4", account=number, today=TODAY)
    dlg = DocumentsJournalDialog(cashier, SyncRunner(), account=number)
    qtbot.addWidget(dlg)
    assert not dlg.office and not dlg.kind.isVisibleTo(dlg)
    assert [ln.number for ln in dlg.lines] == [doc.number]


def test_document_list_service_refuses_unknown_kind(demo_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.domain.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        documents.list_office_documents(ctx_for(demo_db, "cashier"), documents.DocumentFilter(kind="letter"))
    assert err.value.field == "Вид документа"


# --- 4. «Смена → Наличные в кассе» ---------------------------------------------------------------


def test_cash_on_hand_per_cashier_and_desk(qtbot, fresh_db, said) -> None:  # type: ignore[no-untyped-def]
    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    manager = DeskContext(fresh_db, "desk-2", manager.user)
    shifts.open_shift(cashier, 100_000)
    cash.take_cash(cashier, token=cash.new_token(), amount_minor=100050, account="0000001")
    shifts.open_shift(manager, 50_000)

    window = _window(qtbot, manager)
    window.action("shift_cash_on_hand").trigger()
    dlg = window.live_dialog(CashOnHandDialog)
    cells = [[dlg.shifts.item(r, c).text() for c in range(dlg.shifts.columnCount())]
             for r in range(dlg.shifts.rowCount())]
    assert [(c[0], c[1], c[4]) for c in cells] == [
        ("desk-1", cashier.user.full_name, "2\u00a0000,50\u00a0₽"),
        ("desk-2", manager.user.full_name, "500,00\u00a0₽"),
    ]
    desks = {dlg.by_desk.item(r, 0).text(): dlg.by_desk.item(r, 2).text() for r in range(dlg.by_desk.rowCount())}
    assert desks == {"desk-1": "2\u00a0000,50\u00a0₽", "desk-2": "500,00\u00a0₽"}
    assert dlg.by_user.rowCount() == 2
    assert dlg.total.text() == "Всего в открытых сменах: 2\u00a0500,50\u00a0₽"
    assert dlg.shifts.editTriggers() == dlg.shifts.EditTrigger.NoEditTriggers  # read-only
    _shot(dlg, "cash_on_hand")

    # A cashier sees only their own drawer.
    own = _window(qtbot, cashier)
    own.action("shift_cash_on_hand").trigger()
    assert own.live_dialog(CashOnHandDialog).shifts.rowCount() == 1
    assert said["errors"] == []
