"""Refund of a payment: how much (the whole remainder by default, or part), to whom, and why."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_amount, format_money, parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.services.payments_journal import RefundInfo
from cashier_app.ui import messages
from cashier_app.ui.widgets import MessageLine, show_refusal


class RefundDialog(QDialog):
    def __init__(self, info: RefundInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.info = info
        self.amount_minor: int | None = None
        self.customer_text = ""
        self.reason_text = ""
        self.setWindowTitle(tr("Возврат по платежу {n}", n=info.number))
        self.setMinimumWidth(460)
        target = (tr("лицевой счёт {n}", n=info.account) if info.account
                  else tr("заявка {n}", n=info.booking) if info.booking else "—")
        self.paid = QLabel(format_money(info.amount_minor, info.currency))
        self.refunded = QLabel(format_money(info.refunded_minor, info.currency))
        self.left = QLabel(format_money(info.left_minor, info.currency))
        self.left.setObjectName("left")
        self.amount = QLineEdit(format_amount(info.left_minor, sep=" "))
        self.amount.setObjectName("amount")
        self.amount.selectAll()
        self.customer = QLineEdit(info.customer)
        self.customer.setObjectName("customer")
        self.customer.setMaxLength(160)
        self.customer.setPlaceholderText(tr("Ф.И.О. получателя денег"))
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setMaxLength(255)
        self.reason.setPlaceholderText(tr("например: отказ от услуги, ошибка в сумме"))
        form = QFormLayout()
        what = QLabel(f"{info.number} — {target}")
        what.setWordWrap(True)
        form.addRow(tr("Платёж"), what)
        form.addRow(tr("Оплачено"), self.paid)
        form.addRow(tr("Уже возвращено"), self.refunded)
        form.addRow(tr("Можно вернуть"), self.left)
        form.addRow(tr("Сумма возврата"), self.amount)
        form.addRow(tr("Заявитель"), self.customer)
        form.addRow(tr("Причина"), self.reason)
        if info.method == "card":
            note = QLabel(tr("Деньги вернутся на карту через банк."))
        else:
            note = QLabel(tr("Деньги выдаются наличными из кассы; печатается заявление на возврат."))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Вернуть"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        self.error = MessageLine(self)
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def _check(self) -> tuple[int, str, str]:
        field = tr("Сумма возврата")
        amount = parse_amount(self.amount.text(), field)
        if amount > self.info.left_minor:
            raise ValidationError(field, tr("не больше остатка {m}", m=format_money(self.info.left_minor)))
        customer = " ".join(self.customer.text().split())
        if not customer and self.info.method != "card":
            raise ValidationError(tr("Заявитель"), tr("укажите Ф.И.О. того, кому выдаются деньги"))
        reason = self.reason.text().strip()
        if not reason:
            raise ValidationError(tr("Причина"), tr("укажите причину возврата"))
        return amount, customer, reason

    def submit(self) -> None:
        try:
            amount, customer, reason = self._check()
        except ValidationError as exc:
            show_refusal(exc, {N_("Сумма возврата"): self.amount, N_("Заявитель"): self.customer, N_("Причина"): self.reason},
                         self.error)
            return
        # Money leaves the drawer (or goes back to the card): asked once more, with the amount.
        how = (tr("на карту через банк") if self.info.method == "card"
               else tr("наличными из кассы: {who}", who=customer))
        if not messages.confirm(self, tr("Возврат"),
                                tr("Вернуть {m} по платежу {n} {how}? Возврат не отменить.",
                                   m=format_money(amount, self.info.currency), n=self.info.number, how=how),
                                tr("Вернуть")):
            return
        self.amount_minor, self.customer_text, self.reason_text = amount, customer, reason
        self.accept()
