"""The document dialog (F2), the journal dialog and the batch progress dialog, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from sqlalchemy import func, select

from cashier_app.services import cards, documents
from cashier_app.storage import models as m
from cashier_app.ui import messages
from cashier_app.ui.document_dialog import DocumentDialog
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.pdf_preview import PdfPreviewDialog
from tests.conftest import TODAY
from tests.test_documents_service import debtor, payable_booking
from tests.test_ledger import ctx_for

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, fresh_db, monkeypatch):  # type: ignore[no-untyped-def]
    from cashier_app.ui import documents_actions
    from cashier_app.ui.main_window import MainWindow

    errors: list[str] = []
    infos: list[str] = []
    monkeypatch.setattr(messages, "show_error", lambda _p, exc: errors.append(str(exc)))
    monkeypatch.setattr(messages, "show_info", lambda _p, text, title=None: infos.append(text))
    ctx = ctx_for(fresh_db)
    ctx.today_override = TODAY
    w = MainWindow(ctx, SyncRunner())
    qtbot.addWidget(w)
    documents_actions.install(w)
    w.errors, w.infos = errors, infos
    return w


def test_f2_makes_a_pd4_for_an_account_and_shows_the_preview(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui import pdf_preview

    db = window.ctx.db
    number = debtor(db)
    window.show_card(cards.account_card(ctx_for(db), number))
    assert window.buttons["documents"].isEnabled()
    window.trigger("documents")
    dlg = window.live_dialog(DocumentDialog)
    assert list(dlg.kind_buttons) == ["pd4"] and dlg.kind_buttons["pd4"].isChecked()
    assert dlg.payer_edits["full_name"].text()
    dlg.grab().save("/tmp/h9_document_dialog_account.png")

    # A wrong amount is refused naming the field, and nothing is journaled.
    dlg.amount.setText("12,345")
    dlg.make_button.click()
    # Issue 12: once, under the amount — no box.
    under = dlg.findChild(QLabel, "amount_error")
    assert not window.errors and under is not None and not under.isHidden() and "знаков" in under.text()
    dlg.amount.setText("1 234,50")
    assert under.isHidden()
    dlg.make_button.click()
    assert not window.errors
    preview = window.live_dialog(PdfPreviewDialog)
    assert preview.page_count() == 1
    assert "ПД-4" in preview.windowTitle()
    with db.read() as uow:
        row = uow.session.execute(select(m.Document)).scalar_one()
    assert row.amount_minor == 123_450 and row.kind == "pd4"
    assert preview.pdf == documents.reprint(window.ctx, row.number).pdf
    preview.grab().save("/tmp/h9_preview.png")

    # Printing goes through QPrintDialog, patched: never a real printer.
    shown: list[object] = []

    class FakePrintDialog:
        def __init__(self, *a: object) -> None:
            shown.append(a)

        def exec(self) -> int:
            return 0

    monkeypatch.setattr(pdf_preview, "QPrintDialog", FakePrintDialog)
    monkeypatch.setattr(pdf_preview.QPrinterInfo, "availablePrinters", staticmethod(lambda: [object()]))
    preview.print_button.click()
    assert len(shown) == 1


def test_post_form_lists_missing_fields_and_blocks_make(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    db = window.ctx.db
    window.show_card(cards.booking_card(ctx_for(db), payable_booking(db), TODAY))
    window.trigger("documents")
    dlg = window.live_dialog(DocumentDialog)
    assert set(dlg.kind_buttons) == {"pd4", "post112", "info_contact", "info_euroset", "invoice"}
    dlg.kind_buttons["post112"].setChecked(True)
    assert not dlg.amount.isEnabled()  # full amount only
    dlg.payer_edits["postal_index"].setText("12")
    dlg.payer_edits["street"].setText("")
    assert "Улица" in dlg.missing.text() and "Индекс" in dlg.missing.text()
    assert not dlg.make_button.isEnabled()
    dlg.grab().save("/tmp/h9_document_dialog_post.png")
    dlg.payer_edits["postal_index"].setText("344038")
    dlg.payer_edits["street"].setText("пр-кт Ленина")
    assert dlg.missing.text() == "" and dlg.make_button.isEnabled()
    dlg.make_button.click()
    assert window.errors == []
    assert window.live_dialog(PdfPreviewDialog).windowTitle().startswith("Почтовый перевод")


def test_disabled_kinds_show_the_reason(window) -> None:  # type: ignore[no-untyped-def]
    db = window.ctx.db
    with db.read() as uow:
        number = uow.session.execute(select(m.Booking.number).where(m.Booking.status == "cancelled").limit(1)).scalar()
    window.show_card(cards.booking_card(ctx_for(db), number, TODAY))
    window.trigger("documents")
    dlg = window.live_dialog(DocumentDialog)
    assert not any(b.isEnabled() for b in dlg.kind_buttons.values())
    assert "аннулирована" in dlg.kind_buttons["pd4"].text()
    assert not dlg.make_button.isEnabled()


def test_journal_dialog_lists_and_reprints(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

    db = window.ctx.db
    number = debtor(db)
    doc = documents.issue(window.ctx, "pd4", account=number, today=TODAY)
    dlg = DocumentsJournalDialog(window.ctx, window.runner, account=number)
    qtbot.addWidget(dlg)
    assert dlg.model.rowCount() == 1 and dlg.model.data(dlg.model.index(0, 0)) == doc.number
    dlg.grab().save("/tmp/h9_journal_dialog.png")
    dlg.reprint_button.click()
    assert dlg.preview.pdf == doc.pdf


def test_batch_dialog_runs_and_cancel_leaves_no_file(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.batch_dialog import BatchDialog

    out = tmp_path / "debtors.pdf"
    dlg = BatchDialog(window.ctx, str(out), limit=6)
    qtbot.addWidget(dlg)
    seen: list[int] = []  # the bar's values: the dialog deletes itself once closed (issue 12)
    dlg.worker.progressed.connect(lambda done, _t: seen.append(done))
    results: list = []
    dlg.finished_batch.connect(results.append)
    dlg.start()
    qtbot.waitUntil(lambda: bool(results), timeout=60_000)
    assert results[0].count == 6 and out.exists() and seen[-1] == 6

    out2 = tmp_path / "cancelled.pdf"
    dlg2 = BatchDialog(window.ctx, str(out2))
    qtbot.addWidget(dlg2)
    dlg2.worker.progressed.connect(lambda done, _t: done == 3 and dlg2.cancel_button.click())
    results2: list = []
    dlg2.finished_batch.connect(results2.append)
    dlg2.start()
    qtbot.waitUntil(lambda: bool(results2), timeout=60_000)
    assert results2[0].cancelled and not out2.exists()
    with window.ctx.db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.Document)
                                   .where(m.Document.kind == "pd4_batch")).scalar_one() == 1
    assert any("Отменено" in t for t in window.infos)


def test_typed_address_and_payer_inn_reach_the_document(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 11 §4: the address line prints as typed, the ИНН is checked and encoded."""
    from cashier_app.printing.gost import parse_payload
    from tests.test_documents import page_text, squeeze

    address = "142000, Московская обл., г.о. Домодедово, мкр. Северный, ул. Ленина, д. 1, кв. 2"
    db = window.ctx.db
    window.show_card(cards.booking_card(ctx_for(db), payable_booking(db), TODAY))
    window.trigger("documents")
    dlg = window.live_dialog(DocumentDialog)
    dlg.kind_buttons["post112"].setChecked(True)
    dlg.payer_edits["full_name"].setText("Иванова Мария Сергеевна")
    dlg.address_line.setText(address)
    assert not dlg.payer_edits["city"].isEnabled()  # the line replaces the parts
    dlg.payer_edits["inn"].setText("500100732258")  # one check digit wrong
    assert "ИНН плательщика" in dlg.missing.text() and not dlg.make_button.isEnabled()
    dlg.payer_edits["inn"].setText("500100732259")
    dlg.address_line.setText("101000, г. Москва, ул. Ленина, Тверская, д. 1")  # «Тверская» fits no box
    assert "«Тверская»" in dlg.missing.text() and not dlg.make_button.isEnabled()
    dlg.grab().save("/tmp/i11_document_dialog_refused.png")
    dlg.address_line.setText(address)
    assert dlg.missing.text() == "" and dlg.make_button.isEnabled(), dlg.missing.text()
    dlg.grab().save("/tmp/i11_document_dialog.png")
    dlg.make_button.click()
    assert window.errors == []
    pdf = window.live_dialog(PdfPreviewDialog).pdf
    text = squeeze(page_text(pdf))
    for part in address.split(","):
        assert squeeze(part) in text, part
    assert "500100732259" in text
    with db.read() as uow:
        row = uow.session.execute(select(m.Document)).scalar_one()
    fields = parse_payload(row.qr_payload.encode("cp1251")).fields
    assert fields["PayerAddress"] == address and fields["PayerINN"] == "500100732259"
