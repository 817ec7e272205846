"""Travel desk in the main window: «Бонусы (F8)» on booking cards and «Сервис → Курсы валют…»."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cashier_app.i18n import tr
from cashier_app.services import cards
from cashier_app.ui import messages
from cashier_app.ui.capabilities import Capability, WindowHost, menu_entry
from cashier_app.ui.changes import Change, ChangeSet
from cashier_app.ui.operations import ReadOp

# New rates change every booking card's figures (no numbers: any booking shown refreshes).
if TYPE_CHECKING:  # the bonus service pulls the ledger and the fiscal outbox: loaded on first F8
    from cashier_app.services import bonuses

RATES_CHANGES = ChangeSet.of(Change.RATES, Change.BOOKING)


class Bonuses(Capability):
    """F8 (bonuses on a booking) and the rates dialog."""

    def install(self, host: WindowHost) -> None:
        self.host = host
        host.register_action("bonuses", open_bonuses)
        menu_entry(host, "service", tr("&Курсы валют…"), "rates_action", lambda: open_rates(host))


def install(window: Any) -> Bonuses:
    """Tests and scripts: ``install(window)`` is ``window.install(Bonuses())``."""
    return window.install(Bonuses())


def open_bonuses(window: WindowHost, card: object) -> None:
    if not isinstance(card, cards.BookingCard):
        messages.show_info(window.widget(), tr("Бонусы Sales & Smiles списываются только в оплату заявки: откройте заявку."))
        return
    from cashier_app.services import bonuses
    from cashier_app.ui.bonus_dialog import BonusDialog

    ctx = window.snapshot_ctx()
    today = ctx.today()
    number = card.number

    def spent(_res: Any) -> None:
        window.announce(ChangeSet.payment(booking=number))
        window.action_finished()

    def show(info: bonuses.SpendInfo) -> None:
        window.show_dialog(BonusDialog(ctx, window.runner, info, today, on_done=spent, parent=window.widget()))

    ReadOp(lambda c: bonuses.spend_info(c, number, today)).success(show).run_in(window)


def open_rates(window: WindowHost) -> None:
    from cashier_app.ui.rates_dialog import RatesDialog

    dialog = RatesDialog(window.snapshot_ctx(), window.runner, parent=window.widget())
    dialog.finished.connect(lambda _r: window.announce(RATES_CHANGES))
    window.show_dialog(dialog)
