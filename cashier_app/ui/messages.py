"""Every message box goes through here, so a test has one place to patch."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from cashier_app.domain.errors import UserError
from cashier_app.i18n import tr


def show_error(parent: QWidget | None, exc: BaseException | str) -> None:
    """A user mistake shows its own text; anything else a short generic line, never a traceback."""
    if isinstance(exc, UserError):
        text = str(exc)
    elif isinstance(exc, str):
        text = exc
    else:
        text = tr("Внутренняя ошибка: {kind}. Операция не выполнена, данные не изменены.", kind=type(exc).__name__)
    QMessageBox.warning(parent, tr("Ошибка"), text)


def show_info(parent: QWidget | None, text: str, title: str | None = None) -> None:
    QMessageBox.information(parent, title or tr("Касса"), text)


def confirm(parent: QWidget | None, text: str, title: str | None = None) -> bool:
    answer = QMessageBox.question(parent, title or tr("Касса"), text)
    return answer == QMessageBox.StandardButton.Yes
