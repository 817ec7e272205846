"""The audit trail for the administrator: filter by user, action and date; verify; export CSV.

Rows come through ``AuditModel`` a page of 200 at a time as the table scrolls; the export
reads the whole filter again, not just the rows loaded so far.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.audit_words import ACTION_WORDS, action_text
from cashier_app.i18n import tr
from cashier_app.services import audit_log
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.audit_model import AuditModel
from cashier_app.ui.widgets import journal_table


class AuditDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.setWindowTitle(tr("Журнал аудита"))
        self.resize(1000, 600)  # fits a 1024×700 screen
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.user.setPlaceholderText(tr("пользователь"))
        self.action = QLineEdit()
        self.action.setObjectName("action")
        self.action.setPlaceholderText(tr("код действия, например payment"))
        # The table says actions in words; the filter takes a code's beginning: offer the codes with their words.
        codes = sorted(ACTION_WORDS)
        completer = QCompleter([*sorted({c.split(".")[0] + "." for c in codes}), *codes], self.action)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.action.setCompleter(completer)
        self.action.setToolTip("\n".join(f"{c} — {action_text(c)}" for c in codes))
        self.since = QDateEdit(QDate.currentDate().addDays(-7))
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("dd.MM.yyyy")
        show = QPushButton(tr("Показать"))
        show.clicked.connect(self.reload)
        verify = QPushButton(tr("Проверить цепочку"))
        verify.clicked.connect(self.verify)
        top = QHBoxLayout()
        for w in (self.user, self.action, QLabel(tr("с")), self.since, show, verify):
            top.addWidget(w)
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.model = AuditModel(runner, lambda f, offset: audit_log.page(ctx, f, offset=offset), self)
        self.model.failed.connect(lambda e: messages.show_error(self, e))
        self.model.rowsInserted.connect(lambda *_: self._show_count())
        self.model.modelReset.connect(self._show_count)
        self.table = journal_table(self.model, "rows", (40, 130, 110, 60, 150, 130))
        export = QPushButton(tr("Выгрузить CSV…"))
        export.clicked.connect(self._export)
        close = QPushButton(tr("Закрыть"))
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(export)
        bottom.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addLayout(bottom)
        self.reload()

    def current_filter(self) -> audit_log.AuditFilter:
        return audit_log.AuditFilter(user=self.user.text().strip() or None, action=self.action.text().strip() or None,
                                     since=self.since.date().toPython())  # type: ignore[arg-type]

    def reload(self) -> None:
        self.model.set_filter(self.current_filter())

    @property
    def rows(self) -> list[audit_log.AuditRow]:
        """The rows loaded so far."""
        return self.model.rows

    def _show_count(self) -> None:
        self.status.setText(self.model.count_text(tr("Событий: {n}", n=self.model.rowCount())))

    def verify(self) -> None:
        def shown(res):  # type: ignore[no-untyped-def]
            if res.ok:
                self.status.setText(tr("Цепочка цела: проверено {n} записей.", n=res.checked))
            else:
                self.status.setText(tr("Цепочка нарушена на записи № {id}: {why}", id=res.broken_id, why=res.problem))
        self.runner.run_db(lambda: audit_log.verify(self.ctx), shown, lambda e: messages.show_error(self, e))

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Выгрузить"), "audit.csv", "CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        """Every event of the filter shown (not only the pages loaded), read again on the DB worker."""
        f, ctx = self.model.current_filter, self.ctx
        if f is None:
            return
        self.runner.run_db(lambda: audit_log.export_filter_csv(ctx, f, path), None,
                           lambda e: messages.show_error(self, e))
