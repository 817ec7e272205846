"""Payment documents in the main window: «Документы (F2)», «Сервис → Квитанции должникам…»,
«Сервис → Журнал документов…»."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from cashier_app.i18n import N_, tr
from cashier_app.services import cards
from cashier_app.ui.capabilities import Capability, WindowHost
from cashier_app.ui.changes import Change, ChangeSet
from cashier_app.ui.operations import ReadOp

if TYPE_CHECKING:  # the documents service (reportlab, QR) loads on first use, not at start-up
    from cashier_app.services import documents
    from cashier_app.services.journal import IssuedDocument

TITLES = {
    "pd4": N_("Квитанция ПД-4"), "post112": N_("Почтовый перевод ф. 112ЭП"), "info_contact": N_("Информационный лист CONTACT"),
    "info_euroset": N_("Информационный лист «Евросеть»"), "invoice": N_("Счёт на оплату"),
}


class Documents(Capability):
    """F2 and the documents entries of «Сервис»."""

    def install(self, host: WindowHost) -> None:
        self.host = host
        host.register_action("documents", open_documents)
        for name, text, fn in (("debtors_batch_action", N_("Квитанции &должникам…"), open_batch),
                               ("documents_journal_action", N_("Журнал &документов…"), open_journal)):
            act = QAction(tr(text), host.widget())
            act.setObjectName(name)
            act.triggered.connect(lambda _checked=False, f=fn: f(host))
            host.add_menu_action("service", act)


def install(window: Any) -> Documents:
    """Tests and scripts: ``install(window)`` is ``window.install(Documents())``."""
    return window.install(Documents())


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
    ctx = window.snapshot_ctx()
    today = ctx.today()

    def show(options: documents.DocumentOptions) -> None:
        dlg = DocumentDialog(ctx, window.runner, options, parent=window.widget())
        dlg.issued.connect(lambda doc: _issued(window, target, doc))
        window.show_dialog(dlg)

    from cashier_app.services import documents

    ReadOp(lambda c: documents.document_options(c, today=today, **target)).success(show).run_in(window)


def _issued(window: WindowHost, target: dict[str, str], doc: IssuedDocument) -> None:
    window.announce(ChangeSet.of(Change.DOCUMENTS, accounts=[target.get("account")],
                                 bookings=[target.get("booking")]))
    show_preview(window, doc)
    window.action_finished()


def show_preview(window: WindowHost, doc: IssuedDocument) -> Any:
    """Non-modal preview, deleted when closed (nothing keeps it)."""
    from cashier_app.ui.pdf_preview import PdfPreviewDialog

    title = tr("{document} № {n}", document=tr(TITLES.get(doc.kind, N_("Документ"))), n=doc.number)
    dlg = PdfPreviewDialog(doc.pdf, title, window.widget(), file_name=f"{doc.number}.pdf")
    return window.show_dialog(dlg, modeless=True)


def open_journal(window: WindowHost) -> None:
    from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

    window.show_dialog(DocumentsJournalDialog(window.snapshot_ctx(), window.runner, **_target(window.current),
                                              parent=window.widget()))


def open_batch(window: WindowHost) -> None:
    from cashier_app.ui.batch_dialog import BatchDialog

    path, _ = QFileDialog.getSaveFileName(window.widget(), tr("Квитанции должникам — куда сохранить"),
                                          "debtors.pdf", "PDF (*.pdf)")
    if not path:
        return
    dlg = BatchDialog(window.snapshot_ctx(), path, parent=window.widget())
    dlg.finished_batch.connect(lambda _res: window.announce(ChangeSet.of(Change.DOCUMENTS)))
    window.show_dialog(dlg)
    dlg.start()
