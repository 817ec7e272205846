"""Small shared widgets: a label/value form and money labels that turn red below zero."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

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
