"""«Документы (F2)»: choose the payment document for the card, check the payer, make it.

Kinds the booking card greys out are disabled here with the card's reason;
for ф. 112ЭП the required fields still empty are listed in red and «Сформировать»
stays disabled until they are filled.  Issuing runs in the background; the
result opens in the PDF preview.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import RuleViolation, UserError, ValidationError
from cashier_app.domain.money import format_amount, format_rate, parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.services import documents
from cashier_app.services.context import DeskContext
from cashier_app.services.document_payer import ADDRESS_EXAMPLE
from cashier_app.services.documents import DocumentOptions, KindOption, PayerFields, PayerInput
from cashier_app.services.journal import IssuedDocument
from cashier_app.ui import messages
from cashier_app.ui.widgets import MessageLine, clear_field_errors, while_open
from cashier_app.ui.widgets import show_refusal as widgets_show_refusal

PAYER_FIELDS = (
    ("full_name", N_("Ф.И.О. плательщика")),
    ("postal_index", N_("Индекс")),
    ("region", N_("Регион")),
    ("district", N_("Район")),
    ("settlement", N_("Населённый пункт")),
    ("city", N_("Город")),
    ("street", N_("Улица")),
    ("house", N_("Дом")),
    ("flat", N_("Квартира")),
    ("inn", N_("ИНН плательщика")),
)


def refusal_text(exc: BaseException) -> str:
    """A refused rule lists every reason on its own line."""
    if isinstance(exc, RuleViolation):
        return tr("Документ не сформирован:") + "\n" + "\n".join(f"• {r}" for r in exc.reasons)
    return messages.error_text(exc)


def show_refusal(parent: QWidget | None, exc: BaseException) -> None:
    """For a window with no line of its own (the batch): one box with every reason."""
    messages.show_error(parent, refusal_text(exc))


class DocumentDialog(QDialog):
    issued = Signal(object)  # IssuedDocument

    def __init__(self, ctx: DeskContext, runner: Any, options: DocumentOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner, self.options = ctx, runner, options
        self.busy = False
        what = tr("Лицевой счёт") if options.target_kind == "account" else tr("Заявка")
        self.setWindowTitle(tr("Документ на оплату — {what} {n}", what=what, n=options.number))
        self.setMinimumWidth(640)

        head = QLabel(tr("{what} <b>{n}</b> — получатель {payee}", what=what, n=options.number,
                         payee=options.payee_name))
        if options.rate:
            head.setText(head.text() + "<br>" + tr("Курс {cur}: {rate} руб. на {day}", cur=options.currency or "",
                                                    rate=format_rate(Decimal(options.rate)),
                                                    day=options.rate_day.strftime("%d.%m.%Y") if options.rate_day else "—"))

        kinds_box = QGroupBox(tr("Документ"))
        kv = QVBoxLayout(kinds_box)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for i, k in enumerate(options.kinds):
            text = tr(k.label) if k.available else f"{tr(k.label)} — {k.reason}"
            btn = QRadioButton(text)
            btn.setObjectName(f"kind_{k.kind}")
            btn.setEnabled(k.available)
            if k.reason:
                btn.setToolTip(k.reason)
            self.kind_group.addButton(btn, i)
            self.kind_buttons[k.kind] = btn
            kv.addWidget(btn)

        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.amount_info = QLabel()
        self.amount_info.setObjectName("amount_info")
        self.amount_info.setWordWrap(True)

        payer_box = QGroupBox(tr("Плательщик"))
        form = QFormLayout(payer_box)
        self.payer_edits: dict[str, QLineEdit] = {}
        for key, label in PAYER_FIELDS:
            edit = QLineEdit(getattr(options.payer, key))
            edit.setObjectName(f"payer_{key}")
            edit.textChanged.connect(self._refresh)
            form.addRow(tr(label), edit)
            self.payer_edits[key] = edit
        # A whole address typed here is printed exactly as typed (ф. 112ЭП boxes it);
        # it replaces the parts above, which stay for an address from the card.
        self.address_line = QLineEdit()
        self.address_line.setObjectName("payer_address")
        self.address_line.setPlaceholderText(ADDRESS_EXAMPLE)  # «как напечатать» is the tooltip: fits at 1024
        self.address_line.setToolTip(tr("как напечатать: «{example}»", example=ADDRESS_EXAMPLE))
        self.address_line.textChanged.connect(self._address_line_changed)
        form.insertRow(1, tr("Адрес одной строкой"), self.address_line)
        self.buyer_name = QLineEdit()
        self.buyer_name.setObjectName("buyer_name")
        self.buyer_inn = QLineEdit()
        self.buyer_inn.setObjectName("buyer_inn")
        self.buyer_rows = (QLabel(tr("Покупатель (организация)")), QLabel(tr("ИНН покупателя")))
        form.addRow(self.buyer_rows[0], self.buyer_name)
        form.addRow(self.buyer_rows[1], self.buyer_inn)
        for w in (self.buyer_name, self.buyer_inn):
            w.textChanged.connect(self._refresh)

        self.missing = QLabel()
        self.missing.setObjectName("missing")
        self.missing.setStyleSheet("color: #c62828;")
        self.missing.setWordWrap(True)

        self.make_button = QPushButton(tr("Сформировать"))
        self.make_button.setObjectName("make")
        self.make_button.setDefault(True)
        self.journal_button = QPushButton(tr("Журнал документов…"))
        self.journal_button.setObjectName("journal")
        close = QPushButton(tr("Закрыть"))
        self.make_button.clicked.connect(self.make)
        self.journal_button.clicked.connect(self.open_journal)
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.journal_button)
        row.addStretch(1)
        row.addWidget(self.make_button)
        row.addWidget(close)

        amount_row = QHBoxLayout()
        amount_row.addWidget(QLabel(tr("Сумма, руб.")))
        amount_row.addWidget(self.amount)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(kinds_box)
        lay.addLayout(amount_row)
        lay.addWidget(self.amount_info)
        lay.addWidget(payer_box)
        lay.addWidget(self.missing)
        self.error = MessageLine(self)  # a refusal tied to no field, once
        lay.addWidget(self.error)
        lay.addLayout(row)

        self.kind_group.idToggled.connect(lambda _id, on: on and self._kind_changed())
        first = next((k for k in options.kinds if k.available), None)
        if first is not None:
            self.kind_buttons[first.kind].setChecked(True)
        self._kind_changed()

    # -- state ---------------------------------------------------------------------
    def current(self) -> KindOption | None:
        i = self.kind_group.checkedId()
        return self.options.kinds[i] if i >= 0 else None

    def payer_input(self) -> PayerInput:
        """What the cashier typed: the address line (printed as typed) or the parts."""
        parts = {k: " ".join(e.text().split()) for k, e in self.payer_edits.items()}
        line = self.address_line.text().strip()
        if line:  # the line replaces every part, the index too (type it in the line)
            parts = {k: v for k, v in parts.items() if k in ("full_name", "inn")}
        return PayerInput(**parts, address=line or None,
                          buyer_name=self.buyer_name.text() or None, buyer_inn=self.buyer_inn.text() or None)

    def payer_fields(self) -> PayerFields:
        return documents.apply_input(PayerFields(), self.payer_input())

    def _address_line_changed(self, text: str) -> None:
        for key in ("postal_index", "region", "district", "settlement", "city", "street", "house", "flat"):
            self.payer_edits[key].setEnabled(not text.strip())
        self._refresh()

    def _kind_changed(self) -> None:
        k = self.current()
        if k is None:
            self.amount.setText("")
            self.amount.setEnabled(False)
            self.amount_info.setText(tr("Нет доступных документов для этой карточки."))
        else:
            self.amount.setText(format_amount(k.amount_rub_minor, sep=" ") if k.amount_rub_minor else "")
            self.amount.setEnabled(k.amount_editable)
            self.amount_info.setText(documents.describe_option(k) if k.amount_rub_minor else "")
        invoice = k is not None and k.kind == "invoice"
        for w in (*self.buyer_rows, self.buyer_name, self.buyer_inn):
            w.setVisible(invoice)
        self._refresh()

    def missing_fields(self) -> list[str]:
        k = self.current()
        if k is None:
            return []
        out: list[str] = []
        if k.kind == "post112":
            try:
                out = documents.missing_post_fields(self.payer_fields())
            except UserError:
                out = []  # the problem itself is shown by payer_problems()
        elif k.kind == "invoice":
            if not self.buyer_name.text().strip():
                out.append(tr("Покупатель (организация)"))
            if not self.buyer_inn.text().strip():
                out.append(tr("ИНН покупателя"))
        elif not self.payer_edits["full_name"].text().strip():
            out.append(tr("Ф.И.О. плательщика"))
        return out

    def payer_problems(self) -> list[str]:
        """A bad payer ИНН, or an address ф. 112ЭП cannot box — named before «Сформировать»."""
        k = self.current()
        if k is None:
            return []
        try:
            fields = self.payer_fields()
        except UserError as exc:
            return [str(exc)]
        return documents.payer_problems(fields, post_form=k.kind == "post112")

    def _refresh(self) -> None:
        missing, problems = self.missing_fields(), self.payer_problems()
        lines = [*problems, *([tr("Не заполнено: {fields}", fields=", ".join(missing))] if missing else [])]
        text = "\n".join(lines)
        if text != self.missing.text():
            self.missing.setText(text)
            self.adjustSize()  # a wrapped reason must not be clipped by the dialog's old height
        self.make_button.setEnabled(self.current() is not None and not lines and not self.busy)

    # -- actions -------------------------------------------------------------------
    def make(self) -> None:
        k = self.current()
        if k is None or self.missing_fields() or self.payer_problems() or self.busy:
            return
        amount: int | None = None
        clear_field_errors(self)
        self.error.clear()
        if k.amount_editable:
            try:
                amount = parse_amount(self.amount.text(), tr("Сумма"))
            except UserError as exc:
                self._refuse(exc)
                return
        try:
            payer = self.payer_input()
            documents.apply_input(PayerFields(), payer)  # a line and parts together: refused here
        except UserError as exc:
            self._refuse(exc)
            return
        target = {self.options.target_kind: self.options.number}
        ctx, today = self.ctx, self.options.today
        self.busy = True
        self._refresh()
        self.runner.run_db(lambda: documents.issue(ctx, k.kind, amount_rub_minor=amount, payer=payer, today=today,
                                                   **target),
                           self._done, self._failed)

    @while_open
    def _done(self, doc: IssuedDocument) -> None:
        self.busy = False
        self._refresh()
        self.issued.emit(doc)
        self.accept()

    def _fields(self) -> dict[str, QWidget]:
        """Every field a refusal may name (``ValidationError.field``), in the form's own words."""
        out: dict[str, QWidget] = {N_("Сумма"): self.amount, N_("Сумма, руб."): self.amount,
                                   N_("Адрес одной строкой"): self.address_line, N_("Адрес"): self.address_line,
                                   N_("Покупатель (организация)"): self.buyer_name, N_("ИНН покупателя"): self.buyer_inn}
        out.update({label: self.payer_edits[key] for key, label in PAYER_FIELDS})
        return out

    def _refuse(self, exc: BaseException) -> None:
        """Once: under the field it names, else on the dialog's own line (every reason on a line)."""
        if isinstance(exc, ValidationError):
            widgets_show_refusal(exc, self._fields(), self.error)
        else:
            self.error.show_error(refusal_text(exc))

    @while_open
    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self._refresh()
        self._refuse(exc)

    def open_journal(self) -> None:
        from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

        dlg = DocumentsJournalDialog(self.ctx, self.runner, **{self.options.target_kind: self.options.number},
                                     parent=self)
        self.journal_dialog = dlg
        dlg.open()
