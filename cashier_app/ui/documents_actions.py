"""Payment documents in the main window: «Документы (F2)», «Сервис → Квитанции должникам…»,
«Сервис → Журнал документов…»."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from cashier_app.i18n import N_, tr
from cashier_app.services import cards
from cashier_app.ui import messages

if TYPE_CHECKING:  # the documents service (reportlab, QR) loads on first use, not at start-up
    from cashier_app.services import documents
    from cashier_app.services.journal import IssuedDocument

TITLES = {
    "pd4": N_("Квитанция ПД-4"), "post112": N_("Почтовый перевод ф. 112ЭП"), "info_contact": N_("Информационный лист CONTACT"),
    "info_euroset": N_("Информационный лист «Евросеть»"), "invoice": N_("Счёт на оплату"),
}


def install(window: Any) -> None:
    window.register_action("documents", open_documents)
    menu = window.service_menu
    batch = QAction(tr("Квитанции должникам…"), window)
    batch.setObjectName("debtors_batch_action")
    batch.triggered.connect(lambda _checked=False: open_batch(window))
    menu.addAction(batch)
    journal = QAction(tr("Журнал документов…"), window)
    journal.setObjectName("documents_journal_action")
    journal.triggered.connect(lambda _checked=False: open_journal(window))
    menu.addAction(journal)
    window.debtors_batch_action, window.documents_journal_action = batch, journal



def _target(card: object) -> dict[str, str]:
    if isinstance(card, cards.AccountCard):
        return {"account": card.number}
    if isinstance(card, cards.BookingCard):
        return {"booking": card.number}
    return {}


def open_documents(window: Any, card: object) -> None:
    from cashier_app.ui.document_dialog import DocumentDialog

    target = _target(card)
    if not target:
        return
    ctx = window.ctx
    today = ctx.today()

    def show(options: documents.DocumentOptions) -> None:
        dlg = DocumentDialog(ctx, window.runner, options, parent=window)
        window.document_dialog = dlg
        dlg.issued.connect(lambda doc: _issued(window, doc))
        dlg.open()

    from cashier_app.services import documents

    window.runner.run_db(lambda: documents.document_options(ctx, today=today, **target), show,
                         lambda e: messages.show_error(window, e))


def _issued(window: Any, doc: IssuedDocument) -> None:
    show_preview(window, doc)
    window.action_finished()


def show_preview(window: Any, doc: IssuedDocument) -> Any:
    """Non-modal preview, kept on the window so it is not garbage-collected."""
    from cashier_app.ui.pdf_preview import PdfPreviewDialog

    title = tr("{document} № {n}", document=tr(TITLES.get(doc.kind, N_("Документ"))), n=doc.number)
    dlg = PdfPreviewDialog(doc.pdf, title, window, file_name=f"{doc.number}.pdf")
    window.document_preview = dlg
    dlg.show()
    return dlg


def open_journal(window: Any) -> None:
    from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

    dlg = DocumentsJournalDialog(window.ctx, window.runner, **_target(window.current), parent=window)
    window.documents_journal_dialog = dlg
    dlg.open()


def open_batch(window: Any) -> None:
    from cashier_app.ui.batch_dialog import BatchDialog

    path, _ = QFileDialog.getSaveFileName(window, tr("Квитанции должникам — куда сохранить"), "debtors.pdf",
                                          "PDF (*.pdf)")
    if not path:
        return
    dlg = BatchDialog(window.ctx, path, parent=window)
    window.batch_dialog = dlg
    dlg.open()
    dlg.start()
