"""Open a shift: the float is proposed from the last counted cash of this desk."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_amount, parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.ui.widgets import MessageLine, show_refusal


class OpenShiftDialog(QDialog):
    def __init__(self, proposed_minor: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(tr("Открыть смену"))
        self.float_minor: int | None = None
        self.float_edit = QLineEdit(format_amount(proposed_minor, sep=" "))
        self.float_edit.setObjectName("float")
        form = QFormLayout()
        form.addRow(tr("Размен в кассе"), self.float_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Открыть смену"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        self.error = MessageLine(self)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.float_edit.selectAll()

    def submit(self) -> None:
        try:
            self.float_minor = parse_amount(self.float_edit.text(), tr("Размен в кассе"), allow_zero=True)
        except ValidationError as exc:
            show_refusal(exc, {N_("Размен в кассе"): self.float_edit}, self.error)  # once, under the field
            return
        self.accept()
