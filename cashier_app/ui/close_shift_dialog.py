"""Close the shift: counted cash, optionally by denomination; the difference is shown, never refused."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_money, parse_amount
from cashier_app.i18n import tr
from cashier_app.services.shifts import DENOMINATIONS, ShiftSummary
from cashier_app.ui import messages


class CloseShiftDialog(QDialog):
    def __init__(self, summary: ShiftSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.counted_minor: int | None = None
        self.denominations: dict[str, int] | None = None
        self.setWindowTitle(tr("Закрыть смену {n}", n=summary.number))
        self.expected = QLabel(format_money(summary.expected_minor))
        self.expected.setObjectName("expected")
        self.counted = QLineEdit()
        self.counted.setObjectName("counted")
        self.difference = QLabel("")
        self.difference.setObjectName("difference")
        form = QFormLayout()
        form.addRow(tr("Размен на начало"), QLabel(format_money(summary.float_minor)))
        form.addRow(tr("Платежи наличными"), QLabel(format_money(summary.payments_minor)))
        form.addRow(tr("Отмены и возвраты"), QLabel(format_money(summary.returns_minor)))
        form.addRow(tr("Внесено / изъято"), QLabel(
            f"{format_money(summary.cash_in_minor)} / {format_money(summary.cash_out_minor)}"))
        form.addRow(tr("Ожидается в кассе"), self.expected)
        form.addRow(tr("Пересчитано"), self.counted)
        form.addRow(tr("Расхождение"), self.difference)

        box = QGroupBox(tr("Пересчёт по номиналам (необязательно)"))
        grid = QGridLayout(box)
        self.notes: dict[str, QLineEdit] = {}
        keys = [str(d) for d in DENOMINATIONS] + ["coins"]
        for i, key in enumerate(keys):
            label = tr("копейки, сумма") if key == "coins" else f"{int(key) // 100} ₽"
            edit = QLineEdit()
            edit.setObjectName(f"denom_{key}")
            edit.setPlaceholderText("0")
            edit.textChanged.connect(self._from_notes)
            grid.addWidget(QLabel(label), i // 3, (i % 3) * 2)
            grid.addWidget(edit, i // 3, (i % 3) * 2 + 1)
            self.notes[key] = edit

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Закрыть смену"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(box)
        lay.addWidget(buttons)
        self.counted.textChanged.connect(self._show_difference)

    def _read_notes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, edit in self.notes.items():
            text = edit.text().strip()
            if not text:
                continue
            if key == "coins":
                out[key] = parse_amount(text, tr("Копейки"), allow_zero=True)
            else:
                if not (text.isascii() and text.isdigit() and len(text) <= 9):  # not «²», «٣», 5000 digits
                    raise ValidationError(tr("{n} ₽", n=int(key) // 100), tr("нужно число купюр или монет"))
                out[key] = int(text)
        return out

    def _from_notes(self) -> None:
        try:
            notes = self._read_notes()
        except ValidationError:
            return
        total = sum(v if k == "coins" else int(k) * v for k, v in notes.items())
        self.counted.setText(f"{total // 100},{total % 100:02d}" if notes else "")

    def _show_difference(self) -> None:
        try:
            counted = parse_amount(self.counted.text(), tr("Пересчитано"), allow_zero=True)
        except ValidationError:
            self.difference.setText("")
            return
        diff = counted - self.summary.expected_minor
        word = tr("излишек") if diff > 0 else tr("недостача") if diff < 0 else tr("нет")
        self.difference.setText(f"{word} {format_money(abs(diff))}" if diff else word)

    def submit(self) -> None:
        try:
            self.counted_minor = parse_amount(self.counted.text(), tr("Пересчитано"), allow_zero=True)
            notes = self._read_notes()
        except ValidationError as exc:
            messages.show_error(self, exc)
            return
        self.denominations = notes or None
        self.accept()
