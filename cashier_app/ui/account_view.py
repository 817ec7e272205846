"""The account card: who, what they pay for, the balance and the last payments."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.money import format_money
from cashier_app.i18n import tr
from cashier_app.services.cards import AccountCard
from cashier_app.ui.widgets import NEGATIVE_STYLE, Form


class AccountView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card: AccountCard | None = None
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
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
        layout.addLayout(top)
        layout.addWidget(pay_box, 1)

    def show_card(self, card: AccountCard) -> None:
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
        state = tr(card.block_state_label)
        if card.block_until:
            state += tr(" до {d}", d=f"{card.block_until:%d.%m.%Y}")
        m.set("block_state", state)
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
                f"{pay.created_at.astimezone():%d.%m.%Y %H:%M}", tr(pay.method_label),
                format_money(pay.amount_minor, pay.currency), pay.transaction_ref or pay.number, tr(pay.status_label),
            )
            for c, v in enumerate(values):
                self.payments.setItem(r, c, QTableWidgetItem(v))
        self.payments.resizeColumnsToContents()
