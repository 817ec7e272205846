"""Payees for the administrator: requisites and the card gateway of each.

Validation is the service's: Save sends the form as typed and shows every
problem the service names next to the form, marking each field, so the
administrator fixes them all in one pass.  Nothing is saved while any remains.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.i18n import N_, tr
from cashier_app.services import payees
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.widgets import clear_field_errors, fit_to_screen, mark_problems

HEADERS = (N_("Код"), N_("Наименование"), N_("Вид"), N_("ИНН"), N_("Шлюз"))
KIND_LABELS = {"isp": N_("интернет / ТВ"), "travel": N_("туризм")}
PROVIDER_LABELS = {None: N_("не настроен"), "sberbank": N_("Сбербанк"), "tbank": N_("Т-Банк"),
                   "chronopay": "ChronoPay"}
SECRET_LABELS = {
    payees.SECRET_KEYRING: N_("в хранилище ключей"),
    payees.SECRET_ENV: N_("в переменной окружения {name}"),
    payees.SECRET_DEMO: N_("демо-песочница"),
    None: N_("не задан"),
}
# (service field name, attribute, form label); the service's refusals name these fields.
TEXT_FIELDS = (
    (payees.F_CODE, "code", N_("Код (латиницей)")),
    (payees.F_NAME, "name", N_("Наименование")),
    (payees.F_INN, "inn", N_("ИНН")),
    (payees.F_KPP, "kpp", N_("КПП")),
    (payees.F_ACCOUNT, "account", N_("Расчётный счёт")),
    (payees.F_BANK, "bank_name", N_("Банк")),
    (payees.F_BIC, "bic", N_("БИК")),
    (payees.F_CORR, "corr_account", N_("Корр. счёт")),
    (payees.F_INDEX, "postal_index", N_("Индекс")),
    (payees.F_ADDRESS, "address", N_("Адрес")),
    (payees.F_PURPOSE, "purpose_template", N_("Назначение платежа")),
)
BAD_STYLE = "border: 1px solid #c62828; background: #fff3f3;"


class PayeesDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, rows: list[payees.PayeeRow] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner = ctx, runner
        self.rows: list[payees.PayeeRow] = []
        self.creating = True
        self.setWindowTitle(tr("Получатели платежей"))
        fit_to_screen(self, 1000, 640)  # at 1024×700 too

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("rows")
        self.table.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selected)

        # --- requisites
        self.edits: dict[str, QLineEdit] = {}
        self.field_widgets: dict[str, QWidget] = {}
        req = QGroupBox(tr("Реквизиты"))
        form = QFormLayout(req)
        for field, attr, label in TEXT_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(attr)
            self.edits[attr] = edit
            self.field_widgets[field] = edit
            form.addRow(tr(label), edit)
            if attr == "code":
                self.kind = QComboBox()
                self.kind.setObjectName("kind")
                for key in payees.KINDS:
                    self.kind.addItem(tr(KIND_LABELS[key]), key)
                self.kind.currentIndexChanged.connect(self._kind_changed)
                self.field_widgets[payees.F_KIND] = self.kind
                form.addRow(tr("Вид"), self.kind)
        self.edits["kpp"].setPlaceholderText(tr("у ИП пусто"))
        # Long hints are tooltips: a placeholder cut at 1024×700 reads as a value (issue 12).
        self.edits["purpose_template"].setToolTip(tr("например: Оплата услуг связи по л/с {account}"))
        self.tech = QComboBox()
        self.tech.setObjectName("tech_code")
        self.tech.addItem(tr("09 — интернет и ТВ"), "09")
        self.tech.addItem(tr("11 — отдых и путешествия"), "11")
        self.field_widgets[payees.F_TECH] = self.tech
        form.addRow(tr("TechCode (ГОСТ Р 56042)"), self.tech)
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c62828;")
        self.problems.hide()
        buttons = QHBoxLayout()
        self.new_button = QPushButton(tr("Новый получатель"))
        self.new_button.setObjectName("new")
        self.new_button.clicked.connect(self.new_payee)
        self.save_button = QPushButton(tr("Сохранить реквизиты"))
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        req_col = QVBoxLayout()
        req_col.addWidget(req)
        req_col.addWidget(self.problems)
        req_col.addLayout(buttons)

        # --- gateway
        gw = QGroupBox(tr("Шлюз оплаты"))
        gform = QFormLayout(gw)
        self.provider = QComboBox()
        self.provider.setObjectName("provider")
        for key, label in PROVIDER_LABELS.items():
            self.provider.addItem(tr(label), key)
        self.url = QLineEdit()
        self.url.setObjectName("url")
        self.url.setToolTip("https://securepayments.sberbank.ru")
        self.login = QLineEdit()
        self.login.setObjectName("gw_login")
        self.ca_file = QLineEdit()
        self.ca_file.setObjectName("ca_file")
        # the hint is the tooltip: it does not fit at 1024×700
        self.ca_file.setToolTip(tr("необязательно: корневой сертификат PEM (Минцифры)"))
        choose = QPushButton(tr("Выбрать…"))
        choose.setObjectName("choose_ca")
        choose.clicked.connect(self.choose_ca_file)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(choose)
        self.secret = QLineEdit()
        self.secret.setObjectName("secret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setToolTip(tr("пусто — оставить прежний"))
        self.secret_status = QLabel()
        self.secret_status.setObjectName("secret_status")
        self.secret_status.setWordWrap(True)
        gform.addRow(tr("Банк-эквайер"), self.provider)
        gform.addRow(tr("Адрес шлюза"), self.url)
        gform.addRow(tr("Логин / терминал"), self.login)
        gform.addRow(tr("Файл сертификата"), ca_row)
        gform.addRow(tr("Пароль / секрет"), self.secret)
        gform.addRow("", self.secret_status)
        self.gw_widgets: dict[str, QWidget] = {
            payees.F_PROVIDER: self.provider, payees.F_URL: self.url, payees.F_LOGIN: self.login,
            payees.F_CA: self.ca_file, payees.F_SECRET: self.secret,
        }
        self.gw_problems = QLabel()
        self.gw_problems.setObjectName("gw_problems")
        self.gw_problems.setWordWrap(True)
        self.gw_problems.setStyleSheet("color: #c62828;")
        self.gw_problems.hide()
        self.gw_save = QPushButton(tr("Сохранить шлюз"))
        self.gw_save.setObjectName("save_gateway")
        self.gw_save.clicked.connect(self.save_gateway)
        # The payee's fiscal register and receipt settings (issue 13): a dialog of their own.
        self.fiscal_button = QPushButton(tr("ККТ и чеки…"))
        self.fiscal_button.setObjectName("fiscal_settings")
        self.fiscal_button.setToolTip(tr("Касса, налогообложение, признак агента и поставщик в чеках"))
        self.fiscal_button.clicked.connect(self.open_fiscal)
        # A provider's live connector to its billing (issue 14): a dialog of its own.
        self.billing_button = QPushButton(tr("Биллинг…"))
        self.billing_button.setObjectName("billing_settings")
        self.billing_button.clicked.connect(self.open_billing)
        gw_buttons = QHBoxLayout()
        gw_buttons.addWidget(self.fiscal_button)
        gw_buttons.addWidget(self.billing_button)
        gw_buttons.addStretch(1)
        gw_buttons.addWidget(self.gw_save)
        gw_col = QVBoxLayout()
        gw_col.addWidget(gw)
        gw_col.addWidget(self.gw_problems)
        gw_col.addLayout(gw_buttons)
        gw_col.addStretch(1)

        close = QPushButton(tr("Закрыть"))
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        forms = QHBoxLayout()
        forms.addLayout(req_col, 3)
        forms.addLayout(gw_col, 2)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addLayout(forms)
        lay.addLayout(bottom)
        self.new_payee()
        if rows is None:
            self.reload()
        else:
            self._show(rows)

    # --- list
    def reload(self, select: str | None = None) -> None:
        self.runner.run_db(lambda: payees.list_for_admin(self.ctx), lambda rows: self._show(rows, select),
                           lambda e: messages.show_error(self, e))

    def _show(self, rows: list[payees.PayeeRow], select: str | None = None) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            gw = tr(PROVIDER_LABELS.get(r.gateway_provider, N_("не настроен")))
            kind = tr(KIND_LABELS[r.kind]) if r.kind in KIND_LABELS else r.kind
            for j, text in enumerate((r.code, r.name, kind, r.inn, gw)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if select is not None:
            for i, r in enumerate(rows):
                if r.code == select:
                    self.table.selectRow(i)

    def _selected(self) -> None:
        i = self.table.currentRow()
        if 0 <= i < len(self.rows):
            self.fill(self.rows[i])

    # --- form
    def fill(self, r: payees.PayeeRow) -> None:
        self.creating = False
        for _field, attr, _label in TEXT_FIELDS:
            self.edits[attr].setText(getattr(r, attr) or "")
        self.edits["code"].setReadOnly(True)  # the code is the key other records and env names use
        self.kind.setCurrentIndex(max(0, self.kind.findData(r.kind)))
        self.tech.setCurrentIndex(max(0, self.tech.findData(r.tech_code)))
        self.provider.setCurrentIndex(max(0, self.provider.findData(r.gateway_provider)))
        self.url.setText(r.gateway_base_url or "")
        self.login.setText(r.gateway_login or "")
        self.ca_file.setText(r.gateway_ca_file or "")
        self.secret.clear()
        self._clear_marks()
        self.gw_save.setEnabled(True)
        self.fiscal_button.setEnabled(True)
        self.billing_button.setEnabled(r.kind == "isp")  # bookings have no billing account to credit
        self.secret_status.setText(tr("секрет: проверяется…"))
        code = r.code
        self.runner.run_db(lambda: payees.gateway_status(self.ctx, code), self._show_status,
                           lambda e: self.secret_status.setText(str(e)))

    def new_payee(self) -> None:
        self.creating = True
        self.table.clearSelection()
        for edit in self.edits.values():
            edit.clear()
        self.edits["code"].setReadOnly(False)
        self.kind.setCurrentIndex(0)
        self._kind_changed()
        self.provider.setCurrentIndex(0)
        for w in (self.url, self.login, self.ca_file, self.secret):
            w.clear()
        self._clear_marks()
        # A gateway belongs to a saved payee: its secret's name includes the code.
        self.gw_save.setEnabled(False)
        self.fiscal_button.setEnabled(False)
        self.billing_button.setEnabled(False)
        self.secret_status.setText(tr("сохраните получателя, затем настройте шлюз"))
        self.edits["code"].setFocus()

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.tech.setCurrentIndex(max(0, self.tech.findData(payees.TECH_CODES.get(kind, "09"))))

    def _show_status(self, st: payees.GatewayStatus) -> None:
        if not st.provider:
            self.secret_status.setText(tr("секрет: шлюз не настроен"))
            return
        where = tr(SECRET_LABELS[st.secret_source], name=st.secret_env or "")
        self.secret_status.setText(tr("секрет: {where}", where=where))

    def form_input(self) -> payees.PayeeInput:
        values = {attr: self.edits[attr].text() for _f, attr, _l in TEXT_FIELDS}
        return payees.PayeeInput(kind=self.kind.currentData(), tech_code=self.tech.currentData(), **values)

    def _clear_marks(self) -> None:
        clear_field_errors(self)
        for w in (*self.field_widgets.values(), *self.gw_widgets.values()):
            w.setStyleSheet("")
        self.problems.hide()
        self.problems.clear()
        self.gw_problems.hide()
        self.gw_problems.clear()

    def _mark(self, exc: BaseException, widgets: dict[str, QWidget], label: QLabel) -> None:
        if not isinstance(exc, payees.PayeeProblems):
            # A refusal of no field: once, on the group's own line (issue 12), not in a box.
            label.setText(messages.error_text(exc))
            label.show()
            return
        # Each under its field (issue 12); what names no field of this group, on the group's line.
        mark_problems(exc.problems, widgets.get, label)

    # --- actions
    def save(self) -> None:
        self._clear_marks()
        data, create, ctx = self.form_input(), self.creating, self.ctx

        def done(res: payees.SaveResult) -> None:
            self.reload(select=res.payee.code)
            self.fill(res.payee)

        self.runner.run_db(lambda: payees.save_payee(ctx, data, create=create), done,
                           lambda e: self._mark(e, self.field_widgets, self.problems))

    def save_gateway(self) -> None:
        self._clear_marks()
        code = self.edits["code"].text().strip()
        provider, url, login = self.provider.currentData(), self.url.text(), self.login.text()
        ca, secret, ctx = self.ca_file.text().strip() or None, self.secret.text() or None, self.ctx

        def done(st: payees.GatewayStatus) -> None:
            self.secret.clear()
            self._show_status(st)
            self.reload(select=code)

        self.runner.run_db(lambda: payees.set_gateway(ctx, code, provider, url, login, ca, secret), done,
                           lambda e: self._mark(e, self.gw_widgets, self.gw_problems))

    def choose_ca_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Корневой сертификат"), "",
                                              tr("Сертификаты (*.pem *.crt *.cer);;Все файлы (*)"))
        if path:
            self.ca_file.setText(path)

    def open_fiscal(self) -> None:
        """The selected (saved) payee's register and receipt settings."""
        from cashier_app.ui.fiscal_settings_dialog import FiscalSettingsDialog

        if self.creating:
            return
        code, name = self.edits["code"].text().strip(), self.edits["name"].text().strip()
        dlg = FiscalSettingsDialog(self.ctx, self.runner, code, name, self)
        self.fiscal_dialog = dlg
        dlg.open()

    def open_billing(self) -> None:
        """The selected (saved) provider's OSMP connector."""
        from cashier_app.ui.billing_settings_dialog import BillingSettingsDialog

        if self.creating:
            return
        code, name = self.edits["code"].text().strip(), self.edits["name"].text().strip()
        dlg = BillingSettingsDialog(self.ctx, self.runner, [(code, name)], code, self)
        self.billing_dialog = dlg
        dlg.open()
