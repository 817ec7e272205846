"""The documents journal: of one card, or of the whole office filtered by kind and date.

List, reprint (byte-identical) into the preview, save the PDF.  Rows come through
``DocumentsModel``: the office's a page of ``documents.OFFICE_DOCUMENT_ROWS`` at a time as the
table scrolls, a card's (short) in one page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.services import documents
from cashier_app.services.context import DeskContext
from cashier_app.services.documents import DocumentFilter, DocumentsPage, JournalLine
from cashier_app.services.journal import IssuedDocument
from cashier_app.ui import messages
from cashier_app.ui.documents_model import DocumentsModel
from cashier_app.ui.widgets import clear_field_errors, journal_table, show_field_error, while_open


class DocumentsJournalDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, *, account: str | None = None, booking: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner = ctx, runner
        self.account, self.booking = account, booking
        what = tr("лицевой счёт {n}", n=account) if account else tr("заявка {n}", n=booking) if booking else tr("все")
        self.setWindowTitle(tr("Журнал документов — {what}", what=what))
        self.resize(820, 480)
        # The whole office's journal is filtered by kind and date; a card's is short and shown whole.
        self.office = account is None and booking is None
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        self.kind.addItem(tr("все документы"), None)
        for kind, label in documents.document_kinds().items():
            self.kind.addItem(tr(label), kind)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_from.setObjectName("date_from")
        self.date_to = QDateEdit(today)
        self.date_to.setObjectName("date_to")
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("dd.MM.yyyy")
        show = QPushButton(tr("Показать"))
        show.setObjectName("show")
        show.clicked.connect(self.reload)
        filters = QHBoxLayout()
        for w in (QLabel(tr("Вид")), self.kind, QLabel(tr("с")), self.date_from, QLabel(tr("по")), self.date_to, show):
            filters.addWidget(w)
        filters.addStretch(1)
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.model = DocumentsModel(runner, self._fetch_page, self)
        self.model.failed.connect(self._refuse)
        self.model.modelReset.connect(self._rows_changed)
        self.model.rowsInserted.connect(lambda *_: self._rows_changed())
        self.table = journal_table(self.model, "documents", (130, 120, 260, 110, 132))
        self.reprint_button = QPushButton(tr("Перепечатать"))
        self.reprint_button.setObjectName("reprint")
        self.save_button = QPushButton(tr("Сохранить PDF…"))
        self.save_button.setObjectName("save")
        close = QPushButton(tr("Закрыть"))
        self.reprint_button.clicked.connect(self.reprint_selected)
        self.save_button.clicked.connect(self.save_selected)
        close.clicked.connect(self.accept)
        self.table.doubleClicked.connect(lambda _i: self.reprint_selected())
        row = QHBoxLayout()
        row.addWidget(self.reprint_button)
        row.addWidget(self.save_button)
        row.addWidget(self.status, 1)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        if self.office:
            lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        self.reload()

    def current_filter(self) -> documents.DocumentFilter:
        return documents.DocumentFilter(kind=self.kind.currentData(), date_from=self.date_from.date().toPython(),  # type: ignore[arg-type]
                                 date_to=self.date_to.date().toPython())  # type: ignore[arg-type]

    def _fetch_page(self, f: DocumentFilter | None, offset: int) -> DocumentsPage:
        """On the DB worker: a page of the office's journal, or a card's documents whole."""
        if self.office:
            return documents.list_office_documents(self.ctx, f, offset=offset)
        return DocumentsPage(documents.journal_lines(self.ctx, account=self.account, booking=self.booking), False)

    @while_open
    def _refuse(self, exc: BaseException) -> None:
        """Once: a date refused goes by its date field, anything else on the dialog's status line."""
        if isinstance(exc, ValidationError):
            for name, field in ((N_("Дата по"), self.date_to), (N_("Дата с"), self.date_from)):
                if exc.field in (name, tr(name)):
                    show_field_error(field, exc.message)
                    self.status.setText("")
                    return
        self.status.setText(messages.error_text(exc))

    def reload(self) -> None:
        clear_field_errors(self)
        self.model.set_filter(self.current_filter() if self.office else DocumentFilter())

    @property
    def lines(self) -> list[JournalLine]:
        """The documents loaded so far."""
        return self.model.rows

    def _rows_changed(self) -> None:
        n = self.model.rowCount()
        self.status.setText(self.model.count_text(tr("Документов: {n}", n=n)))
        if n and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self.reprint_button.setEnabled(bool(n))
        self.save_button.setEnabled(bool(n))

    def selected(self) -> JournalLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _reprint(self, then: Any) -> None:
        line = self.selected()
        if line is None:
            return
        ctx = self.ctx
        self.runner.run_db(lambda: documents.reprint(ctx, line.number), then, lambda e: messages.show_error(self, e))

    def reprint_selected(self) -> None:
        self._reprint(self._preview)

    def _preview(self, doc: IssuedDocument) -> None:
        from cashier_app.ui.pdf_preview import PdfPreviewDialog

        dlg = PdfPreviewDialog(doc.pdf, tr("Копия документа № {n}", n=doc.number), self, file_name=f"{doc.number}.pdf")
        self.preview = dlg
        dlg.show()

    def save_selected(self) -> None:
        line = self.selected()
        if line is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, tr("Сохранить PDF"), f"{line.number.replace('/', '_')}.pdf",
                                              "PDF (*.pdf)")
        if path:
            self._reprint(lambda doc: self._save(doc, path))

    def _save(self, doc: IssuedDocument, path: str) -> None:
        from cashier_app.printing.pdf_base import write_atomic

        try:
            write_atomic(path, doc.pdf)
        except OSError as exc:
            messages.show_error(self, tr("Не удалось сохранить файл: {err}", err=exc.strerror or str(exc)))
