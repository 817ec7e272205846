"""The payments journal: filters, totals, cancel/refund/reprint for permitted roles, CSV/XLSX export."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import corrections, journal
from cashier_app.services import payments_journal as pj
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import allowed
from cashier_app.ui import messages

HEADERS = (N_("Номер"), N_("Дата и время"), N_("Вид"), N_("Способ"), N_("Статус"), N_("Сумма"),
           N_("Счёт / заявка"), N_("Касса"), N_("Кассир"), N_("Смена"), N_("Причина"), N_("Квитанция"))


class JournalDialog(QDialog):
    document_ready = Signal(object, str)  # IssuedDocument, title
    changed = Signal()

    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.result: pj.JournalResult | None = None
        self.setWindowTitle(tr("Журнал платежей"))
        self.resize(1200, 640)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today)
        self.date_to = QDateEdit(today)
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("dd.MM.yyyy")
        self.desk = QLineEdit()
        self.desk.setPlaceholderText(tr("касса"))
        self.user = QLineEdit()
        self.user.setPlaceholderText(tr("кассир"))
        self.method = QComboBox()
        self.method.addItem(tr("все способы"), None)
        for m in pj.METHODS:
            self.method.addItem(m, m)
        self.status = QComboBox()
        self.status.addItem(tr("все статусы"), None)
        for s in pj.STATUSES:
            self.status.addItem(s, s)
        self.target = QLineEdit()
        self.target.setObjectName("target")
        self.target.setPlaceholderText(tr("номер"))
        self.target_kind = QComboBox()
        self.target_kind.setObjectName("target_kind")
        self.target_kind.addItem(tr("лицевой счёт"), "account")
        self.target_kind.addItem(tr("заявка"), "booking")
        find = QPushButton(tr("Показать"))
        find.setObjectName("find")
        find.clicked.connect(self.reload)
        filters = QHBoxLayout()
        for w in (QLabel(tr("с")), self.date_from, QLabel(tr("по")), self.date_to, self.desk, self.user,
                  self.method, self.status, self.target_kind, self.target, find):
            filters.addWidget(w)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("rows")
        self.table.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.totals = QLabel("")
        self.totals.setObjectName("totals")

        role = ctx.user.role if ctx.user else None
        self.cancel_button = QPushButton(tr("Отменить платёж…"))
        self.cancel_button.setVisible(allowed(role, "correct"))
        self.refund_button = QPushButton(tr("Возврат…"))
        self.refund_button.setVisible(allowed(role, "refund"))
        self.reprint_button = QPushButton(tr("Повторить квитанцию"))
        csv_button = QPushButton(tr("Выгрузить CSV…"))
        xlsx_button = QPushButton(tr("Выгрузить XLSX…"))
        close = QPushButton(tr("Закрыть"))
        self.cancel_button.clicked.connect(lambda: self._correct("cancel"))
        self.refund_button.clicked.connect(lambda: self._correct("refund"))
        self.reprint_button.clicked.connect(self._reprint)
        csv_button.clicked.connect(lambda: self._export("csv"))
        xlsx_button.clicked.connect(lambda: self._export("xlsx"))
        close.clicked.connect(self.accept)
        actions = QHBoxLayout()
        for w in (self.cancel_button, self.refund_button, self.reprint_button):
            actions.addWidget(w)
        actions.addStretch(1)
        for w in (csv_button, xlsx_button, close):
            actions.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.totals)
        lay.addLayout(actions)
        self.reload()

    def current_filter(self) -> pj.JournalFilter:
        target = self.target.text().strip() or None
        kind = self.target_kind.currentData()
        return pj.JournalFilter(
            date_from=self.date_from.date().toPython(), date_to=self.date_to.date().toPython(),  # type: ignore[arg-type]
            desk=self.desk.text().strip() or None, user=self.user.text().strip() or None,
            method=self.method.currentData(), status=self.status.currentData(),
            account=target if kind == "account" else None,
            booking=target if kind == "booking" else None,
        )

    def reload(self) -> None:
        f = self.current_filter()
        self.runner.run_db(lambda: pj.query(self.ctx, f), self._show, lambda e: messages.show_error(self, e))

    def _show(self, result: pj.JournalResult) -> None:
        self.result = result
        self.table.setRowCount(len(result.rows))
        for i, r in enumerate(result.rows):
            cells = (r.number, r.created_at.astimezone().strftime("%d.%m.%Y %H:%M"), r.entry_kind, r.method, r.status,
                     format_money(r.amount_minor, r.currency), r.account or r.booking or "", r.desk, r.user or "",
                     r.shift or "", r.reason or "", r.slip or "")
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        t = result.totals
        self.totals.setText(tr("Записей: {n}; принято {paid}; возвращено {ret}; итого {net}", n=t.count,
                               paid=format_money(t.paid_minor), ret=format_money(-t.returned_minor),
                               net=format_money(t.net_minor)))

    def selected(self) -> pj.JournalRow | None:
        row = self.table.currentRow()
        if self.result is None or row < 0 or row >= len(self.result.rows):
            return None
        return self.result.rows[row]

    def _correct(self, kind: str) -> None:
        r = self.selected()
        if r is None:
            messages.show_error(self, tr("Выберите платёж в списке."))
            return
        reason, ok = QInputDialog.getText(self, tr("Причина"), tr("Причина для платежа {n}:", n=r.number))
        if not ok:
            return
        ctx = self.ctx
        if kind == "cancel":
            fn = lambda: corrections.cancel_payment(ctx, r.number, reason)  # noqa: E731
        else:
            fn = lambda: corrections.refund_payment(ctx, r.number, reason)  # noqa: E731
        self.runner.run_db(fn, self._corrected, lambda e: messages.show_error(self, e))

    def _corrected(self, res: corrections.CorrectionResult) -> None:
        messages.show_info(self, tr("Платёж {n}: возвращено {m} (запись {e}).", n=res.original_number,
                                    m=format_money(res.amount_minor), e=res.entry_number))
        if res.application is not None:
            self.document_ready.emit(res.application, tr("Заявление на возврат"))
        self.changed.emit()
        self.reload()

    def _reprint(self) -> None:
        r = self.selected()
        if r is None or not r.slip:
            messages.show_error(self, tr("У выбранной записи нет квитанции."))
            return
        number, ctx = r.slip, self.ctx
        self.runner.run_db(lambda: journal.reprint(ctx.db, ctx, number),
                           lambda doc: self.document_ready.emit(doc, tr("Квитанция {n}", n=number)),
                           lambda e: messages.show_error(self, e))

    def _export(self, kind: str) -> None:
        if self.result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, tr("Выгрузить"), f"payments.{kind}",
                                              "CSV (*.csv)" if kind == "csv" else "Excel (*.xlsx)")
        if path:
            self.export_to(path, kind)

    def export_to(self, path: str, kind: str) -> None:
        result = self.result
        assert result is not None
        fn = pj.export_csv if kind == "csv" else pj.export_xlsx
        self.runner.run_db(lambda: fn(result, path), None, lambda e: messages.show_error(self, e))
