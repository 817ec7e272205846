"""The payments journal: filters, totals, cancel/refund/reprint for permitted roles, CSV/XLSX export.

Rows come through ``JournalModel`` a page of 200 at a time as the table scrolls;
the totals are always over the whole filter, and an export runs the filter again
(every row, streamed by ``payments_journal.export``), not just the rows loaded so far.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import corrections
from cashier_app.services import payments_journal as pj
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import allowed
from cashier_app.ui import messages
from cashier_app.ui.journal_model import JournalModel
from cashier_app.ui.widgets import (
    MessageLine,
    clear_field_errors,
    fit_to_screen,
    journal_table,
    show_field_error,
    while_open,
)

# A receipt «Повторить чек» can send again: refused, or never answered (looked up first, never a second sale).
RETRYABLE = ("failed", "pending", "sent")
# A billing delivery «Повторить доставку» can push (issue 14): the same txn_id again, the billing verifies it.
BILLING_RETRYABLE = ("refused", "pending", "sent")


class JournalDialog(QDialog):
    document_ready = Signal(object, str)  # IssuedDocument, title
    changed = Signal()

    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner = ctx, runner
        self.setWindowTitle(tr("Журнал платежей"))
        fit_to_screen(self, 1000, 620)  # at 1024×700 too
        today = QDate.currentDate()
        self.date_from = QDateEdit(today)
        self.date_to = QDateEdit(today)
        self.date_to.setObjectName("date_to")
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
        # Two rows: in one the filters need ~1100 px, wider than a 1024×700 screen (issue 12).
        filters = QVBoxLayout()
        first, second = QHBoxLayout(), QHBoxLayout()
        for w in (QLabel(tr("с")), self.date_from, QLabel(tr("по")), self.date_to, self.desk, self.user):
            first.addWidget(w)
        first.addStretch(1)
        for w in (self.method, self.status, self.target_kind, self.target, find):
            second.addWidget(w)
        filters.addLayout(first)
        filters.addLayout(second)

        self.model = JournalModel(runner, lambda f, offset: pj.page(ctx, f, offset=offset), self)
        self.model.totals_changed.connect(lambda _t: self._show_totals())
        self.model.rowsInserted.connect(lambda *_: self._show_totals())
        self.model.failed.connect(self._say)
        self.table = journal_table(self.model, "rows", (100, 115, 65, 55, 65, 100, 130, 80, 70, 90, 100, 100, 110,
                                                            140))
        self.totals = QLabel("")
        self.totals.setObjectName("totals")
        self.message = MessageLine(self, "message")  # a refusal, once, on the dialog's own line (issue 12)

        role = ctx.user.role if ctx.user else None
        self.cancel_button = QPushButton(tr("Отменить платёж…"))
        self.cancel_button.setVisible(allowed(role, "correct"))
        self.refund_button = QPushButton(tr("Возврат…"))
        self.refund_button.setVisible(allowed(role, "refund"))
        self.reprint_button = QPushButton(tr("Повторить квитанцию"))
        # Fiscal receipts (issue 13): the selected entry's receipt, and a failed one sent again.
        self.receipt_button = QPushButton(tr("Чек…"))
        self.receipt_button.setObjectName("fiscal_receipt")
        self.retry_button = QPushButton(tr("Повторить чек"))
        self.retry_button.setObjectName("fiscal_retry")
        self.retry_button.setToolTip(tr("Отправить на кассу чек, который не был пробит (тот же чек, не второй)"))
        self.retry_button.setEnabled(False)
        # A sale the register refused is fixed by a correction receipt, never by a second sale.
        self.correct_receipt_button = QPushButton(tr("Чек коррекции…"))
        self.correct_receipt_button.setObjectName("fiscal_correct")
        self.correct_receipt_button.setToolTip(tr("Оформить чек коррекции для платежа, чек продажи по которому "
                                                  "не пробит"))
        self.correct_receipt_button.setVisible(allowed(role, "correct"))
        self.correct_receipt_button.setEnabled(False)
        csv_button = QPushButton(tr("Выгрузить CSV…"))
        xlsx_button = QPushButton(tr("Выгрузить XLSX…"))
        close = QPushButton(tr("Закрыть"))
        self.cancel_button.clicked.connect(lambda: self._correct("cancel"))
        self.refund_button.clicked.connect(lambda: self._correct("refund"))
        self.reprint_button.clicked.connect(self._reprint)
        self.receipt_button.clicked.connect(self.show_receipt)
        self.retry_button.clicked.connect(self.retry_receipt)
        self.correct_receipt_button.clicked.connect(self.correct_receipt)
        csv_button.clicked.connect(lambda: self._export("csv"))
        xlsx_button.clicked.connect(lambda: self._export("xlsx"))
        close.clicked.connect(self.accept)
        # Payments on one row, receipts and files on the next: one row is wider than 1024 px (issue 12).
        actions = QVBoxLayout()
        payments_row, files_row = QHBoxLayout(), QHBoxLayout()
        for w in (self.cancel_button, self.refund_button, self.reprint_button):
            payments_row.addWidget(w)
        payments_row.addStretch(1)
        for w in (self.receipt_button, self.retry_button, self.correct_receipt_button):
            files_row.addWidget(w)
        files_row.addStretch(1)
        for w in (csv_button, xlsx_button, close):
            files_row.addWidget(w)
        actions.addLayout(payments_row)
        actions.addLayout(files_row)
        lay = QVBoxLayout(self)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)
        lay.addWidget(self.totals)
        lay.addLayout(actions)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        # The billing delivery of the selected entry (issue 14): from the table's context menu.
        self.billing_retry_action = QAction(tr("Повторить доставку в биллинг"), self)
        self.billing_retry_action.setObjectName("billing_retry")
        self.billing_retry_action.setToolTip(tr("Отправить платёж в биллинг ещё раз (тот же номер транзакции, "
                                                "биллинг не зачтёт его дважды)"))
        self.billing_retry_action.setVisible(allowed(role, "correct"))
        self.billing_retry_action.setEnabled(False)
        self.billing_retry_action.triggered.connect(lambda _=False: self.retry_billing())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.reload()

    def _selection_changed(self) -> None:
        r = self.selected()
        self.retry_button.setEnabled(r is not None and r.fiscal in RETRYABLE)
        self.correct_receipt_button.setEnabled(r is not None and r.fiscal == "failed" and r.entry_kind == "payment")
        self.billing_retry_action.setEnabled(r is not None and r.billing in BILLING_RETRYABLE)

    def context_menu(self) -> QMenu:
        """The table's context menu for the selected entry (built afresh: the selection decides what is on)."""
        self._selection_changed()
        menu = QMenu(self)
        menu.addAction(self.billing_retry_action)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())
        self.context_menu().popup(self.table.viewport().mapToGlobal(pos))

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
        clear_field_errors(self)
        self.message.clear()
        self.totals.setText(tr("Загрузка…"))
        self.model.set_filter(self.current_filter())

    @property
    def result(self) -> pj.JournalResult | None:
        """The rows loaded so far with the totals of the whole filter (None until the first page)."""
        t = self.model.totals
        return None if t is None else pj.JournalResult(self.model.rows, t, self.model.has_more)

    def _show_totals(self) -> None:
        t = self.model.totals
        if t is None:
            return
        text = tr("Записей: {n}; принято {paid}; возвращено {ret}; итого {net}", n=t.count,
                  paid=format_money(t.paid_minor), ret=format_money(-t.returned_minor), net=format_money(t.net_minor))
        shown = self.model.rowCount()
        if shown < t.count:
            text += "  " + tr("(показано {shown}; прокрутите вниз, чтобы загрузить ещё)", shown=shown)
        self.totals.setText(text)

    @while_open
    def _say(self, exc: BaseException | str) -> None:
        """A refusal (or «choose a row first») once: a date by its field, the rest on the dialog's line."""
        if isinstance(exc, ValidationError):
            for name, field in ((N_("Дата по"), self.date_to), (N_("Дата с"), self.date_from)):
                if exc.field in (name, tr(name)):
                    self.message.clear()
                    show_field_error(field, exc.message)
                    return
        self.message.show_error(messages.error_text(exc))

    def selected(self) -> pj.JournalRow | None:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    def _correct(self, kind: str) -> None:
        r = self.selected()
        if r is None:
            self._say(tr("Выберите платёж в списке."))
            return
        if kind == "refund":
            self._ask_refund(r.number)
            return
        reason, ok = QInputDialog.getText(self, tr("Причина"), tr("Причина для платежа {n}:", n=r.number))
        if not ok:
            return
        ctx = self.ctx
        self.runner.run_db(lambda: corrections.cancel_payment(ctx, r.number, reason), self._corrected,
                           self._say)

    def _ask_refund(self, number: str) -> None:
        ctx = self.ctx
        self.runner.run_db(lambda: pj.refund_info(ctx, number), self._show_refund_dialog,
                           self._say)

    def _show_refund_dialog(self, info: pj.RefundInfo) -> None:
        from cashier_app.ui.refund_dialog import RefundDialog

        dlg = RefundDialog(info, self)
        self.refund_dialog = dlg
        ctx = self.ctx

        def go() -> None:
            amount, customer, reason = dlg.amount_minor, dlg.customer_text, dlg.reason_text
            self.runner.run_db(lambda: corrections.refund_payment(ctx, info.number, reason, amount_minor=amount,
                                                                  customer=customer),
                               self._corrected, self._say)
        dlg.accepted.connect(go)
        dlg.open()

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
            self._say(tr("У выбранной записи нет квитанции."))
            return
        number, ctx = r.slip, self.ctx
        from cashier_app.services import documents  # on first use, as the other document actions (start-up)

        # The use case, not journal.reprint directly: it checks «print» like every other reprint.
        self.runner.run_db(lambda: documents.reprint(ctx, number),
                           lambda doc: self.document_ready.emit(doc, tr("Квитанция {n}", n=number)),
                           self._say)

    def _export(self, kind: str) -> None:
        if self.model.current_filter is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, tr("Выгрузить"), f"payments.{kind}",
                                              "CSV (*.csv)" if kind == "csv" else "Excel (*.xlsx)")
        if path:
            self.export_to(path, kind)

    def export_to(self, path: str, kind: str) -> None:
        """The whole filter shown (not only the pages loaded), read again on the DB worker."""
        f, ctx = self.model.current_filter, self.ctx
        if f is None:
            return
        def export() -> None:
            pj.export(ctx, f, path, kind)  # every row of the filter, streamed
        self.runner.run_db(export, None, self._say)

    # --- fiscal receipts ---------------------------------------------------------------
    def show_receipt(self) -> None:
        """The fiscal receipts of the selected entry: state, fiscal data, the FNS check QR."""
        r = self.selected()
        if r is None:
            self._say(tr("Выберите платёж в списке."))
            return
        if r.fiscal is None:
            messages.show_info(self, tr("У записи {n} нет фискального чека.", n=r.number))
            return
        from cashier_app.services import fiscal_views
        from cashier_app.ui.fiscal_receipt_dialog import FiscalReceiptDialog

        ctx, number = self.ctx, r.number

        def show(views: list[Any]) -> None:
            dlg = FiscalReceiptDialog(number, views, self)
            self.receipt_dialog = dlg
            dlg.open()

        self.runner.run_db(lambda: fiscal_views.receipts(ctx, payment=number), show,
                           self._say)

    def retry_receipt(self) -> None:
        """A failed receipt again, with the same key: the register is asked first, never a second sale."""
        r = self.selected()
        if r is None or r.fiscal not in RETRYABLE:
            self._say(tr("Выберите запись, чек которой не пробит («ошибка» или «формируется»)."))
            return
        from cashier_app.services import fiscal_delivery

        ctx, number = self.ctx, r.number
        self.retry_button.setEnabled(False)
        # The register may take seconds to answer: the network pool, never the GUI thread.
        self.runner.run_net(lambda: fiscal_delivery.retry(ctx, number), self._retried,
                            lambda e: (self._say(e), self._selection_changed()))

    def _retried(self, views: list[Any]) -> None:
        from cashier_app.ui.fiscal_receipt_dialog import state_text

        self.last_retry = views
        lines = [tr("Чек по записи {n}: {state}", n=v.payment_number, state=state_text(v)) for v in views]
        messages.show_info(self, "\n".join(lines))
        self.reload()

    def correct_receipt(self) -> None:
        """A correction receipt for a payment whose sale receipt the register refused (asks the reason)."""
        r = self.selected()
        if r is None or r.fiscal != "failed" or r.entry_kind != "payment":
            self._say(tr("Выберите платёж, чек продажи по которому не пробит («ошибка»)."))
            return
        reason, ok = QInputDialog.getText(self, tr("Чек коррекции"),
                                          tr("Причина коррекции для платежа {n}:", n=r.number))
        if not ok:
            return
        from cashier_app.services import fiscal_delivery

        ctx, number = self.ctx, r.number
        self.correct_receipt_button.setEnabled(False)
        self.runner.run_net(lambda: fiscal_delivery.correct(ctx, number, reason),
                            lambda view: self._retried([view]),
                            lambda e: (self._say(e), self._selection_changed()))

    # --- billing delivery (issue 14) -------------------------------------------------------
    def retry_billing(self) -> None:
        """The selected entry's delivery sent again now: the same txn_id, so never a second payment."""
        r = self.selected()
        if r is None or r.billing not in BILLING_RETRYABLE:
            self._say(tr("Выберите запись, доставка которой в биллинг не завершена "
                                         "(«отклонён», «в очереди» или «отправлен»)."))
            return
        from cashier_app.services.billing import delivery

        ctx, pid, number = self.ctx, r.id, r.number
        self.billing_retry_action.setEnabled(False)
        # The billing may take its whole timeout to answer: the network pool, never the GUI thread.
        self.runner.run_net(lambda: delivery.retry(ctx, pid), lambda v: self._billing_retried(number, v),
                            lambda e: (self._say(e), self._selection_changed()))

    def _billing_retried(self, number: str, view: Any) -> None:
        from cashier_app.ui.journal_model import billing_text

        self.last_billing_retry = view
        messages.show_info(self, tr("Доставка платежа {n} в биллинг: {state}", n=number,
                                    state=billing_text(view.state, view.last_error)))
        self.reload()
