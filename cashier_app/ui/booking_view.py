"""The booking card: the tour, the tourists, what is due, how it may be paid and what was paid.

The card scrolls as a whole (a ``QScrollArea``) and its tables are as tall as their rows, so at
1280×720 every payment method — the bonus row too — and the payments list are there to read; no
table hides rows behind a scroll bar of its own.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.audit_words import entry_kind_text, method_text, status_text
from cashier_app.domain.money import format_money, format_rate
from cashier_app.domain.tours import days_ru
from cashier_app.i18n import tr
from cashier_app.services.cards import BookingCard, PaymentLine
from cashier_app.services.office_time import local_clock
from cashier_app.ui.widgets import Form

UNAVAILABLE = QColor("#8a1c1c")
AVAILABLE = QColor("#1b5e20")
MATCHED = QColor("#fff3c4")  # the tourist the search found the booking by


def fit_table_height(table: QTableWidget) -> None:
    """The table as tall as its header and rows: the card's scroll area scrolls, not the table."""
    table.resizeRowsToContents()
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    if table.horizontalScrollBar().isVisible():
        height += table.horizontalScrollBar().height()
    table.setFixedHeight(max(height, table.horizontalHeader().height() + 2 * table.frameWidth() + 4))


def payment_time(line: PaymentLine) -> str:
    """Date and time of a payment on the office clock."""
    return local_clock(line.created_at).strftime("%d.%m.%Y %H:%M")


def payment_status(line: PaymentLine) -> str:
    """«Зачислен», «Возвращён (возврат)» — the status and, for a cancel or refund, which one."""
    status = status_text(line.status)
    if line.entry_kind != "payment":
        status = tr("{status} ({kind})", status=status, kind=entry_kind_text(line.entry_kind).lower())
    return status


