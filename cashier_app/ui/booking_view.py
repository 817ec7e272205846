"""The booking card: the tour, the tourists, what is due and how it may be paid."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.money import format_money
from cashier_app.domain.tours import days_ru
from cashier_app.i18n import tr
from cashier_app.services.cards import BookingCard
from cashier_app.ui.widgets import Form

UNAVAILABLE = QColor("#8a1c1c")
AVAILABLE = QColor("#1b5e20")


class BookingView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card: BookingCard | None = None
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.tour = Form([
            ("status", tr("Статус")), ("tour_type", tr("Тип тура")), ("destination", tr("Страна, отель")),
            ("dates", tr("Даты")), ("manager", tr("Менеджер")), ("agency", tr("Агентство")),
            ("commission", tr("Комиссия агентства")),
        ])
        self.money = Form(
            [("price", tr("Стоимость")), ("paid", tr("Оплачено")), ("due", tr("К оплате")),
             ("due_rub", tr("К оплате в рублях")), ("rate", tr("Внутренний курс"))],
        )
        self.money.values["due_rub"].setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.tourists = QTableWidget(0, 3)
        self.tourists.setHorizontalHeaderLabels([tr("Турист"), tr("Паспорт"), tr("Дата рождения")])
        self.methods = QTableWidget(0, 3)
        self.methods.setObjectName("methods")
        self.methods.setHorizontalHeaderLabels([tr("Способ оплаты"), tr("Доступен"), tr("Сумма / причина")])
        for table in (self.tourists, self.methods):
            table.verticalHeader().setVisible(False)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setStretchLastSection(True)
        self.methods.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.methods.setWordWrap(True)
        self.tourists.setMaximumHeight(130)

        top = QHBoxLayout()
        tour_box, money_box = QGroupBox(tr("Тур")), QGroupBox(tr("Оплата"))
        QVBoxLayout(tour_box).addWidget(self.tour)
        QVBoxLayout(money_box).addWidget(self.money)
        top.addWidget(tour_box, 1)
        top.addWidget(money_box, 1)
        tourists_box, methods_box = QGroupBox(tr("Туристы")), QGroupBox(tr("Способы оплаты"))
        QVBoxLayout(tourists_box).addWidget(self.tourists)
        QVBoxLayout(methods_box).addWidget(self.methods)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addWidget(tourists_box)
        layout.addWidget(methods_box, 1)

    def show_card(self, card: BookingCard) -> None:
        self.card = card
        self.title.setText(tr("Заявка № {n}", n=card.number))
        t = self.tour
        t.set("status", tr(card.status_label))
        t.set("tour_type", tr(card.tour_type_label))
        t.set("destination", f"{card.country}, {card.hotel or '—'}")
        if card.days_to_departure >= 0:
            left = tr("до вылета {d}", d=days_ru(card.days_to_departure))
        else:
            left = tr("тур начался")
        t.set("dates", f"{card.departure_on:%d.%m.%Y} — {card.return_on:%d.%m.%Y} ({left})")
        t.set("manager", card.manager)
        t.set("agency", card.agency)
        t.set("commission", card.commission)
        m = self.money
        m.set("price", format_money(card.price_minor, card.currency))
        m.set("paid", f"{format_money(card.paid_minor, card.currency)} ({card.paid_share.replace('.', ',')} %)")
        m.set("due", format_money(card.due_minor, card.currency))
        if card.due_rub_minor is not None:
            m.set("due_rub", format_money(card.due_rub_minor))
        else:
            m.set("due_rub", tr("нет курса {cur} на {d}", cur=card.currency, d=f"{card.today:%d.%m.%Y}"))
        if card.rate is not None and card.rate_day is not None:
            m.set("rate", tr("{rate} ₽ за 1 {cur} на {d}", rate=card.rate.replace(".", ","), cur=card.currency,
                             d=f"{card.rate_day:%d.%m.%Y}"))
        else:
            m.set("rate", tr("нет курса"))
        self.tourists.setRowCount(len(card.tourists))
        for r, tourist in enumerate(card.tourists):
            name = tourist.full_name + (" ★" if tourist.is_lead else "")
            birth = f"{tourist.birth_date:%d.%m.%Y}" if tourist.birth_date else "—"
            for c, v in enumerate((name, tourist.passport_masked, birth)):
                self.tourists.setItem(r, c, QTableWidgetItem(v))
        self.tourists.resizeColumnsToContents()
        self.methods.setRowCount(len(card.methods))
        for r, opt in enumerate(card.methods):
            if opt.available:
                detail = self._amount_text(card, opt)
                if opt.note:
                    detail += f" — {opt.note}"
            else:
                detail = opt.reason or ""
            items = (QTableWidgetItem(tr(opt.label)), QTableWidgetItem(tr("да", context="answer") if opt.available else tr("нет", context="answer")),
                     QTableWidgetItem(detail))
            items[1].setForeground(QBrush(AVAILABLE if opt.available else UNAVAILABLE))
            if not opt.available:
                items[2].setForeground(QBrush(UNAVAILABLE))
            for c, item in enumerate(items):
                item.setToolTip(detail)
                self.methods.setItem(r, c, item)
        self.methods.resizeRowsToContents()

    @staticmethod
    def _amount_text(card: BookingCard, opt) -> str:  # type: ignore[no-untyped-def]
        cur = card.currency
        if opt.method == "bonuses":
            return tr("до {max}", max=format_money(opt.max_minor, cur))
        full = opt.amount_mode == "full_only"
        text = (tr("только полностью: {amount}", amount=format_money(opt.max_minor, cur)) if full
                else tr("до {amount}", amount=format_money(opt.max_minor, cur)))
        if opt.total_rub_minor is not None:
            text += f" = {format_money(opt.total_rub_minor)}"
            if opt.fee_rub_minor:
                text += tr(" (с комиссией {fee})", fee=format_money(opt.fee_rub_minor))
        if opt.valid_until:
            text += tr(", действительна только {d}", d=f"{opt.valid_until:%d.%m.%Y}")
        return text
