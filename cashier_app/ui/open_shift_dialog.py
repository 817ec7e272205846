"""Open a shift: the float is proposed from the last counted cash of this desk."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_amount, parse_amount
from cashier_app.i18n import tr
from cashier_app.ui import messages


class OpenShiftDialog(QDialog):
    def __init__(self, proposed_minor: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        lay.addWidget(buttons)
        self.float_edit.selectAll()

    def submit(self) -> None:
        try:
            self.float_minor = parse_amount(self.float_edit.text(), tr("Размен в кассе"), allow_zero=True)
        except ValidationError as exc:
            messages.show_error(self, exc)
            return
        self.accept()
