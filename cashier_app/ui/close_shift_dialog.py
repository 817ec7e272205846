"""Close the shift: counted cash, optionally by denomination; the difference is shown, never refused.

Closing cannot be undone, so the dialog asks once more, with counted against expected
(issue 12 §2); the host says «Смена закрыта, Z-отчёт № …» with :func:`closed_text`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
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
from cashier_app.domain.money import format_amount, format_money, parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.services.shifts import DENOMINATIONS, ShiftSummary
from cashier_app.ui import messages
from cashier_app.ui.widgets import MessageLine, clear_field_errors, show_refusal


def difference_text(counted_minor: int, expected_minor: int) -> str:
    """«излишек 10,00 ₽» / «недостача 5,00 ₽» / «нет»."""
    diff = counted_minor - expected_minor
    word = tr("излишек") if diff > 0 else tr("недостача") if diff < 0 else tr("нет")
    return f"{word} {format_money(abs(diff))}" if diff else word


def closed_text(report: Any) -> str:
    """The success line after ``shifts.close_shift``: the shift, its Z report's number, the difference."""
    sm = report.summary
    z = getattr(report, "z_number", None) or report.document.number
    counted = sm.counted_minor if sm.counted_minor is not None else sm.expected_minor
    return tr("Смена № {n} закрыта. Z-отчёт № {z}; пересчитано {counted}, расхождение: {diff}.", n=sm.number, z=z,
              counted=format_money(counted), diff=difference_text(counted, sm.expected_minor))


class CloseShiftDialog(QDialog):
    def __init__(self, summary: ShiftSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
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
            # «5 000 ₽»: grouped like every amount; the field's key stays the plain «5000 ₽».
            label = tr("копейки, сумма") if key == "coins" else format_money(int(key)).replace(",00", "")
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
        self.error = MessageLine(self)
        lay.addWidget(self.error)
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
        self.counted.setText(format_amount(total) if notes else "")  # «6 100,00»: thousands grouped

    def _show_difference(self) -> None:
        try:
            counted = parse_amount(self.counted.text(), tr("Пересчитано"), allow_zero=True)
        except ValidationError:
            self.difference.setText("")
            return
        self.difference.setText(difference_text(counted, self.summary.expected_minor))

    def submit(self) -> None:
        clear_field_errors(self)
        fields: dict[str, QWidget] = {N_("Пересчитано"): self.counted, N_("Копейки"): self.notes["coins"]}
        fields.update({f"{int(k) // 100} ₽": e for k, e in self.notes.items() if k != "coins"})
        try:
            counted = parse_amount(self.counted.text(), tr("Пересчитано"), allow_zero=True)
            notes = self._read_notes()
        except ValidationError as exc:
            show_refusal(exc, fields, self.error)  # once, under the field it names
            return
        expected = self.summary.expected_minor
        if not messages.confirm(
                self, tr("Закрыть смену {n}", n=self.summary.number),
                tr("Закрыть смену № {n}?\n\nПересчитано: {counted}\nОжидается по учёту: {expected}\n"
                   "Расхождение: {diff}\n\nЗакрытую смену нельзя открыть снова; печатается Z-отчёт.",
                   n=self.summary.number, counted=format_money(counted), expected=format_money(expected),
                   diff=difference_text(counted, expected)),
                tr("Закрыть смену")):
            return
        self.counted_minor = counted
        self.denominations = notes or None
        self.accept()
