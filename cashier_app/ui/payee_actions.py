"""«Сервис → Получатели платежей…»: the administrator's payees and gateways dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction

from cashier_app.i18n import tr
from cashier_app.services import payees
from cashier_app.ui import messages


def install(window: Any) -> None:
    action = QAction(tr("Получатели платежей…"), window)
    action.setObjectName("payees_action")
    action.triggered.connect(lambda _checked=False: open_payees(window))
    window.service_menu.addAction(action)
    window.payees_action = action



def open_payees(window: Any) -> None:
    """The service decides who may: a cashier or a manager gets its refusal, nothing opens."""
    from cashier_app.ui.payees_dialog import PayeesDialog

    ctx = window.ctx

    def show(rows: list[payees.PayeeRow]) -> None:
        dialog = PayeesDialog(ctx, window.runner, rows, parent=window)
        window.payees_dialog = dialog
        dialog.open()

    window.runner.run_db(lambda: payees.list_for_admin(ctx), show, lambda exc: messages.show_error(window, exc))