class BookingView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card: BookingCard | None = None
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.title.setWordWrap(True)
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
        # Amounts are short: on one line each (a wrapped one was not given its second line's height).
        for key in ("price", "paid", "due", "due_rub", "rate"):
            self.money.values[key].setWordWrap(False)
        # Whose passport (or name) found the booking: said in the box's title, and the row is highlighted.
        self.tourists_box = QGroupBox(tr("Туристы"))
        self.tourists_box.setObjectName("tourists_box")
        self.tourists = QTableWidget(0, 3)
        self.tourists.setObjectName("tourists")
        self.tourists.setHorizontalHeaderLabels([tr("Турист"), tr("Паспорт"), tr("Дата рождения")])
        self.methods = QTableWidget(0, 3)
        self.methods.setObjectName("methods")
        self.methods.setHorizontalHeaderLabels([tr("Способ оплаты"), tr("Доступен"), tr("Сумма / причина")])
        self.payments = QTableWidget(0, 5)
        self.payments.setObjectName("payments")
        self.payments.setHorizontalHeaderLabels(
            [tr("Дата"), tr("Сумма"), tr("Способ"), tr("Номер"), tr("Статус")])
        self.no_payments = QLabel(tr("Платежей по заявке ещё не было."))
        self.no_payments.setObjectName("no_payments")
        for table in (self.tourists, self.methods, self.payments):
            table.verticalHeader().setVisible(False)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setStretchLastSection(True)
            table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustIgnored)
        # The method's name takes at most a third of the width and wraps; the amount or reason gets the rest.
        self.methods.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.methods.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.methods.setWordWrap(True)
        # A wrapped reason makes its row taller when the card gets narrower: the table follows.
        self.methods.horizontalHeader().sectionResized.connect(lambda *_: fit_table_height(self.methods))

        top = QHBoxLayout()
        tour_box, money_box = QGroupBox(tr("Тур")), QGroupBox(tr("Оплата"))
        QVBoxLayout(tour_box).addWidget(self.tour)
        QVBoxLayout(money_box).addWidget(self.money)
        top.addWidget(tour_box, 1)
        top.addWidget(money_box, 1)
        methods_box = QGroupBox(tr("Способы оплаты"))
        QVBoxLayout(self.tourists_box).addWidget(self.tourists)
        QVBoxLayout(methods_box).addWidget(self.methods)
        payments_box = QGroupBox(tr("Последние платежи"))
        pl = QVBoxLayout(payments_box)
        pl.addWidget(self.no_payments)
        pl.addWidget(self.payments)

        body = QWidget()
        body.setObjectName("booking_body")
        lay = QVBoxLayout(body)
        lay.addWidget(self.title)
        lay.addLayout(top)
        # What the cashier acts on first: the methods right under the amounts, then who and what was paid.
        lay.addWidget(methods_box)
        lay.addWidget(self.tourists_box)
        lay.addWidget(payments_box)
        lay.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("booking_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        if self.card is not None:
            self._fit_method_column()
            for table in (self.tourists, self.methods, self.payments):
                fit_table_height(table)

    def _fit_method_column(self) -> None:
        want = self.methods.sizeHintForColumn(0)
        cap = max(120, self.methods.viewport().width() // 3)
        self.methods.setColumnWidth(0, min(want, cap))

    def show_card(self, card: BookingCard) -> None:
        if self.card is None or self.card.number != card.number:
            self.scroll.verticalScrollBar().setValue(0)  # another booking: from its top
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
            # Two lines by hand: a wrapped label in the form was not given its second line's height.
            m.set("rate", tr("{rate} ₽ за 1 {cur}\nна {d}", rate=format_rate(Decimal(card.rate)), cur=card.currency,
                             d=f"{card.rate_day:%d.%m.%Y}"))
        else:
            m.set("rate", tr("нет курса"))
        self._show_tourists(card)
        self._show_methods(card)
        self._show_payments(card)

    def _show_tourists(self, card: BookingCard) -> None:
        self.tourists.setRowCount(len(card.tourists))
        for r, tourist in enumerate(card.tourists):
            name = tourist.full_name + (" ★" if tourist.is_lead else "")
            birth = f"{tourist.birth_date:%d.%m.%Y}" if tourist.birth_date else "—"
            for c, v in enumerate((name, tourist.passport_masked, birth)):
                item = QTableWidgetItem(v)
                if tourist.matched:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(QBrush(MATCHED))
                    item.setToolTip(tr("Заявка найдена по этому туристу"))
                self.tourists.setItem(r, c, item)
        if card.matched_tourist:
            self.tourists_box.setTitle(tr("Туристы — найдена по туристу {name}", name=card.matched_tourist))
        else:
            self.tourists_box.setTitle(tr("Туристы"))
        self.tourists.resizeColumnsToContents()
        fit_table_height(self.tourists)

    def _show_methods(self, card: BookingCard) -> None:
        self.methods.setRowCount(len(card.methods))
        for r, opt in enumerate(card.methods):
            if opt.available:
                detail = self._amount_text(card, opt)
                if opt.note:
                    detail += f" — {opt.note}"
            else:
                detail = opt.reason or ""
            items = (QTableWidgetItem(tr(opt.label)),
                     QTableWidgetItem(tr("да", context="answer") if opt.available else tr("нет", context="answer")),
                     QTableWidgetItem(detail))
            items[1].setForeground(QBrush(AVAILABLE if opt.available else UNAVAILABLE))
            if not opt.available:
                items[2].setForeground(QBrush(UNAVAILABLE))
            for c, item in enumerate(items):
                item.setToolTip(detail)
                self.methods.setItem(r, c, item)
        self._fit_method_column()
        fit_table_height(self.methods)

    def _show_payments(self, card: BookingCard) -> None:
        """The last payments: date on the office clock, amount, method, number and status."""
        lines = card.last_payments
        self.payments.setRowCount(len(lines))
        for r, pay in enumerate(lines):
            values = (payment_time(pay), format_money(pay.amount_minor, pay.currency), method_text(pay.method),
                      pay.number, payment_status(pay))
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.payments.setItem(r, c, item)
        self.payments.setVisible(bool(lines))
        self.no_payments.setVisible(not lines)
        self.payments.resizeColumnsToContents()
        fit_table_height(self.payments)

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
