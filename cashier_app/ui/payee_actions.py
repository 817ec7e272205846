"""«Сервис → Получатели платежей…»: the administrator's payees and gateways dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from cashier_app.i18n import N_, tr
from cashier_app.services import payees
from cashier_app.ui import messages

SERVICE_MENU = N_("Сервис")


def install(window: Any) -> None:
    action = QAction(tr("Получатели платежей…"), window)
    action.setObjectName("payees_action")
    action.triggered.connect(lambda _checked=False: open_payees(window))
    _service_menu(window).addAction(action)
    window.payees_action = action


def _service_menu(window: Any) -> Any:
    title = tr(SERVICE_MENU)
    # Another capability may have made the menu already: share it.
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title().replace("&", "") == title:
            return menu
    return window.menuBar().addMenu(title)


def open_payees(window: Any) -> None:
    """The service decides who may: a cashier or a manager gets its refusal, nothing opens."""
    from cashier_app.ui.payees_dialog import PayeesDialog

    ctx = window.ctx

    def show(rows: list[payees.PayeeRow]) -> None:
        dialog = PayeesDialog(ctx, window.runner, rows, parent=window)
        window.payees_dialog = dialog
        dialog.open()

    window.runner.run_db(lambda: payees.list_for_admin(ctx), show, lambda exc: messages.show_error(window, exc))
