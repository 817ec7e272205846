"""The operator's internal exchange rates (menu «Сервис → Курсы валют…», administrators)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
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

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_rate
from cashier_app.i18n import N_, tr
from cashier_app.services import rates
from cashier_app.services.context import DeskContext
from cashier_app.services.rates import RateRow
from cashier_app.ui.messages import error_text
from cashier_app.ui.widgets import clear_field_errors, show_field_error, while_open

ERROR_STYLE = "color: #c62828; font-weight: bold;"
OK_STYLE = "color: #1b5e20;"


def ask_csv_file(parent: QWidget) -> str | None:
    """The file chooser; a module function so a test can replace it."""
    path, _ = QFileDialog.getOpenFileName(parent, tr("Файл курсов (CSV)"), "", tr("CSV (*.csv *.txt);;Все файлы (*)"))
    return path or None


class RatesDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner = ctx, runner
        self.rows: list[RateRow] = []
        self.setWindowTitle(tr("Курсы валют"))
        self.resize(640, 520)

        self.currency = QComboBox()
        self.currency.setObjectName("currency")
        self.currency.setEditable(True)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("history")
        self.table.setHorizontalHeaderLabels([tr("Дата"), tr("Курс, ₽"), tr("Кем введён"), tr("Когда")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.day = QDateEdit()
        self.day.setObjectName("day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("dd.MM.yyyy")
        today = ctx.today()
        self.day.setDate(QDate(today.year, today.month, today.day))
        self.rate = QLineEdit()
        self.rate.setObjectName("rate")
        self.rate.setPlaceholderText("92,4567")
        self.save = QPushButton(tr("Сохранить курс"))
        self.save.setObjectName("save")
        self.import_button = QPushButton(tr("Загрузить CSV…"))
        self.import_button.setObjectName("import")
        self.close_button = QPushButton(tr("Закрыть"))
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Валюта") + ":"))
        top.addWidget(self.currency)
        top.addStretch(1)
        top.addWidget(self.import_button)
        edit = QHBoxLayout()
        edit.addWidget(QLabel(tr("Дата") + ":"))
        edit.addWidget(self.day)
        edit.addWidget(QLabel(tr("Курс, ₽ за 1 единицу") + ":"))
        edit.addWidget(self.rate, 1)
        edit.addWidget(self.save)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(tr("Выберите строку, чтобы исправить курс дня, или введите новый день.")))
        layout.addLayout(edit)
        layout.addLayout(bottom)

        self.save.clicked.connect(self.submit)
        self.rate.returnPressed.connect(self.submit)
        self.import_button.clicked.connect(self.import_file)
        self.close_button.clicked.connect(self.accept)
        self.table.itemSelectionChanged.connect(self._row_chosen)
        self.currency.activated.connect(lambda _i: self.reload())
        self.runner.run_db(lambda: rates.currencies(ctx), self._set_currencies, self._failed)

    # --- loading -------------------------------------------------------------------
    def _set_currencies(self, codes: list[str]) -> None:
        self.currency.clear()
        self.currency.addItems(codes)
        self.reload()

    def reload(self) -> None:
        code = self.currency.currentText().strip().upper()
        ctx = self.ctx
        self.runner.run_db(lambda: rates.list_rates(ctx, code, limit=400), self._show_rows, self._failed)

    def _show_rows(self, rows: list[RateRow]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            when = ""
            if row.entered_at is not None:
                # Stored in UTC (SQLite gives it back naive); shown in the office's local time.
                at = row.entered_at
                when = at.astimezone().strftime("%d.%m.%Y %H:%M")
            values = (f"{row.day:%d.%m.%Y}", format_rate(row.rate), row.entered_by or "", when)
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.resizeColumnsToContents()

    def _row_chosen(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        if not selected:
            return
        row = self.rows[selected[0].row()]
        self.day.setDate(QDate(row.day.year, row.day.month, row.day.day))
        self.rate.setText(format_rate(row.rate))
        self.rate.setFocus()
        self.rate.selectAll()

    # --- changes ---------------------------------------------------------------------
    def _chosen_day(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def submit(self) -> None:
        ctx, code, text, day = self.ctx, self.currency.currentText(), self.rate.text(), self._chosen_day()
        self.status.setText("")
        clear_field_errors(self)
        self.runner.run_db(lambda: rates.set_rate(ctx, code, text, day), self._saved, self._failed)

    def _saved(self, result: rates.SetResult) -> None:
        row = result.row
        was = "" if result.previous is None or result.previous == row.rate else tr(
            " (было {old})", old=format_rate(result.previous))
        self._ok(tr("Курс {cur} на {d}: {rate}{was}", cur=row.currency, d=f"{row.day:%d.%m.%Y}",
                    rate=format_rate(row.rate), was=was))
        if self.currency.findText(row.currency) < 0:
            self.currency.addItem(row.currency)
        self.currency.setCurrentText(row.currency)
        self.reload()

    def import_file(self) -> None:
        path = ask_csv_file(self)
        if not path:
            return
        ctx = self.ctx
        self.runner.run_db(lambda: rates.import_csv(ctx, Path(path)), self._imported, self._failed)

    def _imported(self, result: rates.ImportResult) -> None:
        self._ok(tr("Загружено: новых {a}, изменено {c}, без изменений {u}", a=result.added, c=result.changed,
                    u=result.unchanged))
        self.reload()

    def _ok(self, text: str) -> None:
        self.status.setStyleSheet(OK_STYLE)
        self.status.setText(text)

    @while_open
    def _failed(self, exc: BaseException) -> None:
        """Once: a refused rate or day under its field (gone when corrected), anything else on the status line."""
        if isinstance(exc, ValidationError):
            for name, field in ((N_("Курс"), self.rate), (N_("Дата"), self.day), (N_("Валюта"), self.currency)):
                if exc.field in (name, tr(name)):
                    self.status.setText("")
                    show_field_error(field, exc.message)
                    return
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(error_text(exc))
