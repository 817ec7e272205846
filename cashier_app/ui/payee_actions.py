"""«Сервис → Получатели платежей…»: the administrator's payees and gateways dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cashier_app.i18n import tr
from cashier_app.ui.capabilities import Capability, WindowHost, menu_entry
from cashier_app.ui.changes import Change, ChangeSet
from cashier_app.ui.operations import ReadOp

if TYPE_CHECKING:  # the payees service pulls the gateways' secrets (keyring): loaded on first use
    from cashier_app.services import payees


class Payees(Capability):
    def install(self, host: WindowHost) -> None:
        self.host = host
        menu_entry(host, "service", tr("Получатели &платежей…"), "payees_action", lambda: open_payees(host))


def install(window: Any) -> Payees:
    """Tests and scripts: ``install(window)`` is ``window.install(Payees())``."""
    return window.install(Payees())


def open_payees(window: WindowHost) -> None:
    """The service decides who may: a cashier or a manager gets its refusal, nothing opens."""
    from cashier_app.services import payees
    from cashier_app.ui.payees_dialog import PayeesDialog

    ctx = window.snapshot_ctx()

    def show(rows: list[payees.PayeeRow]) -> None:
        dialog = PayeesDialog(ctx, window.runner, rows, parent=window.widget())
        # Requisites and gateways feed the cards and the documents: the views read them again.
        dialog.finished.connect(lambda _r: window.announce(ChangeSet.of(Change.PAYEES, Change.ACCOUNT)))
        window.show_dialog(dialog)

    ReadOp(payees.list_for_admin).success(show).run_in(window)
