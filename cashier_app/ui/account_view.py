"""The account card: who, what they pay for, the balance and the last payments."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.audit_words import method_text
from cashier_app.domain.money import format_money
from cashier_app.i18n import tr
from cashier_app.services.cards import AccountCard
from cashier_app.ui.booking_view import payment_status, payment_time
from cashier_app.ui.widgets import NEGATIVE_STYLE, Form

# What must catch the eye on a card (issue 12 §3): colour and weight, so it reads in either language.
ALERT_STYLE = "color: #c62828; font-weight: bold;"  # blocked, internet off, closed
WARN_STYLE = "color: #e65100; font-weight: bold;"  # a voluntary block: the customer's own choice
OK_STYLE = "color: #1b5e20;"


class AccountView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card: AccountCard | None = None
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        # What the payee's billing says of this account (issue 14), filled in by billing_actions in the
        # background once the card is open; hidden for a payee without a connector.
        self.billing = QLabel()
        self.billing.setObjectName("billing_check")
        self.billing.setWordWrap(True)
        self.billing.hide()
        self.check: Any = None
        self.person = Form([
            ("owner", tr("Абонент")), ("address", tr("Адрес")), ("contacts", tr("Контакты")),
            ("payee", tr("Получатель")), ("contract", tr("Договор")),
        ])
        self.money = Form(
            [
                ("balance", tr("Баланс")), ("suggested", tr("К оплате")), ("tariff", tr("Тариф")),
                ("services", tr("Услуги")), ("credit", tr("Кредит")), ("blocked", tr("Заблокировано")),
                ("internet", tr("Интернет")), ("block_state", tr("Состояние")),
                ("autopay", tr("Автоплатёж")), ("promised", tr("Обещанный платёж")),
            ],
            money=("balance", "suggested", "credit", "blocked"),
        )
        self.money.money("suggested").setStyleSheet("font-size: 13pt; font-weight: bold;")
        for key in ("owner", "address", "contacts", "payee", "contract"):
            # A long address or e-mail wraps at any width instead of widening (and clipping) the card.
            self.person.values[key].setMinimumWidth(1)
        self.siblings = QLabel()
        self.siblings.setWordWrap(True)
        self.payments = QTableWidget(0, 5)
        self.payments.setHorizontalHeaderLabels(
            [tr("Дата"), tr("Способ"), tr("Сумма"), tr("Транзакция"), tr("Статус")]
        )
        self.payments.verticalHeader().setVisible(False)
        self.payments.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.payments.horizontalHeader().setStretchLastSection(True)

        top = QHBoxLayout()
        left_box, right_box = QGroupBox(tr("Абонент")), QGroupBox(tr("Счёт"))
        QVBoxLayout(left_box).addWidget(self.person)
        left_box.layout().addWidget(self.siblings)
        QVBoxLayout(right_box).addWidget(self.money)
        top.addWidget(left_box, 1)
        top.addWidget(right_box, 1)
        pay_box = QGroupBox(tr("Последние платежи"))
        QVBoxLayout(pay_box).addWidget(self.payments)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.billing)
        layout.addLayout(top)
        layout.addWidget(pay_box, 1)

    def show_card(self, card: AccountCard) -> None:
        if self.card is None or self.card.number != card.number:
            self.show_check(None)  # another account: the last one's answer must not stay on screen
        self.card = card
        self.title.setText(tr("Лицевой счёт № {n}", n=card.number) + (f"  ({card.login})" if card.login else ""))
        p = self.person
        p.set("owner", card.owner)
        p.set("address", card.address)
        p.set("contacts", ", ".join(x for x in (card.phone, card.email) if x))
        p.set("payee", card.payee_name)
        p.set("contract", card.contract)
        if len(card.contract_accounts) > 1:
            parts = []
            for s in card.contract_accounts:
                amount = format_money(s.balance_minor)
                style = f' style="{NEGATIVE_STYLE}"' if s.balance_minor < 0 else ""
                mark = "<b>" if s.number == card.number else ""
                unmark = "</b>" if mark else ""
                parts.append(f"{mark}№ {s.number}{unmark} — {s.tariff or '—'}, <span{style}>{amount}</span>")
            self.siblings.setText(tr("Счета договора:") + "<br>" + "<br>".join(parts))
        else:
            self.siblings.setText("")
        m = self.money
        m.money("balance").set_amount(card.balance_minor, card.currency)
        m.money("suggested").set_amount(card.suggested_minor, card.currency)
        m.money("credit").set_amount(card.credit_minor, card.currency)
        m.money("blocked").set_amount(card.blocked_minor, card.currency)
        m.set("tariff", tr("{tariff}, {fee} / мес.", tariff=card.tariff or "—", fee=format_money(card.tariff_fee_minor)))
        m.set("services", ", ".join(f"{n} ({format_money(f)})" for n, f in card.services) or tr("нет"))
        m.set("internet", tr("включён") if card.internet_on else tr("выключен"))
        internet = m.values["internet"]
        internet.setStyleSheet(OK_STYLE if card.internet_on else ALERT_STYLE)
        internet.setProperty("alert", not card.internet_on)
        state = tr(card.block_state_label)
        if card.block_until:
            state += tr(" до {d}", d=f"{card.block_until:%d.%m.%Y}")
        if card.closed_on:
            state = tr("Закрыт {d} — платежи не принимаются", d=f"{card.closed_on:%d.%m.%Y}")
        m.set("block_state", state)
        block = m.values["block_state"]
        alert = bool(card.closed_on) or card.block_state not in ("active", "voluntary")
        block.setStyleSheet(ALERT_STYLE if alert else WARN_STYLE if card.block_state == "voluntary" else OK_STYLE)
        block.setProperty("alert", alert or card.block_state == "voluntary")
        if card.autopay_amount_minor:
            m.set("autopay", tr("{amount}, следующий {d}, карта {mask}",
                                amount=format_money(card.autopay_amount_minor),
                                d=f"{card.autopay_next_on:%d.%m.%Y}" if card.autopay_next_on else "—",
                                mask=card.autopay_card_mask or "—"))
        else:
            m.set("autopay", tr("не подключён"))
        if card.promised_amount_minor:
            m.set("promised", tr("{amount} до {d}", amount=format_money(card.promised_amount_minor),
                                 d=f"{card.promised_until:%d.%m.%Y}" if card.promised_until else "—"))
        else:
            m.set("promised", tr("нет"))
        self.payments.setRowCount(len(card.last_payments))
        for r, pay in enumerate(card.last_payments):
            values = (
                payment_time(pay), method_text(pay.method),
                format_money(pay.amount_minor, pay.currency), pay.transaction_ref or pay.number, payment_status(pay),
            )
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.payments.setItem(r, c, item)
        self.payments.resizeColumnsToContents()

    # --- the billing's answer (issue 14) -------------------------------------------------------
    def show_checking(self) -> None:
        """A check is under way; the last answer, if any, stays until the new one comes."""
        if self.check is None:
            self.billing.setText(tr("Биллинг: проверяю…"))
            self.billing.setStyleSheet(CHECK_STYLE["checking"])
            self.billing.setToolTip("")
            self.billing.show()

    def show_check(self, view: Any) -> None:
        """A ``CheckView`` on the card; None or state «off» (no connector) hides the line."""
        self.check = view
        if view is None or view.state == "off":
            self.billing.hide()
            self.billing.clear()
            return
        self.billing.setText(check_text(view))
        self.billing.setStyleSheet(CHECK_STYLE.get(view.state, ""))
        self.billing.setToolTip(view.message or "")
        self.billing.show()


CHECK_STYLE = {"found": "color: #1b5e20;", "checking": "color: #616161;",
               "not_found": NEGATIVE_STYLE, "refused": NEGATIVE_STYLE, "error": "color: #e65100; font-weight: bold;"}


def check_text(view: Any) -> str:
    """«Биллинг: найден, баланс 1 234,50 ₽ — по данным биллинга на 12:03» and the other states."""
    if view.state == "found":
        when = view.checked_at_text
        if view.balance_minor is not None:
            return tr("Биллинг: найден, баланс {balance} — по данным биллинга на {time}",
                      balance=format_money(view.balance_minor), time=when)
        return tr("Биллинг: найден — по данным биллинга на {time}", time=when)
    if view.state == "not_found":
        return tr("Биллинг: лицевой счёт не найден!")
    if view.state == "refused":
        return tr("Биллинг: платежи на этот счёт не принимаются (закрыт или заблокирован)")
    return tr("Биллинг: нет связи с биллингом")
