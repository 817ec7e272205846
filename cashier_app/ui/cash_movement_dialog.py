"""Cash in or cash out of the drawer, always with a reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.ui.widgets import MessageLine, show_refusal


class CashMovementDialog(QDialog):
    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
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
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Внести") if kind == "in" else tr("Изъять"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        self.error = MessageLine(self)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.setMinimumWidth(400)

    def submit(self) -> None:
        try:
            self.amount_minor = parse_amount(self.amount.text(), tr("Сумма"))
            if not self.reason.text().strip():
                raise ValidationError(tr("Основание"), tr("укажите основание внесения или изъятия"))
        except ValidationError as exc:
            show_refusal(exc, {N_("Сумма"): self.amount, N_("Основание"): self.reason}, self.error)
            return
        self.reason_text = self.reason.text().strip()
        self.accept()
