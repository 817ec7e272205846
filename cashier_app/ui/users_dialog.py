"""Users for the administrator: add, set role, reset password, disable/enable, cash limit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
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

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_amount, format_money, parse_amount
from cashier_app.i18n import N_, tr
from cashier_app.services import users
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import ROLE_LABELS
from cashier_app.ui import messages
from cashier_app.ui.widgets import (
    MessageLine,
    clear_field_errors,
    field_error,
    show_field_error,
    show_refusal,
    while_open,
)

BAD_STYLE = "border: 1px solid #c62828; background: #fff3f3;"
HEADERS = (N_("Логин"), N_("ФИО"), N_("Роль"), N_("Состояние"), N_("Лимит наличных"))


class UsersDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner = ctx, runner
        self.rows: list[users.UserRow] = []
        self.setWindowTitle(tr("Пользователи"))
        self.resize(900, 560)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("rows")
        self.table.setHorizontalHeaderLabels([tr(h) for h in HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selected)

        self.login = QLineEdit()
        self.login.setObjectName("login")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("full_name")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for key in users.ROLES:
            self.role.addItem(tr(ROLE_LABELS.get(key, key)), key)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(tr("не короче {n} символов", n=users.MIN_PASSWORD))
        self.limit = QLineEdit()
        self.limit.setObjectName("limit")
        self.limit.setPlaceholderText(tr("пусто — без лимита"))
        box = QGroupBox(tr("Пользователь"))
        form = QFormLayout(box)
        form.addRow(tr("Логин"), self.login)
        form.addRow(tr("ФИО"), self.full_name)
        form.addRow(tr("Роль"), self.role)
        form.addRow(tr("Пароль"), self.password)
        form.addRow(tr("Лимит наличных, ₽"), self.limit)
        # As printed on fiscal receipts (tags 1021, 1203; issue 13).
        self.fiscal_name = QLineEdit()
        self.fiscal_name.setObjectName("fiscal_name")
        self.fiscal_name.setPlaceholderText(tr("пусто — как ФИО"))
        self.fiscal_name.setMaxLength(64)
        self.fiscal_inn = QLineEdit()
        self.fiscal_inn.setObjectName("fiscal_inn")
        self.fiscal_inn.setPlaceholderText(tr("12 цифр; необязательно"))
        self.fiscal_error = QLabel("")
        self.fiscal_error.setObjectName("fiscal_error")
        self.fiscal_error.setStyleSheet("color: #c62828;")
        self.fiscal_error.setWordWrap(True)
        form.addRow(tr("ФИО в чеке"), self.fiscal_name)
        form.addRow(tr("ИНН кассира"), self.fiscal_inn)
        form.addRow("", self.fiscal_error)

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, label in (("add", N_("Добавить")), ("role", N_("Сменить роль")), ("password", N_("Сбросить пароль")),
                           ("limit", N_("Задать лимит")), ("fiscal", N_("Данные для чека")),
                           ("disable", N_("Отключить")), ("enable", N_("Включить"))):
            b = QPushButton(tr(label))
            b.setObjectName(key)
            b.clicked.connect(lambda _=False, k=key: self.run(k))
            row.addWidget(b)
            self.buttons[key] = b
        row.addStretch(1)
        close = QPushButton(tr("Закрыть"))
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(box)
        self.error = MessageLine(self)  # a refusal of no field; a field's goes under it
        lay.addWidget(self.error)
        lay.addLayout(row)
        self.reload()

    def reload(self) -> None:
        self.runner.run_db(lambda: users.list_users(self.ctx), self._show, lambda e: messages.show_error(self, e))

    def _show(self, rows: list[users.UserRow]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            state = tr("активен") if r.active else tr("отключён")
            if r.locked_until is not None:
                state += tr(", заблокирован до {t}", t=r.locked_until.astimezone().strftime("%H:%M"))
            limit = format_money(r.cash_limit_minor) if r.cash_limit_minor is not None else tr("без лимита")
            for j, text in enumerate((r.login, r.full_name, tr(ROLE_LABELS.get(r.role, r.role)), state, limit)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def _selected(self) -> None:
        i = self.table.currentRow()
        if 0 <= i < len(self.rows):
            r = self.rows[i]
            self.login.setText(r.login)
            self.full_name.setText(r.full_name)
            self.role.setCurrentIndex(max(0, self.role.findData(r.role)))
            # Kopecks kept: «1500,50», which parse_amount reads back exactly (it was «1500» → 1 500,00 saved).
            self.limit.setText("" if r.cash_limit_minor is None else format_amount(r.cash_limit_minor, sep=""))
            self._load_fiscal(r.login)

    def _load_fiscal(self, login: str) -> None:
        from cashier_app.services import fiscal_settings

        ctx = self.ctx
        self._clear_fiscal_marks()
        self.fiscal_name.clear()
        self.fiscal_inn.clear()

        def show(cf: fiscal_settings.CashierFiscal) -> None:
            if self.login.text().strip() == cf.login:  # still the selected user
                # The full name is the default: shown as the placeholder, not saved as a fiscal name.
                self.fiscal_name.setText("" if cf.name == self.full_name.text() else (cf.name or ""))
                self.fiscal_inn.setText(cf.inn or "")

        self.runner.run_db(lambda: fiscal_settings.get_cashier(ctx, login), show,
                           lambda e: self.fiscal_error.setText(str(e)))

    def _clear_fiscal_marks(self) -> None:
        for w in (self.fiscal_name, self.fiscal_inn):
            field_error(w).clear_error()
        self.fiscal_error.clear()

    def _fiscal_failed(self, exc: BaseException) -> None:
        from cashier_app.services import fiscal_settings

        widget = {fiscal_settings.F_CASHIER_INN: self.fiscal_inn,
                  fiscal_settings.F_CASHIER_NAME: self.fiscal_name}.get(getattr(exc, "field", ""))
        if widget is None:
            self.error.show_error(messages.error_text(exc))  # once, on the dialog's own line
            return
        show_field_error(widget, getattr(exc, "message", str(exc)))  # once, under the field (issue 12)

    def save_fiscal(self, login: str) -> None:
        from cashier_app.services import fiscal_settings

        ctx, name, inn = self.ctx, self.fiscal_name.text(), self.fiscal_inn.text()
        self._clear_fiscal_marks()
        self.runner.run_db(lambda: fiscal_settings.set_cashier(ctx, login, name, inn),
                           lambda cf: (self.fiscal_error.setText(tr("Данные для чека сохранены: {n}", n=cf.name)),
                                       self.reload()),
                           self._fiscal_failed)

    def _limit(self) -> int | None:
        text = self.limit.text().strip()
        return parse_amount(text, tr("Лимит наличных")) if text else None

    def run(self, key: str) -> None:
        ctx, login = self.ctx, self.login.text().strip()
        try:
            if key != "add" and not login:
                raise ValidationError(tr("Логин"), tr("выберите пользователя в списке"))
            limit = self._limit() if key in ("add", "limit") else None
        except ValidationError as exc:
            self._refuse(exc)
            return
        clear_field_errors(self)
        self.error.clear()
        if key == "fiscal":
            self.save_fiscal(login)
            return
        name, role, password = self.full_name.text(), self.role.currentData(), self.password.text()
        fn = {
            "add": lambda: users.add_user(ctx, login, name, role, password, limit),
            "role": lambda: users.set_role(ctx, login, role),
            "password": lambda: users.reset_password(ctx, login, password),
            "limit": lambda: users.set_cash_limit(ctx, login, limit),
            "disable": lambda: users.set_active(ctx, login, False),
            "enable": lambda: users.set_active(ctx, login, True),
        }[key]
        self.runner.run_db(fn, lambda _r: (self.password.clear(), self.reload()), self._refuse)

    @while_open
    def _refuse(self, exc: BaseException) -> None:
        """Once: under the field the service names (users' own field names), else on the dialog's line."""
        fields: dict[str, QWidget] = {N_("Логин"): self.login, N_("Пользователь"): self.login, N_("ФИО"): self.full_name,
                                      N_("Роль"): self.role, N_("Пароль"): self.password, N_("Лимит наличных"): self.limit}
        show_refusal(exc, fields, self.error)
