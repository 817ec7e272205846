"""«Ожидают оплаты»: the card orders a customer may still pay — open, cancel, copy the link.

Opened from the status-bar counter and «Сервис → Ожидают оплаты…».  A cashier
sees his desk's orders, a manager or administrator the whole office's
(``card_pending.pending_orders``).  «Открыть» reopens the order in the F7 dialog
(same link, QR, live status); the list follows the payment watcher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import card_payments, card_pending
from cashier_app.services.card_payments import CardOrder
from cashier_app.services.card_pending import PendingOrder
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.widgets import while_open

COLUMNS = (N_("Заказ"), N_("Счёт / заявка"), N_("Сумма"), N_("Касса"), N_("Создан"), N_("Состояние"))


class PendingOrdersDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, watcher: Any, open_order: Callable[[CardOrder], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner, self.watcher, self.open_order = ctx, runner, watcher, open_order
        self.rows: list[PendingOrder] = []
        self.setWindowTitle(tr("Ожидают оплаты"))
        self.setMinimumSize(860, 360)
        scope = (tr("Все кассы офиса") if card_pending.office_wide(ctx)
                 else tr("Касса {desk}", desk=ctx.desk))
        self.scope = QLabel(scope)
        self.scope.setObjectName("scope")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("orders")
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.info = QLabel("")
        self.info.setObjectName("info")
        self.info.setWordWrap(True)

        self.open_button = QPushButton(tr("Открыть"))
        self.open_button.setObjectName("open")
        self.open_button.setDefault(True)
        self.copy_button = QPushButton(tr("Копировать ссылку"))
        self.copy_button.setObjectName("copy_link")
        self.cancel_button = QPushButton(tr("Отменить заказ"))
        self.cancel_button.setObjectName("cancel_order")
        self.refresh_button = QPushButton(tr("Обновить"))
        self.refresh_button.setObjectName("refresh")
        self.close_button = QPushButton(tr("Закрыть"))
        self.close_button.setObjectName("close")
        row = QHBoxLayout()
        for b in (self.open_button, self.copy_button, self.cancel_button, self.refresh_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.scope)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.info)
        lay.addLayout(row)

        self.open_button.clicked.connect(self.open_selected)
        self.copy_button.clicked.connect(self.copy_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.refresh_button.clicked.connect(self.load)
        self.close_button.clicked.connect(self.accept)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.itemSelectionChanged.connect(self._enable)
        self.watcher.updated.connect(self._on_update)
        self._enable()
        self.load()

    def load(self) -> None:
        ctx = self.ctx
        self.runner.run_db(lambda: card_pending.pending_orders(ctx), self._loaded,
                           lambda e: self.info.setText(str(e)))

    @while_open
    def _loaded(self, rows: list[PendingOrder]) -> None:
        selected = self.selected()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, p in enumerate(rows):
            o = p.order
            values = (o.order_number, o.target, format_money(o.amount_minor), p.desk,
                      f"{p.created_at.astimezone():%d.%m.%Y %H:%M}", o.status_text)
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))
            if selected is not None and o.order_number == selected.order_number:
                self.table.selectRow(r)
        self.table.resizeColumnsToContents()
        if rows and self.selected() is None:
            self.table.selectRow(0)
        self.info.setText(tr("Заказов, ждущих оплаты: {n}", n=len(rows)) if rows
                          else tr("Неоплаченных заказов нет."))
        self._enable()

    def selected(self) -> CardOrder | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.rows):
            return None
        return self.rows[rows[0].row()].order

    def _enable(self) -> None:
        order = self.selected()
        for b in (self.open_button, self.cancel_button):
            b.setEnabled(order is not None)
        self.copy_button.setEnabled(order is not None and bool(order.payment_url))

    @while_open
    def _on_update(self, order: CardOrder) -> None:
        if any(p.order.order_number == order.order_number for p in self.rows):
            self.load()

    def open_selected(self) -> None:
        order = self.selected()
        if order is not None:
            self.open_order(order)

    def copy_selected(self) -> None:
        order = self.selected()
        if order is not None and order.payment_url:
            QGuiApplication.clipboard().setText(order.payment_url)
            self.info.setText(tr("Ссылка заказа № {n} скопирована.", n=order.order_number))

    def cancel_selected(self) -> None:
        order = self.selected()
        if order is None or not messages.confirm(
                self, tr("Отмена заказа"), tr("Отменить заказ {n}? Ссылка на оплату перестанет работать.",
                                             n=order.order_number), tr("Отменить заказ")):
            return
        ctx, number = self.ctx, order.order_number
        self.cancel_button.setEnabled(False)
        self.runner.run_net(lambda: card_payments.cancel(ctx, number), self._cancelled, self._cancel_failed)

    @while_open
    def _cancelled(self, order: CardOrder) -> None:
        self.info.setText(tr("Заказ № {n}: {status}", n=order.order_number, status=order.status_text))
        self.watcher.updated.emit(order)  # the list reloads through _on_update

    @while_open
    def _cancel_failed(self, exc: BaseException) -> None:
        self._enable()
        self.info.setText(messages.error_text(exc))  # once, on the dialog's own line

    def done(self, result: int) -> None:
        try:
            self.watcher.updated.disconnect(self._on_update)
        except (RuntimeError, TypeError):
            pass
        super().done(result)


__all__ = ["PendingOrdersDialog"]
