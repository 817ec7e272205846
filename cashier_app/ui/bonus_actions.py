"""Travel desk in the main window: «Бонусы (F8)» on booking cards and «Сервис → Курсы валют…»."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction

from cashier_app.i18n import tr
from cashier_app.services import bonuses, cards
from cashier_app.ui import messages
from cashier_app.ui.bonus_dialog import BonusDialog
from cashier_app.ui.rates_dialog import RatesDialog


def install(window: Any) -> None:
    window.register_action("bonuses", open_bonuses)
    # Bonuses are spent on bookings only: the button follows the card shown.
    window.card_shown.connect(lambda card: _follow_card(window, card))
    _follow_card(window, window.current)
    menu = window.service_menu
    action = QAction(tr("Курсы валют…"), window)
    action.setObjectName("rates_action")
    action.triggered.connect(lambda _checked=False: open_rates(window))
    menu.addAction(action)
    window.rates_action = action



def _follow_card(window: Any, card: object) -> None:
    button = window.buttons.get("bonuses")
    if button is not None:
        button.setEnabled(isinstance(card, cards.BookingCard))


def open_bonuses(window: Any, card: object) -> None:
    if not isinstance(card, cards.BookingCard):
        messages.show_info(window, tr("Бонусы Sales & Smiles списываются только в оплату заявки: откройте заявку."))
        return
    ctx = window.ctx
    today = ctx.today()
    number = card.number

    def show(info: bonuses.SpendInfo) -> None:
        dialog = BonusDialog(ctx, window.runner, info, today, on_done=lambda _r: window.action_finished(),
                             parent=window)
        window.bonus_dialog = dialog
        dialog.open()

    window.runner.run_db(lambda: bonuses.spend_info(ctx, number, today), show,
                         lambda exc: messages.show_error(window, exc))


def open_rates(window: Any) -> None:
    dialog = RatesDialog(window.ctx, window.runner, parent=window)
    window.rates_dialog = dialog
    dialog.open()
