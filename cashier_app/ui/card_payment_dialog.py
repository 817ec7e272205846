"""«Оплата картой (F7)»: the amount, the payee, the payment link as a QR code, the live status.

The dialog creates the order (the service writes the ledger row before the
bank is called), opens the bank's page in the default browser and shows the
same link as a large QR code, so the customer can pay from their own phone.
Status comes from the main window's :class:`PaymentWatcher`, which keeps
polling after the dialog is closed: closing never loses a payment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_amount, format_money, parse_amount
from cashier_app.i18n import tr
from cashier_app.printing.qr import qr_png
from cashier_app.services import card_payments, cards
from cashier_app.services.card_payments import CardOrder
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages

QR_SCALE = 6
STATE_STYLE = {
    "paid": "color: #1b5e20; font-size: 18pt; font-weight: bold;",
    "declined": "color: #b00020; font-size: 14pt; font-weight: bold;",
    "expired": "color: #b00020; font-size: 14pt; font-weight: bold;",
    "held": "color: #b00020; font-size: 14pt; font-weight: bold;",
    "cancelled": "color: #555555; font-size: 14pt;",
}
PENDING_STYLE = "color: #0d47a1; font-size: 14pt;"


def qr_pixmap(text: str, scale: int = QR_SCALE) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(qr_png(text.encode("utf-8"), scale), "PNG")
    return pixmap


class CardPaymentDialog(QDialog):
    paid = Signal(object)  # CardOrder, once credited

    def __init__(self, ctx: DeskContext, runner: Any, watcher: Any, card: cards.AccountCard | cards.BookingCard,
                 *, open_url: Callable[[QUrl], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner, self.watcher, self.card = ctx, runner, watcher, card
        self.open_url = open_url or QDesktopServices.openUrl
        self.order: CardOrder | None = None
        self.is_booking = isinstance(card, cards.BookingCard)
        self.setWindowTitle(tr("Оплата картой"))
        self.setMinimumWidth(520)

        if isinstance(card, cards.BookingCard):
            what = tr("Заявка № {n}", n=card.number)
            due = card.due_minor
            amount_label = tr("Сумма, {cur} (можно частично, не больше долга)", cur=card.currency)
        else:
            what = tr("Лицевой счёт № {n} — {owner}", n=card.number, owner=card.owner)
            due = card.suggested_minor
            amount_label = tr("Сумма, ₽")
        self.target_label = QLabel(what)
        self.target_label.setStyleSheet("font-weight: bold; font-size: 12pt;")
        self.payee_label = QLabel(card.payee_name)
        self.payee_label.setObjectName("payee")
        self.amount = QLineEdit(format_amount(due, sep=" ") if due > 0 else "")
        self.amount.setObjectName("amount")
        self.amount.setPlaceholderText("1 000,50")
        self.rub_label = QLabel("")
        self.rub_label.setObjectName("rub")
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow(tr("Получатель"), self.payee_label)
        form.addRow(amount_label, self.amount)
        if self.is_booking:
            form.addRow(tr("К оплате картой"), self.rub_label)

        self.status = QLabel(tr("Введите сумму и нажмите «Создать ссылку на оплату»."))
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.order_label = QLabel("")
        self.order_label.setObjectName("order")
        self.url_label = QLabel("")
        self.url_label.setObjectName("url")
        self.url_label.setWordWrap(True)
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.qr = QLabel("")
        self.qr.setObjectName("qr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumHeight(10)
        self.reference = QLineEdit()
        self.reference.setObjectName("reference")
        self.reference.setPlaceholderText(tr("номер операции из выписки банка"))
        self.reference.setVisible(False)

        self.create_button = QPushButton(tr("Создать ссылку на оплату"))
        self.create_button.setObjectName("create")
        self.create_button.setDefault(True)
        self.open_button = QPushButton(tr("Открыть ссылку ещё раз"))
        self.open_button.setObjectName("open_again")
        self.cancel_button = QPushButton(tr("Отменить заказ"))
        self.cancel_button.setObjectName("cancel_order")
        self.confirm_button = QPushButton(tr("Подтвердить по выписке"))
        self.confirm_button.setObjectName("confirm_manual")
        self.close_button = QPushButton(tr("Закрыть"))
        self.close_button.setObjectName("close")
        for b in (self.open_button, self.cancel_button, self.confirm_button):
            b.setVisible(False)
        row = QHBoxLayout()
        for b in (self.create_button, self.open_button, self.cancel_button, self.confirm_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.close_button)

        lay = QVBoxLayout(self)
        lay.addWidget(self.target_label)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.order_label)
        lay.addWidget(self.qr)
        lay.addWidget(self.url_label)
        lay.addWidget(self.status)
        lay.addWidget(self.reference)
        lay.addLayout(row)

        self.create_button.clicked.connect(self.create)
        self.open_button.clicked.connect(self.open_again)
        self.cancel_button.clicked.connect(self.cancel_order)
        self.confirm_button.clicked.connect(self.confirm_manual)
        self.close_button.clicked.connect(self.close)
        self.amount.textChanged.connect(self._quote)
        self.watcher.updated.connect(self._on_update)
        self.amount.setFocus()
        self.amount.selectAll()
        self._quote()

    # --- amount ---------------------------------------------------------------------
    def _parse(self) -> int:
        return parse_amount(self.amount.text(), tr("Сумма"))

    def _quote(self) -> None:
        if not self.is_booking:
            return
        try:
            amount = self._parse()
        except ValidationError:
            self.rub_label.setText("")
            return
        from cashier_app.services import booking_payments

        ctx, number = self.ctx, self.card.number
        self.runner.run_db(lambda: booking_payments.quote(ctx.db, number, "card", amount, ctx.today()),
                           lambda q: self.rub_label.setText(tr("{rub} (курс {rate} на {day})",
                                                               rub=format_money(q.total_rub_minor),
                                                               rate=str(q.rate), day=q.rate_day.strftime("%d.%m.%Y"))),
                           lambda e: self.rub_label.setText(str(e)))

    # --- creating the order ------------------------------------------------------------
    def create(self) -> None:
        if self.order is not None or not self.create_button.isEnabled():
            return
        try:
            amount = self._parse()
        except ValidationError as exc:
            self.error.setText(str(exc))
            messages.show_error(self, exc)
            return
        self.error.setText("")
        self.create_button.setEnabled(False)
        self.amount.setEnabled(False)
        self.status.setText(tr("Регистрирую заказ в банке…"))
        ctx = self.ctx
        kwargs = {"booking": self.card.number} if self.is_booking else {"account": self.card.number}
        self.runner.run_net(lambda: card_payments.start(ctx, amount_minor=amount, **kwargs), self._created,
                            self._create_failed)

    def _created(self, order: CardOrder) -> None:
        self.order = order
        self.create_button.setVisible(False)
        self.watcher.watch(order.order_number, live=True)
        self._show(order)
        if order.payment_url:
            self.open_url(QUrl(order.payment_url))

    def _create_failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.amount.setEnabled(True)
        self.status.setText("")
        self.error.setText(str(exc))
        messages.show_error(self, exc)

    # --- status ---------------------------------------------------------------------------
    def _on_update(self, order: CardOrder) -> None:
        if self.order is not None and order.order_number == self.order.order_number:
            was_paid = self.order.paid
            self.order = order
            self._show(order)
            if order.paid and not was_paid:
                self.paid.emit(order)

    def _show(self, order: CardOrder) -> None:
        self.order_label.setText(tr("Заказ № {n}, платёж {p}: {m} — {payee}", n=order.order_number,
                                    p=order.payment_number, m=format_money(order.amount_minor),
                                    payee=order.payee_name))
        if order.payment_url and self.qr.pixmap().isNull():
            pixmap = qr_pixmap(order.payment_url)
            self.qr.setPixmap(pixmap)
            # Full size: a squeezed QR does not scan from the customer's phone.
            self.qr.setMinimumSize(pixmap.size())
            self.url_label.setText(order.payment_url)
            self.adjustSize()
        self.status.setText(order.status_text)
        self.status.setStyleSheet(STATE_STYLE.get(order.state, PENDING_STYLE))
        self.open_button.setVisible(bool(order.payment_url) and not order.final)
        self.cancel_button.setVisible(not order.final)
        self.confirm_button.setVisible(order.manual)
        self.reference.setVisible(order.manual)
        if order.final:
            self.close_button.setDefault(True)

    def open_again(self) -> None:
        if self.order is not None and self.order.payment_url:
            self.open_url(QUrl(self.order.payment_url))

    def cancel_order(self) -> None:
        if self.order is None or not messages.confirm(self, tr("Отменить заказ {n}? Ссылка на оплату перестанет "
                                                                 "работать.", n=self.order.order_number)):
            return
        ctx, number = self.ctx, self.order.order_number
        self.cancel_button.setEnabled(False)
        self.runner.run_net(lambda: card_payments.cancel(ctx, number), self._after_action, self._action_failed)

    def confirm_manual(self) -> None:
        if self.order is None:
            return
        ctx, number, ref = self.ctx, self.order.order_number, self.reference.text()
        self.runner.run_db(lambda: card_payments.confirm_manual(ctx, number, ref), self._after_action,
                           self._action_failed)

    def _after_action(self, order: CardOrder) -> None:
        self.cancel_button.setEnabled(True)
        self._on_update(order)
        self.watcher.updated.emit(order)

    def _action_failed(self, exc: BaseException) -> None:
        self.cancel_button.setEnabled(True)
        self.error.setText(str(exc))
        messages.show_error(self, exc)

    def done(self, result: int) -> None:
        # Closing keeps the order: the watcher goes on polling it in the background.
        try:
            self.watcher.updated.disconnect(self._on_update)
        except (RuntimeError, TypeError):
            pass
        super().done(result)
