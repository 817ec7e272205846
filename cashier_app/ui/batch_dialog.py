"""Progress of the debtors' ПД-4 batch, with Cancel.

The batch runs on its own QThread (not the serial DB runner: a long batch
must not hold up the counter's lookups); Cancel sets a flag the service checks
per receipt, and ``Pd4Batch.abort()`` leaves no half-written file.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from cashier_app.i18n import ntr, tr
from cashier_app.services import documents
from cashier_app.services.context import DeskContext
from cashier_app.services.documents import BatchResult
from cashier_app.ui import messages


class _Worker(QThread):
    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn(lambda done, total: self.progressed.emit(done, total))
        except Exception as exc:  # reaches the GUI thread as a value, shown in one message box
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)


class BatchDialog(QDialog):
    finished_batch = Signal(object)  # BatchResult

    def __init__(self, ctx: DeskContext, path: str, *, payee: str | None = None, limit: int | None = None,
                 workers: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.setWindowTitle(tr("Квитанции ПД-4 должникам"))
        self.setMinimumWidth(480)
        self.path = path
        self.result: BatchResult | None = None
        self.cancel_flag = threading.Event()
        self.label = QLabel(tr("Готовлю квитанции в {path}…", path=path))
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setObjectName("progress")
        self.bar.setRange(0, 0)
        self.cancel_button = QPushButton(tr("Отмена"))
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addLayout(row)
        flag = self.cancel_flag

        def work(progress: Any) -> BatchResult:
            return documents.debtors_batch(ctx, path, payee=payee, limit=limit, workers=workers, progress=progress,
                                           cancel=flag)

        self.worker = _Worker(work, self)
        self.worker.progressed.connect(self._progress)
        self.worker.succeeded.connect(self._done)
        self.worker.failed.connect(self._failed)

    def start(self) -> None:
        self.worker.start()

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.label.setText(tr("Квитанция {done} из {total}", done=done, total=total))

    def cancel(self) -> None:
        self.cancel_flag.set()
        self.cancel_button.setEnabled(False)
        self.label.setText(tr("Отменяю…"))

    def reject(self) -> None:  # Esc or the window's close button cancel too
        if self.worker.isRunning():
            self.cancel()
            return
        super().reject()

    def _done(self, res: BatchResult) -> None:
        self.worker.wait()
        self.result = res
        self.finished_batch.emit(res)
        if res.cancelled:
            messages.show_info(self, tr("Отменено: файл не создан."))
        elif res.count == 0:
            messages.show_info(self, tr("Должников нет — файл не создан."))
        else:
            messages.show_info(self, ntr("Готово: {n} квитанция, {p} стр., документ № {num}\n{path}",
                                         "Готово: {n} квитанций, {p} стр., документ № {num}\n{path}",
                                         res.count, p=res.pages, num=res.number, path=res.path))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.worker.wait()
        from cashier_app.ui.document_dialog import show_refusal

        show_refusal(self, exc)
        super().reject()
