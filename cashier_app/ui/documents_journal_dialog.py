"""The documents journal: of one card, or of the whole office filtered by kind and date.

List, reprint (byte-identical) into the preview, save the PDF.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import documents
from cashier_app.services.context import DeskContext
from cashier_app.services.documents import JournalLine
from cashier_app.services.journal import IssuedDocument
from cashier_app.ui import messages

COLUMNS = (N_("Номер"), N_("Выдан"), N_("Документ"), N_("Сумма"), N_("Действителен до"), N_("Касса"))


def _local(dt: datetime) -> datetime:
    # Stored in UTC; SQLite gives it back naive.
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone()


class DocumentsJournalDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, *, account: str | None = None, booking: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.account, self.booking = account, booking
        self.lines: list[JournalLine] = []
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
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("documents")
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
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

    def reload(self) -> None:
        ctx, account, booking = self.ctx, self.account, self.booking
        if self.office:
            f = self.current_filter()
            self.runner.run_db(lambda: documents.list_office_documents(ctx, f), lambda page: self._show(page.lines, page.has_more),
                               lambda e: messages.show_error(self, e))
            return
        self.runner.run_db(lambda: documents.journal_lines(ctx, account=account, booking=booking), self._show,
                           lambda e: messages.show_error(self, e))

    def _show(self, lines: list[JournalLine], has_more: bool = False) -> None:
        self.lines = lines
        if has_more:
            self.status.setText(tr("Показаны первые {n}; уточните вид или даты.", n=len(lines)))
        else:
            self.status.setText(tr("Документов: {n}", n=len(lines)))
        self.table.setRowCount(len(lines))
        for r, ln in enumerate(lines):
            cells = (ln.number, _local(ln.issued_at).strftime("%d.%m.%Y %H:%M"), tr(ln.kind_label),
                     format_money(ln.amount_minor, ln.currency),
                     ln.valid_until.strftime("%d.%m.%Y") if ln.valid_until else "", ln.desk)
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if lines:
            self.table.selectRow(0)
        enabled = bool(lines)
        self.reprint_button.setEnabled(enabled)
        self.save_button.setEnabled(enabled)

    def selected(self) -> JournalLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.lines[rows[0].row()] if rows else None

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
