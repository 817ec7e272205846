"""«Смена → Наличные в кассе»: cash on record in every open drawer, per cashier and per desk; read-only.

A manager sees every open shift of the office, a cashier their own (the service decides).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import shifts
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages

SHIFT_COLUMNS = (N_("Касса"), N_("Кассир"), N_("Смена"), N_("Открыта"), N_("Наличные"))
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _table(name: str, headers: tuple[str, ...]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels([tr(h) for h in headers])
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.verticalHeader().setVisible(False)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1 if len(headers) > 3 else 0, QHeaderView.ResizeMode.Stretch)
    return t


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for i, cells in enumerate(rows):
        for j, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if j == len(cells) - 1:
                item.setTextAlignment(RIGHT)
            table.setItem(i, j, item)


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    QVBoxLayout(box).addWidget(widget)
    return box


class CashOnHandDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner = ctx, runner
        self.rows: list[shifts.CashOnHand] = []
        self.setWindowTitle(tr("Наличные в кассе"))
        self.resize(820, 480)
        self.shifts = _table("shifts", SHIFT_COLUMNS)
        self.by_desk = _table("by_desk", (N_("Касса"), N_("Смен"), N_("Наличные")))
        self.by_user = _table("by_user", (N_("Кассир"), N_("Смен"), N_("Наличные")))
        self.total = QLabel("")
        self.total.setObjectName("total")
        refresh = QPushButton(tr("Обновить"))
        refresh.clicked.connect(self.reload)
        close = QPushButton(tr("Закрыть"))
        close.clicked.connect(self.accept)
        sums = QHBoxLayout()
        sums.addWidget(_group(tr("По кассам"), self.by_desk))
        sums.addWidget(_group(tr("По кассирам"), self.by_user))
        bottom = QHBoxLayout()
        bottom.addWidget(self.total, 1)
        bottom.addWidget(refresh)
        bottom.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("По учёту программы: размен + наличные платежи − возвраты + внесения − изъятия.")))
        lay.addWidget(_group(tr("Открытые смены"), self.shifts), 3)
        lay.addLayout(sums, 2)
        lay.addLayout(bottom)
        self.reload()

    def reload(self) -> None:
        ctx = self.ctx
        self.runner.run_db(lambda: shifts.cash_on_hand(ctx), self._show, lambda e: messages.show_error(self, e))

    def _show(self, rows: list[shifts.CashOnHand]) -> None:
        self.rows = rows
        _fill(self.shifts, [
            (r.desk, r.user_name or r.user_login, r.shift_number,
             r.opened_at.astimezone().strftime("%d.%m.%Y %H:%M") if r.opened_at else "", format_money(r.expected_minor))
            for r in rows
        ])
        _fill(self.by_desk, self._sums(rows, lambda r: r.desk))
        _fill(self.by_user, self._sums(rows, lambda r: r.user_name or r.user_login))
        if rows:
            self.total.setText(tr("Всего в открытых сменах: {m}", m=format_money(sum(r.expected_minor for r in rows))))
        else:
            self.total.setText(tr("Открытых смен нет."))

    @staticmethod
    def _sums(rows: list[shifts.CashOnHand], key: Any) -> list[tuple[str, str, str]]:
        sums: dict[str, list[int]] = {}
        for r in rows:
            acc = sums.setdefault(key(r), [0, 0])
            acc[0] += 1
            acc[1] += r.expected_minor
        return [(k, str(n), format_money(total)) for k, (n, total) in sorted(sums.items())]
