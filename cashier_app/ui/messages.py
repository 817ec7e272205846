"""Every message box goes through here, so a test has one place to patch."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from cashier_app.domain.errors import UserError
from cashier_app.i18n import tr

log = logging.getLogger(__name__)


def error_text(exc: BaseException | str) -> str:
    """A user mistake's own text; for anything else the honest answer: the outcome is not known.

    An unexpected error may come after the commit (a lost connection, a failing printer), so
    «nothing was changed» would be a guess; the traceback goes to the log, never to the screen.
    """
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, str):
        return exc
    log.error("operation failed", exc_info=(type(exc), exc, exc.__traceback__))
    return tr("Внутренняя ошибка: {kind}. Результат неизвестен, проверьте журнал.", kind=type(exc).__name__)


def show_error(parent: QWidget | None, exc: BaseException | str) -> None:
    """A user mistake shows its own text; anything else a short generic line, never a traceback."""
    QMessageBox.warning(parent, tr("Ошибка"), error_text(exc))


def show_info(parent: QWidget | None, text: str, title: str | None = None) -> None:
    QMessageBox.information(parent, title or tr("Касса"), text)


def confirm(parent: QWidget | None, title: str, text: str, yes_label: str | None = None) -> bool:
    """Ask before an irreversible step; True only for the explicit «yes» (the default is «Отмена»).

    The «yes» button says what happens (``yes_label``: «Закрыть смену», «Списать»), so a cashier
    pressing Enter by habit does not do it: Enter and Esc both answer «Отмена».
    """
    box = QMessageBox(QMessageBox.Icon.Question, title or tr("Касса"), text, QMessageBox.StandardButton.NoButton,
                      parent)
    yes = box.addButton(yes_label or tr("Да"), QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(tr("Отмена"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes
