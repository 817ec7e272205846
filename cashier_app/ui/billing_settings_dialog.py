"""A payee's live connector to its billing (issue 14), for the administrator.

«Сервис → Подключение к биллингу…»: the provider (an ``isp`` payee) is chosen at the top, its
stored connector is shown (``billing.settings.get_view``), «Сохранить» sends the form as typed to
``settings.configure`` (or ``disable`` for «не подключён»), which checks it — a refusal marks its
field and is said under the form, nothing is saved.  The password goes to the keyring only and is
never shown.  «Проверить связь» asks the billing ``check`` with the form's address as typed (not yet
saved) on the network pool: the answer, or why there is none, is said under the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services.billing import settings as bs
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.widgets import clear_field_errors, mark_problems

BAD_STYLE = "border: 1px solid #c62828; background: #fff3f3;"
OK_STYLE = "color: #1b5e20;"
FAIL_STYLE = "color: #c62828;"

PROTOCOL_LABELS = {"none": N_("не подключён"), "osmp": N_("OSMP (check / pay)")}
DIALECT_LABELS = {"abills": N_("ABillS (повтор — тот же номер платежа, есть отмена)"),
                  "ubilling": N_("Ubilling (повтор — «дубликат», отмены нет)")}
# The service's field names (billing/settings.py F_*) → the widget that shows the field.
FIELD_WIDGETS = {bs.F_URL: "url", bs.F_DIALECT: "dialect", bs.F_LOGIN: "login", bs.F_PASSWORD: "password",
                 bs.F_CA: "ca_file"}
# An account no billing has: «Проверить связь» without an account proves the billing answers (5 = unknown).
PROBE_ACCOUNT = "0"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What «Проверить связь» learnt: an answer (``result``) or no connection (``error``)."""

    result: int | None
    comment: str | None = None
    balance_minor: int | None = None
    full_name: str | None = None
    error: str | None = None


def probe(url: str, dialect: str, login: str | None, password: str | None, ca_file: str | None,
          account: str, payee_code: str, timeout: float = 5.0) -> ProbeResult:
    """One ``check`` at the typed address (network pool).  An empty password uses the stored one."""
    from cashier_app.services.billing import checks
    from cashier_app.services.billing import settings as billing_settings
    from cashier_app.services.billing.osmp import OsmpClient
    from cashier_app.services.billing.osmp_types import BillingUnreachable

    url = billing_settings.check_url(url)
    if not password and login:
        password = billing_settings.get_password(payee_code)
    try:
        with OsmpClient(url, dialect, timeout=timeout, ca_file=ca_file or None, login=login or None,
                        password=password or None) as client:
            ans = client.check(txn_id=checks.check_txn_id(), account=account or PROBE_ACCOUNT)
    except BillingUnreachable as exc:
        return ProbeResult(None, error=str(exc) or type(exc).__name__)
    except ValueError as exc:  # the client refuses the address or the dialect
        return ProbeResult(None, error=str(exc))
    return ProbeResult(ans.result, ans.comment, ans.balance_minor, ans.full_name)


def probe_text(res: ProbeResult, account: str) -> str:
    if res.result is None:
        return tr("Нет связи с биллингом: {err}", err=res.error or "")
    if res.result == 0:
        if account:
            balance = format_money(res.balance_minor) if res.balance_minor is not None else "—"
            return tr("Связь есть. Счёт {n} найден: {name}, баланс {balance}", n=account, name=res.full_name or "—",
                      balance=balance)
        return tr("Связь есть: биллинг ответил «0»")
    if res.result == 5:
        return (tr("Связь есть. Счёт {n} в биллинге не найден (код 5)", n=account) if account
                else tr("Связь есть: биллинг отвечает (на проверочный счёт — «не найден», код 5)"))
    return tr("Связь есть, биллинг ответил кодом {code}: {comment}", code=res.result, comment=res.comment or "—")


class BillingSettingsDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, payees: list[tuple[str, str]], payee_code: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner = ctx, runner
        self.view: dict[str, Any] | None = None
        self.loaded = False
        self.last_probe: ProbeResult | None = None
        self.setWindowTitle(tr("Подключение к биллингу"))
        self.setMinimumWidth(640)
        self.payee = QComboBox()
        self.payee.setObjectName("payee")
        for code, name in payees:
            self.payee.addItem(f"{name} ({code})", code)
        if payee_code is not None:
            self.payee.setCurrentIndex(max(0, self.payee.findData(payee_code)))
        self.protocol = QComboBox()
        self.protocol.setObjectName("protocol")
        for key, text in PROTOCOL_LABELS.items():
            self.protocol.addItem(tr(text), key)
        self.dialect = QComboBox()
        self.dialect.setObjectName("dialect")
        for key, text in DIALECT_LABELS.items():
            self.dialect.addItem(tr(text), key)
        self.url = QLineEdit()
        self.url.setObjectName("url")
        self.url.setPlaceholderText("https://billing.example.ru/osmp")
        self.login = QLineEdit()
        self.login.setObjectName("login")
        self.login.setPlaceholderText(tr("если биллинг требует"))
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(tr("пусто — оставить прежний"))
        self.ca_file = QLineEdit()
        self.ca_file.setObjectName("ca_file")
        self.ca_file.setPlaceholderText(tr("необязательно: свой сертификат центра (PEM)"))
        self.secret_status = QLabel("")
        self.secret_status.setObjectName("secret_status")
        self.probe_account = QLineEdit()
        self.probe_account.setObjectName("probe_account")
        self.probe_account.setPlaceholderText(tr("необязательно: лицевой счёт для проверки"))
        self.widgets: dict[str, QWidget] = {"payee": self.payee, "url": self.url, "dialect": self.dialect,
                                            "login": self.login, "password": self.password, "ca_file": self.ca_file}

        form = QFormLayout()
        self.form = form
        form.addRow(tr("Получатель"), self.payee)
        form.addRow(tr("Подключение"), self.protocol)
        form.addRow(tr("Адрес биллинга (OSMP)"), self.url)
        form.addRow(tr("Диалект"), self.dialect)
        form.addRow(tr("Логин"), self.login)
        form.addRow(tr("Пароль"), self.password)
        form.addRow("", self.secret_status)
        form.addRow(tr("Файл сертификата"), self.ca_file)
        self.problems = QLabel("")
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(FAIL_STYLE)
        self.problems.hide()
        self.probe_result = QLabel("")
        self.probe_result.setObjectName("probe_result")
        self.probe_result.setWordWrap(True)
        self.probe_button = QPushButton(tr("Проверить связь"))
        self.probe_button.setObjectName("probe")
        self.probe_button.clicked.connect(self.run_probe)
        probe_row = QHBoxLayout()
        probe_row.addWidget(self.probe_account, 1)
        probe_row.addWidget(self.probe_button)
        self.state = QLabel("")
        self.state.setObjectName("state")
        self.state.setWordWrap(True)
        self.save_button = QPushButton(tr("Сохранить"))
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)  # until the stored settings are on screen
        close = QPushButton(tr("Закрыть"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(probe_row)
        lay.addWidget(self.probe_result)
        lay.addWidget(self.problems)
        lay.addLayout(buttons)
        self.protocol.currentIndexChanged.connect(lambda _i: self._protocol_changed())
        self.payee.currentIndexChanged.connect(lambda _i: self.load())
        self.load()

    @property
    def payee_code(self) -> str | None:
        return self.payee.currentData()

    # --- reading ---------------------------------------------------------------------------
    def load(self) -> None:
        code = self.payee_code
        if code is None:
            self.state.setText(tr("Нет получателей-провайдеров: биллинг подключается к провайдеру"))
            return
        ctx = self.ctx
        self.loaded = False
        self.save_button.setEnabled(False)
        self.state.setText(tr("Загрузка…"))
        self.runner.run_db(lambda: read_view(ctx, code), self.fill,
                           lambda e: (self.state.setText(""), messages.show_error(self, e)))

    def fill(self, view: dict[str, Any] | None) -> None:
        self.view = view
        v = view or {}
        self.protocol.setCurrentIndex(max(0, self.protocol.findData("osmp" if view else "none")))
        self.url.setText(v.get("url") or "")
        self.dialect.setCurrentIndex(max(0, self.dialect.findData(v.get("dialect") or "abills")))
        self.login.setText(v.get("login") or "")
        self.ca_file.setText(v.get("ca_file") or "")
        self.password.clear()
        self.secret_status.setText(tr("пароль: задан") if v.get("password_set") else tr("пароль: не задан"))
        self.state.setText(tr("Действующие настройки") if view else tr("Биллинг не подключён"))
        self.probe_result.clear()
        self._clear_marks()
        self._protocol_changed()
        self.loaded = True
        self.save_button.setEnabled(True)

    def _protocol_changed(self) -> None:
        on = self.protocol.currentData() == "osmp"
        for w in (self.url, self.dialect, self.login, self.password, self.ca_file, self.probe_account,
                  self.probe_button):
            w.setEnabled(on)

    # --- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        from cashier_app.services.billing import settings as billing_settings

        code = self.payee_code
        if code is None:
            return
        self._clear_marks()
        ctx = self.ctx
        if self.protocol.currentData() == "none":
            def work() -> Any:
                billing_settings.disable(ctx, code)
                return None
        else:
            url, dialect, login = self.url.text(), str(self.dialect.currentData()), self.login.text() or None
            password, ca_file = self.password.text() or None, self.ca_file.text() or None

            def work() -> Any:
                return billing_settings.configure(ctx, code, url=url, dialect=dialect, login=login,
                                                  password=password, ca_file=ca_file)
        self.save_button.setEnabled(False)

        def done(_view: Any) -> None:
            self.load()
            self.state.setText(tr("Сохранено"))

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.state.setText(tr("Не сохранено"))
            self._mark(exc)

        self.runner.run_db(work, done, failed)

    # --- «Проверить связь» -------------------------------------------------------------------
    def run_probe(self) -> None:
        """The billing asked with the address as typed; on the network pool, the answer said under the form."""
        self._clear_marks()
        code = self.payee_code or ""
        url, dialect, login = self.url.text(), str(self.dialect.currentData()), self.login.text().strip()
        password, ca_file = self.password.text(), self.ca_file.text().strip()
        account = self.probe_account.text().strip()
        self.probe_button.setEnabled(False)
        self.probe_result.setStyleSheet("")
        self.probe_result.setText(tr("Спрашиваю биллинг…"))

        def done(res: ProbeResult) -> None:
            self.last_probe = res
            self.probe_button.setEnabled(True)
            self.probe_result.setText(probe_text(res, account))
            self.probe_result.setStyleSheet(FAIL_STYLE if res.result is None else OK_STYLE)

        def failed(exc: BaseException) -> None:
            self.probe_button.setEnabled(True)
            self.probe_result.clear()
            self._mark(exc)

        self.runner.run_net(lambda: probe(url, dialect, login, password, ca_file, account, code), done, failed)

    # --- marks -------------------------------------------------------------------------------
    def _clear_marks(self) -> None:
        clear_field_errors(self)
        for w in self.widgets.values():
            w.setStyleSheet("")
        self.problems.hide()
        self.problems.clear()

    def _mark(self, exc: BaseException) -> None:
        problems = getattr(exc, "problems", None)
        if problems is None:
            if not isinstance(exc, ValidationError):
                # A refusal of no field: once, on the dialog's own line (issue 12), not in a box.
                self.problems.setText(messages.error_text(exc))
                self.problems.show()
                return
            problems = [exc]
        # Each under its field (issue 12); what names no field, on the dialog's line.
        mark_problems(problems, lambda f: self.widgets.get(FIELD_WIDGETS.get(f, "")), self.problems)


def read_view(ctx: DeskContext, payee_code: str) -> dict[str, Any] | None:
    """The payee's connector as the dialog shows it (administrator only, like saving it)."""
    from sqlalchemy import select

    from cashier_app.services.billing import settings as billing_settings
    from cashier_app.services.permissions import require
    from cashier_app.storage import models as m

    require(ctx, "manage_payees")
    with ctx.db.read() as uow:
        s = uow.session
        pid = s.execute(select(m.Payee.id).where(m.Payee.code == payee_code)).scalar_one()
        return billing_settings.get_view(s, pid)
