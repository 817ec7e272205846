"""«Оплата картой (F7)»: the amount, the payee, the payment link as a QR code, the live status.

The dialog creates the order (the service writes the ledger row before the
bank is called), opens the bank's page in the default browser and shows the
same link as a large QR code, so the customer can pay from their own phone.
Status comes from the main window's :class:`PaymentWatcher`, which keeps
polling after the dialog is closed: closing never loses a payment.

One unfinished order per account or booking (issue 11 §1, ``card_pending``):
when the target already has one, the dialog reopens it — same link, same QR,
live status — and a new order needs «Отменить первый заказ» (cancelled at the
bank first).  Closing while the order is pending asks, and says it stays watched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPixmap
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
from cashier_app.domain.money import format_amount, format_money, format_rate, parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.printing.qr import qr_png
from cashier_app.services import card_payments, card_pending, cards
from cashier_app.services.card_payments import CardOrder
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.receipt_fields import contact_fields, receipt_choice, receipt_fields
from cashier_app.ui.widgets import MessageLine, clear_field_errors, show_refusal, while_open

AMOUNT_NAMES = (N_("Сумма"), N_("Сумма в валюте тура"))  # the form's and the services' names for the amount

QR_SCALE = 6
STATE_STYLE = {
    "paid": "color: #1b5e20; font-size: 18pt; font-weight: bold;",
    "declined": "color: #b00020; font-size: 14pt; font-weight: bold;",
    "expired": "color: #b00020; font-size: 14pt; font-weight: bold;",
    "held": "color: #b00020; font-size: 14pt; font-weight: bold;",
    "cancelled": "color: #555555; font-size: 14pt;",
}
PENDING_STYLE = "color: #0d47a1; font-size: 14pt;"
NOTICE_STYLE = "background: #fff8e1; color: #5d4037; padding: 6px; border: 1px solid #ffb300;"


def qr_pixmap(text: str, scale: int = QR_SCALE) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(qr_png(text.encode("utf-8"), scale), "PNG")
    return pixmap


class CardPaymentDialog(QDialog):
    paid = Signal(object)  # CardOrder, once credited

    def __init__(self, ctx: DeskContext, runner: Any, watcher: Any, card: cards.AccountCard | cards.BookingCard,
                 *, open_url: Callable[[QUrl], Any] | None = None, parent: QWidget | None = None,
                 order: CardOrder | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner, self.watcher, self.card = ctx, runner, watcher, card
        self.open_url = open_url or QDesktopServices.openUrl
        self.order: CardOrder | None = None
        self.reopened = False  # showing the target's unfinished order, not one made here
        self._close_agreed = False
        self.is_booking = isinstance(card, cards.BookingCard)
        self.setWindowTitle(tr("Оплата картой"))
        self.setMinimumWidth(680)  # four buttons of a reopened order fit unclipped

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
        self.contact, self.paperless = receipt_fields()
        self.error = MessageLine(self)  # what belongs to no field; a field's error goes under it

        form = QFormLayout()
        form.addRow(tr("Получатель"), self.payee_label)
        form.addRow(amount_label, self.amount)
        if self.is_booking:
            form.addRow(tr("К оплате картой"), self.rub_label)
        form.addRow(tr("Телефон или e-mail для чека"), self.contact)
        form.addRow("", self.paperless)

        self.status = QLabel(tr("Введите сумму и нажмите «Создать ссылку на оплату»."))
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.order_label = QLabel("")
        self.order_label.setObjectName("order")
        self.order_label.setWordWrap(True)
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
        self.notice = QLabel("")
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.notice.setVisible(False)
        self.recovery = QLabel("")  # what was done about a lost register answer (card_recovery)
        self.recovery.setObjectName("recovery")
        self.recovery.setWordWrap(True)
        self.recovery.setStyleSheet(NOTICE_STYLE)
        self.recovery.setVisible(False)

        self.create_button = QPushButton(tr("Создать ссылку на оплату"))
        self.create_button.setObjectName("create")
        self.create_button.setDefault(True)
        self.open_button = QPushButton(tr("Открыть ссылку ещё раз"))
        self.open_button.setObjectName("open_again")
        self.copy_button = QPushButton(tr("Копировать ссылку"))
        self.copy_button.setObjectName("copy_link")
        self.cancel_button = QPushButton(tr("Отменить заказ"))
        self.cancel_button.setObjectName("cancel_order")
        self.confirm_button = QPushButton(tr("Подтвердить по выписке"))
        self.confirm_button.setObjectName("confirm_manual")
        self.close_button = QPushButton(tr("Закрыть"))
        self.close_button.setObjectName("close")
        for b in (self.open_button, self.copy_button, self.cancel_button, self.confirm_button):
            b.setVisible(False)
        row = QHBoxLayout()
        for b in (self.create_button, self.open_button, self.copy_button, self.cancel_button, self.confirm_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.close_button)

        lay = QVBoxLayout(self)
        lay.addWidget(self.target_label)
        lay.addWidget(self.notice)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.order_label)
        lay.addWidget(self.qr)
        lay.addWidget(self.url_label)
        lay.addWidget(self.status)
        lay.addWidget(self.recovery)
        lay.addWidget(self.reference)
        lay.addLayout(row)

        self.create_button.clicked.connect(self.create)
        self.open_button.clicked.connect(self.open_again)
        self.copy_button.clicked.connect(self.copy_link)
        self.cancel_button.clicked.connect(self.cancel_order)
        self.confirm_button.clicked.connect(self.confirm_manual)
        self.close_button.clicked.connect(self.reject)
        self.amount.textChanged.connect(self._quote)
        self.watcher.updated.connect(self._on_update)
        self.amount.setFocus()
        self.amount.selectAll()
        self._quote()
        if order is not None:
            self._reopen(order)
        else:
            self._look_for_pending()

    # --- the target's unfinished order ---------------------------------------------------
    def _target(self) -> dict[str, str]:
        return {"booking": self.card.number} if self.is_booking else {"account": self.card.number}

    def _look_for_pending(self) -> None:
        """F7 on a target with an unfinished order reopens it; until the answer, nothing can be created."""
        self.create_button.setEnabled(False)
        ctx, target = self.ctx, self._target()
        self.runner.run_db(lambda: card_pending.pending_for_target(ctx, **target), self._pending_found,
                           self._pending_failed)

    def _pending_found(self, order: CardOrder | None) -> None:
        if order is None:
            if self.order is None:
                self.create_button.setEnabled(True)
            return
        self._reopen(order)

    def _pending_failed(self, exc: BaseException) -> None:
        # Cannot tell whether an order is waiting: say so; the service refuses a second one anyway.
        self.create_button.setEnabled(True)
        self.error.show_error(tr("Не удалось проверить неоплаченные заказы: {err}", err=exc))

    @while_open
    def _reopen(self, order: CardOrder) -> None:
        self.order = order
        self.reopened = True
        self.create_button.setVisible(False)
        self.amount.setText(format_amount(order.target_amount_minor if self.is_booking and order.target_amount_minor
                                          else order.amount_minor, sep=" "))
        self.amount.setEnabled(False)
        self.contact.setEnabled(False)  # the order's receipt data were given when it was made
        self.paperless.setEnabled(False)
        self.notice.setText(tr("Открыт неоплаченный заказ № {n} на {m}: та же ссылка и тот же QR-код, что уже "
                               "выданы покупателю. Второй заказ не создаётся; новый — только после «Отменить "
                               "первый заказ».", n=order.order_number, m=format_money(order.amount_minor)))
        self.notice.setVisible(True)
        self.cancel_button.setText(tr("Отменить первый заказ"))
        if not (order.final or order.manual):
            self.watcher.watch(order.order_number)
        self._show(order)

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
        self.runner.run_db(lambda: booking_payments.quote(ctx, number, "card", amount, ctx.today()),
                           lambda q: self.rub_label.setText(tr("{rub} (курс {rate} на {day})",
                                                               rub=format_money(q.total_rub_minor),
                                                               rate=format_rate(q.rate), day=q.rate_day.strftime("%d.%m.%Y"))),
                           self._quote_refused)

    @while_open
    def _quote_refused(self, exc: BaseException) -> None:
        self.rub_label.setText("")
        self._refuse(exc)  # once, where «Создать ссылку» would say it

    def _refuse(self, exc: BaseException | str) -> None:
        fields: dict[str, QWidget] = dict.fromkeys(AMOUNT_NAMES, self.amount)
        fields.update(contact_fields(self.contact))
        show_refusal(exc, fields, self.error)

    # --- creating the order ------------------------------------------------------------
    def create(self) -> None:
        if self.order is not None or not self.create_button.isEnabled():
            return
        try:
            amount = self._parse()
            contact, paperless = receipt_choice(self.contact, self.paperless)
        except ValidationError as exc:
            self._refuse(exc)
            return
        clear_field_errors(self)
        self.error.clear()
        self.create_button.setEnabled(False)
        self.amount.setEnabled(False)
        self.contact.setEnabled(False)
        self.paperless.setEnabled(False)
        # Kept on the payment: the receipt is made when the bank says «paid», maybe long after this dialog.
        receipt = {"receipt_contact": contact, "receipt_paperless": paperless}
        self.status.setText(tr("Регистрирую заказ в банке…"))
        ctx, kwargs = self.ctx, self._target()
        self.runner.run_net(lambda: card_pending.start_or_reuse(ctx, amount_minor=amount, **kwargs, **receipt),
                            self._started, self._create_failed)

    @while_open
    def _started(self, started: card_pending.Started) -> None:
        if started.reused:
            # Another desk (or a moment ago) made one: it is the answer, not a second link.
            self._reopen(started.order)
            return
        self._created(started.order)

    @while_open
    def _created(self, order: CardOrder) -> None:
        self.order = order
        self.create_button.setVisible(False)
        self.watcher.watch(order.order_number, live=True)
        self._show(order)
        if order.payment_url:
            self._open_browser(order.payment_url)

    @while_open
    def _create_failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.amount.setEnabled(True)
        self.contact.setEnabled(True)
        self.paperless.setEnabled(bool(self.contact.text().strip()))
        self.status.setText("")
        self._refuse(exc)

    # --- status ---------------------------------------------------------------------------
    @while_open
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
        self._fit()
        if order.recovery:
            self.recovery.setText(order.recovery)
            self.recovery.setVisible(True)
        self.open_button.setVisible(bool(order.payment_url) and not order.final)
        self.copy_button.setVisible(bool(order.payment_url) and not order.final)
        self.cancel_button.setVisible(not order.final)
        self.confirm_button.setVisible(order.manual)
        self.reference.setVisible(order.manual)
        if order.final:
            self.close_button.setDefault(True)

    def _fit(self) -> None:
        """Grow to what the wrapped texts need at this width: a squeezed QR does not scan."""
        lay = self.layout()
        need = lay.heightForWidth(self.width()) if lay.hasHeightForWidth() else lay.sizeHint().height()
        if need > self.height():
            self.resize(self.width(), need)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        self._fit()

    def open_again(self) -> None:
        if self.order is not None and self.order.payment_url:
            self._open_browser(self.order.payment_url)

    def _open_browser(self, url: str) -> None:
        """The system browser may be missing or refuse: say so, the QR and the link still work."""
        try:
            opened = self.open_url(QUrl(url))
        except Exception:  # a broken desktop integration must not lose the order on screen
            opened = False
        if opened is False:
            self.error.show_error(tr("Браузер не открылся. Покажите покупателю QR-код или нажмите «Копировать "
                                  "ссылку» и отправьте её."))
            self.copy_button.setFocus()

    def copy_link(self) -> None:
        if self.order is not None and self.order.payment_url:
            QGuiApplication.clipboard().setText(self.order.payment_url)
            self.error.clear()
            self.status.setToolTip(self.order.payment_url)
            self.copy_button.setText(tr("Ссылка скопирована"))

    def cancel_order(self) -> None:
        if self.order is None or not messages.confirm(
                self, tr("Отмена заказа"), tr("Отменить заказ {n}? Ссылка на оплату перестанет работать.",
                                             n=self.order.order_number), tr("Отменить заказ")):
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

    @while_open
    def _after_action(self, order: CardOrder) -> None:
        self.cancel_button.setEnabled(True)
        self._on_update(order)
        self.watcher.updated.emit(order)
        if order.state == "cancelled":
            self._ready_for_new(order)

    def _ready_for_new(self, cancelled: CardOrder) -> None:
        """The first order is cancelled at the bank: now, and only now, a new one can be made."""
        self.order = None
        self.reopened = False
        self.qr.clear()
        self.qr.setMinimumSize(0, 10)
        self.url_label.setText("")
        self.order_label.setText("")
        self.recovery.setVisible(False)
        for b in (self.open_button, self.copy_button, self.cancel_button, self.confirm_button):
            b.setVisible(False)
        self.cancel_button.setText(tr("Отменить заказ"))
        self.notice.setText(tr("Заказ № {n} отменён в банке, его ссылка больше не работает. Можно создать новый.",
                               n=cancelled.order_number))
        self.notice.setVisible(True)
        self.amount.setEnabled(True)
        self.contact.setEnabled(True)
        self.paperless.setEnabled(bool(self.contact.text().strip()))
        self.create_button.setVisible(True)
        self.create_button.setEnabled(True)
        self.create_button.setDefault(True)
        self.status.setText(tr("Введите сумму и нажмите «Создать ссылку на оплату»."))
        self.status.setStyleSheet("")
        self.adjustSize()

    @while_open
    def _action_failed(self, exc: BaseException) -> None:
        self.cancel_button.setEnabled(True)
        self.error.show_error(messages.error_text(exc))

    @property
    def waiting(self) -> bool:
        """An order the customer may still pay is on screen."""
        return self.order is not None and not self.order.final

    def reject(self) -> None:
        # Esc, «Закрыть» and the window's cross all come here (QDialog.closeEvent calls reject).
        if self.waiting and not self._close_agreed:
            assert self.order is not None
            if not messages.confirm(self, tr("Заказ ждёт оплаты"), tr(
                    "Заказ № {n} ещё не оплачен. Закрыть окно?\n\nЗаказ останется под наблюдением: программа "
                    "сообщит, когда банк ответит. Открыть его снова — F7 на этом счёте или «Ожидают оплаты» "
                    "в строке состояния.", n=self.order.order_number), tr("Закрыть окно")):
                return
            self._close_agreed = True
            self.watcher.watch(self.order.order_number)
        super().reject()

    def done(self, result: int) -> None:
        # Closing keeps the order: the watcher goes on polling it in the background.
        try:
            self.watcher.updated.disconnect(self._on_update)
        except (RuntimeError, TypeError):
            pass
        super().done(result)
