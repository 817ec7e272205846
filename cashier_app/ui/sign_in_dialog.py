"""The sign-in dialog: user and password, checked in the background (argon2 takes ~50 ms)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import UserError
from cashier_app.i18n import tr
from cashier_app.services import users
from cashier_app.services.context import UserInfo
from cashier_app.storage.db import Database


class SignInDialog(QDialog):
    def __init__(self, db: Database, desk: str, runner: Any, parent: QWidget | None = None,
                 login: str = "") -> None:
        super().__init__(parent)
        self.db, self.desk, self.runner = db, desk, runner
        self.user: UserInfo | None = None
        self.setWindowTitle(tr("Вход в программу"))
        self.setMinimumWidth(420)
        self.login = QLineEdit(login)
        self.login.setObjectName("login")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        # The lockout message is two long sentences: it wraps and the dialog grows to show it whole.
        self.error.setMinimumWidth(1)
        form = QFormLayout()
        form.addRow(tr("Пользователь"), self.login)
        form.addRow(tr("Пароль"), self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr("Войти"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("Касса: {desk}", desk=desk)))
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        (self.password if login else self.login).setFocus()

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return  # a check is already running
        login, password = self.login.text(), self.password.text()
        self.ok_button.setEnabled(False)
        self.show_message(tr("Проверяю…"))
        self.runner.run_db(lambda: users.authenticate(self.db, self.desk, login, password),
                           self._ok, self._fail)

    def _ok(self, user: UserInfo) -> None:
        self.user = user
        self.ok_button.setEnabled(True)
        self.accept()

    def _fail(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        self.show_message(str(exc) if isinstance(exc, UserError) else
                          tr("Внутренняя ошибка: {kind}", kind=type(exc).__name__))

    def show_message(self, text: str) -> None:
        """The message under the fields, whole: the dialog grows (never shrinks under the user) to fit it."""
        self.error.setText(text)
        lay = self.layout()
        lay.activate()
        need = lay.totalHeightForWidth(self.width()) if lay.hasHeightForWidth() else lay.sizeHint().height()
        if need > self.height():
            self.resize(self.width(), need)
