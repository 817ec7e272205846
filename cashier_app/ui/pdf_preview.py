"""A generic PDF preview: the document as it will print, with Print, Save PDF… and Close."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QDialog, QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from cashier_app.i18n import tr
from cashier_app.printing.pdf_base import write_atomic
from cashier_app.ui import messages
from cashier_app.ui.widgets import fit_to_screen


class PdfPreviewDialog(QDialog):
    def __init__(self, pdf: bytes, title: str, parent: QWidget | None = None, file_name: str = "document.pdf") -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.pdf = pdf
        self.file_name = file_name
        self.setWindowTitle(title)
        fit_to_screen(self, 760, 640)  # at 1024×700 too
        # The document reads from the buffer for its whole life: both are kept on self.
        self._bytes = QByteArray(pdf)
        self._buffer = QBuffer(self._bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setObjectName("pdf_view")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        self.print_button = QPushButton(tr("Печать"))
        self.print_button.setObjectName("print")
        self.save_button = QPushButton(tr("Сохранить PDF…"))
        self.save_button.setObjectName("save")
        self.close_button = QPushButton(tr("Закрыть"))
        self.close_button.setObjectName("close")
        self.print_button.clicked.connect(self.print_document)
        self.save_button.clicked.connect(self.save_document)
        self.close_button.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addWidget(self.save_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        self.close_button.setDefault(True)

    def page_count(self) -> int:
        return self.document.pageCount()

    def print_document(self) -> None:
        if not QPrinterInfo.availablePrinters():
            messages.show_error(self, tr("Принтер не найден: сохраните PDF и напечатайте его с другого компьютера."))
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        painter = QPainter()
        if not painter.begin(printer):
            messages.show_error(self, tr("Не удалось начать печать."))
            return
        try:
            for i in range(self.document.pageCount()):
                if i:
                    printer.newPage()
                rect = painter.viewport()
                size = self.document.pagePointSize(i).toSize().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(rect.topLeft(), self.document.render(i, size))
        finally:
            painter.end()

    def save_document(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Сохранить PDF"), self.file_name, "PDF (*.pdf)")
        if not path:
            return
        self.save_to(path)

    def save_to(self, path: str) -> None:
        try:
            write_atomic(path, self.pdf)
        except OSError as exc:
            messages.show_error(self, tr("Не удалось сохранить файл: {err}", err=exc.strerror or str(exc)))

