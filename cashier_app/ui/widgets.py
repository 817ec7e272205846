"""Small shared widgets: a label/value form and money labels that turn red below zero."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QFormLayout, QHeaderView, QLabel, QTableView, QWidget

from cashier_app.domain.money import format_money

NEGATIVE_STYLE = "color: #c62828; font-weight: bold;"


class MoneyLabel(QLabel):
    """Shows an amount; a negative one is red and flagged with the ``negative`` property."""

    def set_amount(self, minor: int | None, currency: str = "RUB") -> None:
        if minor is None:
            self.setText("—")
            self.setProperty("negative", False)
            self.setStyleSheet("")
            return
        self.setText(format_money(minor, currency))
        negative = minor < 0
        self.setProperty("negative", negative)
        self.setStyleSheet(NEGATIVE_STYLE if negative else "")


class Form(QWidget):
    """Rows of «label: value» built once; values are set by key."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None, money: tuple[str, ...] = ()):
        super().__init__(parent)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(3)
        self.values: dict[str, QLabel] = {}
        for key, label in rows:
            value: QLabel = MoneyLabel() if key in money else QLabel()
            value.setTextInteractionFlags(value.textInteractionFlags() | value.textInteractionFlags().TextSelectableByMouse)
            value.setWordWrap(True)
            value.setObjectName(key)
            layout.addRow(f"{label}:", value)
            self.values[key] = value

    def set(self, key: str, text: str | None) -> None:
        self.values[key].setText(text if text not in (None, "") else "—")

    def money(self, key: str) -> MoneyLabel:
        label = self.values[key]
        assert isinstance(label, MoneyLabel)
        return label


def journal_table(model: QAbstractItemModel, name: str, widths: Sequence[int]) -> QTableView:
    """A read-only, row-selecting view over a paged journal model, as every journal dialog shows it."""
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    for col, width in enumerate(widths):
        table.setColumnWidth(col, width)
    return table
