"""Cash in or cash out of the drawer, always with a reason."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import parse_amount
from cashier_app.i18n import tr
from cashier_app.ui import messages


class CashMovementDialog(QDialog):
    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle(tr("Внесение наличных") if kind == "in" else tr("Изъятие наличных"))
        self.amount_minor: int | None = None
        self.reason_text = ""
        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setMaxLength(255)
        self.reason.setPlaceholderText(tr("например: инкассация, размен"))
        form = QFormLayout()
        form.addRow(tr("Сумма"), self.amount)
        form.addRow(tr("Основание"), self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def submit(self) -> None:
        try:
            self.amount_minor = parse_amount(self.amount.text(), tr("Сумма"))
            if not self.reason.text().strip():
                raise ValidationError(tr("Основание"), tr("укажите основание внесения или изъятия"))
        except ValidationError as exc:
            messages.show_error(self, exc)
            return
        self.reason_text = self.reason.text().strip()
        self.accept()
