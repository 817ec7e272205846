"""The audit trail for the administrator: filter by user, action and date; verify; export CSV."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.i18n import N_, tr
from cashier_app.services import audit_log
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages

HEADERS = ("№", N_("Время"), N_("Пользователь"), N_("Касса"), N_("Действие"), N_("Объект"), N_("Изменение"))


class AuditDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.rows: list[audit_log.AuditRow] = []
        self.setWindowTitle(tr("Журнал аудита"))
        self.resize(1100, 600)
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.user.setPlaceholderText(tr("пользователь"))
        self.action = QLineEdit()
        self.action.setObjectName("action")
        self.action.setPlaceholderText(tr("действие, например payment"))
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
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("rows")
        self.table.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel("")
        self.status.setObjectName("status")
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

    def reload(self) -> None:
        user, action = self.user.text().strip() or None, self.action.text().strip() or None
        since = self.since.date().toPython()
        self.runner.run_db(lambda: audit_log.list_events(self.ctx, user=user, action=action, since=since),  # type: ignore[arg-type]
                           self._show, lambda e: messages.show_error(self, e))

    def _show(self, rows: list[audit_log.AuditRow]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            change = json.dumps(r.after, ensure_ascii=False) if r.after is not None else ""
            cells = (str(r.id), r.at.astimezone().strftime("%d.%m.%Y %H:%M:%S"), r.user or "—", r.desk, r.action,
                     f"{r.entity} {r.entity_id or ''}", change)
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.status.setText(tr("Событий: {n}", n=len(rows)))

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
            rows = self.rows
            self.runner.run_db(lambda: audit_log.export_csv(rows, path), None, lambda e: messages.show_error(self, e))
