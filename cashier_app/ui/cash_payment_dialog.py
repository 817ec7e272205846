"""Cash payment for the account or booking on screen: amount, cash received, change.

The form makes one operation token when it opens; every submit sends it, so a
double click or a retry cannot take the money twice (the service returns the
first payment).  The slip is shown only after the payment is committed.

A failure is answered by the database, by the token (issue 11 §3): not there →
not taken; there → «оплата проведена, квитанция не напечатана» with a reprint
button; the database not answering → «результат неизвестен, проверьте журнал».
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import UserError, ValidationError
from cashier_app.domain.money import format_amount, format_money, format_rate, parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.services import cards, cash
from cashier_app.services.cash import CashPaymentResult, CashQuote
from cashier_app.services.context import DeskContext
from cashier_app.ui.receipt_fields import contact_fields, receipt_choice, receipt_fields
from cashier_app.ui.widgets import MessageLine, clear_field_errors, show_refusal, while_open

AMOUNT_NAMES = (N_("Сумма"), N_("Сумма в валюте тура"))  # the form's and booking_payments' names for the amount

log = logging.getLogger(__name__)


class CashPaymentDialog(QDialog):
    paid = Signal(object)  # CashPaymentResult
    slip_ready = Signal(object)  # IssuedDocument printed again after a failed slip

    def __init__(self, ctx: DeskContext, runner: Any, card: cards.AccountCard | cards.BookingCard,
                 paper: str = "a4", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx, self.runner, self.card, self.paper = ctx, runner, card, paper
        self.token = cash.new_token()
        self.result: CashPaymentResult | None = None
        self.quote: CashQuote | None = None
        self.is_booking = isinstance(card, cards.BookingCard)
        self.currency = card.currency if self.is_booking else "RUB"
        self.setWindowTitle(tr("Оплата наличными"))
        self.setMinimumWidth(440)

        if isinstance(card, cards.BookingCard):
            what = tr("Заявка № {n}", n=card.number)
            due = card.due_minor
        else:
            what = tr("Лицевой счёт № {n} — {owner}", n=card.number, owner=card.owner)
            due = card.suggested_minor
        self.target_label = QLabel(what)
        self.target_label.setStyleSheet("font-weight: bold;")
        self.target_label.setWordWrap(True)  # a long owner's name wraps at 1024×700
        self.amount = QLineEdit(format_amount(due, sep=" ") if due > 0 else "")
        self.amount.setObjectName("amount")
        self.amount.setPlaceholderText("1 000,50")
        self.received = QLineEdit()
        self.received.setObjectName("received")
        self.received.setPlaceholderText(tr("необязательно"))
        self.rub_label = QLabel("")
        self.rub_label.setObjectName("rub")
        self.change_label = QLabel("")
        self.change_label.setObjectName("change")
        self.change_label.setStyleSheet("font-size: 14pt;")
        self.contact, self.paperless = receipt_fields()
        self.error = MessageLine(self)  # what belongs to no field; a field's error goes under it

        form = QFormLayout()
        label = tr("Сумма") if not self.is_booking else tr("Сумма, {cur}", cur=self.currency)
        form.addRow(label, self.amount)
        if self.is_booking:
            form.addRow(tr("К оплате в рублях"), self.rub_label)
        form.addRow(tr("Получено"), self.received)
        form.addRow(tr("Сдача"), self.change_label)
        form.addRow(tr("Телефон или e-mail для чека"), self.contact)
        form.addRow("", self.paperless)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.pay_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.pay_button.setText(tr("Принять оплату"))
        self.pay_button.setObjectName("pay")
        self.reprint_button = QPushButton(tr("Напечатать квитанцию"))
        self.reprint_button.setObjectName("reprint")
        self.reprint_button.setVisible(False)
        self.buttons.addButton(self.reprint_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.reprint_button.clicked.connect(self.reprint)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.target_label)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.amount.textChanged.connect(self._recalc)
        self.received.textChanged.connect(self._recalc)
        self.amount.setFocus()
        self.amount.selectAll()
        self._recalc()

    def _fields(self) -> dict[str, QWidget]:
        out: dict[str, QWidget] = dict.fromkeys(AMOUNT_NAMES, self.amount)
        out[N_("Получено")] = self.received
        out.update(contact_fields(self.contact))
        return out

    def _refuse(self, exc: BaseException | str) -> None:
        """Once: under the field it names, else on the dialog's line; never a second box."""
        show_refusal(exc, self._fields(), self.error)

    # --- live figures --------------------------------------------------------------
    def _rub_minor(self) -> int | None:
        """Rubles to take for the typed amount (a booking needs the day's rate from the quote)."""
        try:
            amount = parse_amount(self.amount.text(), tr("Сумма"))
        except ValidationError:
            return None
        if not self.is_booking:
            return amount
        if self.quote is not None and self.quote.target_minor == amount:
            return self.quote.rub_minor
        return None

    def _recalc(self) -> None:
        if self.is_booking:
            self._request_quote()
        self._show_change()

    def _request_quote(self) -> None:
        try:
            amount = parse_amount(self.amount.text(), tr("Сумма"))
        except ValidationError:
            self.rub_label.setText("")
            return
        number = self.card.number
        self.runner.run_db(lambda: cash.quote(self.ctx, booking=number, amount_minor=amount),
                           self._quoted, self._quote_refused)

    @while_open
    def _quote_refused(self, exc: BaseException) -> None:
        # Said once, where a submit would say it (under the amount, or the dialog's line).
        self.rub_label.setText("")
        self._refuse(exc)

    @while_open
    def _quoted(self, q: CashQuote) -> None:
        self.quote = q
        if self.error.property("kind") == "error" and self.pay_button.isVisible():
            self.error.clear()  # the amount now quotes: a refusal of the earlier one no longer holds
        self.rub_label.setText(tr("{rub} (курс {rate} на {day})", rub=format_money(q.rub_minor),
                                  rate=format_rate(q.rate), day=q.rate_day or ""))
        self._show_change()

    def _show_change(self) -> None:
        rub = self._rub_minor()
        text = self.received.text().strip()
        if rub is None or not text:
            self.change_label.setText("")
            return
        try:
            received = parse_amount(text, tr("Получено"))
        except ValidationError as exc:
            self.change_label.setText(exc.message)
            return
        if received < rub:
            self.change_label.setText(tr("не хватает {m}", m=format_money(rub - received)))
        else:
            self.change_label.setText(format_money(received - rub))

    # --- paying --------------------------------------------------------------------
    def submit(self) -> None:
        if not self.pay_button.isEnabled():
            return
        try:
            amount = parse_amount(self.amount.text(), tr("Сумма"))
            text = self.received.text().strip()
            received = parse_amount(text, tr("Получено")) if text else None
            contact, paperless = receipt_choice(self.contact, self.paperless)
        except ValidationError as exc:
            self._refuse(exc)
            return
        clear_field_errors(self)
        self.error.clear()
        self.pay_button.setEnabled(False)
        ctx, token, paper = self.ctx, self.token, self.paper
        kwargs = {"booking": self.card.number} if self.is_booking else {"account": self.card.number}
        self.runner.run_db(
            lambda: cash.take_cash(ctx, token=token, amount_minor=amount, received_minor=received, paper=paper,
                                   contact=contact, paperless=paperless, **kwargs),
            self._done, self._failed)

    @while_open
    def _done(self, result: CashPaymentResult) -> None:
        self.result = result
        self.paid.emit(result)
        self.accept()

    @while_open
    def _failed(self, exc: BaseException) -> None:
        """Ask the database, by the token, whether the money was taken before saying anything."""
        from cashier_app.services import outcomes

        db, token = self.ctx.db, self.token
        self.runner.run_db(lambda: outcomes.cash_payment_by_token(db, token),
                           lambda found: self._answered(exc, found), lambda e: self._unknown(exc, e))

    @while_open
    def _answered(self, exc: BaseException, found: CashPaymentResult | None) -> None:
        if found is not None:
            self._slip_failed(found, exc)
            return
        self.pay_button.setEnabled(True)
        if isinstance(exc, UserError):
            self._refuse(exc)
            return
        log.error("cash payment failed before the commit", exc_info=(type(exc), exc, exc.__traceback__))
        self.error.show_error(tr("Ошибка: {kind}. Платёж не проведён (проверено по журналу), деньги не приняты.",
                                 kind=type(exc).__name__))

    @while_open
    def _unknown(self, exc: BaseException, lookup: BaseException) -> None:
        log.error("cash payment: outcome unknown", exc_info=(type(exc), exc, exc.__traceback__))
        log.error("cash payment: the token look-up failed too", exc_info=(type(lookup), lookup, lookup.__traceback__))
        # The same token: pressing again cannot take the money twice.
        self.pay_button.setEnabled(True)
        self.error.show_error(tr("Связь с базой прервалась: результат неизвестен, проверьте журнал платежей. "
                                 "Повторное «Принять оплату» второй раз не спишет."))

    @while_open
    def _slip_failed(self, found: CashPaymentResult, exc: BaseException) -> None:
        """The money is on the account; only the slip is missing: say so and offer to print it."""
        log.error("cash payment %s committed, slip failed", found.payment_number,
                  exc_info=(type(exc), exc, exc.__traceback__))
        self.result = found
        self.paid.emit(found)  # the card and the balance refresh at once
        reason = str(exc) if isinstance(exc, UserError) else type(exc).__name__
        self.error.show_error(tr("Оплата проведена: платёж {p} на {m}. Квитанция не напечатана ({why}) — нажмите "
                              "«Напечатать квитанцию».", p=found.payment_number, m=format_money(found.amount_minor),
                              why=reason))
        self.pay_button.setVisible(False)
        self.amount.setEnabled(False)
        self.received.setEnabled(False)
        self.contact.setEnabled(False)
        self.paperless.setEnabled(False)
        self.reprint_button.setVisible(True)
        self.reprint_button.setEnabled(True)
        self.reprint_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Закрыть"))

    def reprint(self) -> None:
        if self.result is None:
            return
        ctx, pid, paper = self.ctx, self.result.payment_id, self.paper
        self.reprint_button.setEnabled(False)
        self.runner.run_db(lambda: cash.issue_slip(ctx, pid, paper=paper), self._reprinted, self._reprint_failed)

    @while_open
    def _reprinted(self, doc: Any) -> None:
        self.slip_ready.emit(doc)
        self.accept()

    @while_open
    def _reprint_failed(self, exc: BaseException) -> None:
        log.error("slip reprint failed", exc_info=(type(exc), exc, exc.__traceback__))
        self.reprint_button.setEnabled(True)
        assert self.result is not None
        reason = str(exc) if isinstance(exc, UserError) else type(exc).__name__
        self.error.show_error(tr("Оплата проведена: платёж {p} на {m}. Квитанция опять не напечатана ({why}); "
                              "её можно напечатать позже из журнала платежей.", p=self.result.payment_number,
                              m=format_money(self.result.amount_minor), why=reason))

