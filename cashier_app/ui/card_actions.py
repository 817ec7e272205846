"""Card payments in the main window: the F7 button, the background watcher, reconcile at start-up.

``install(window)`` registers the «Оплата картой (F7)» action, creates the
:class:`PaymentWatcher` the window owns, shows «Ожидают оплаты: N» in the
status bar, and — once the window is shown — re-checks every order left open
(a crash, a closed dialog, yesterday's session) with ``card_payments.reconcile``
in the background.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from cashier_app.i18n import tr
from cashier_app.services import cards
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages

if TYPE_CHECKING:  # the gateway clients load on first use, off the start-up path
    from cashier_app.services import card_payments
    from cashier_app.services.card_payments import CardOrder

POLL_SECS = 3.0
MAX_BACKOFF_SECS = 60.0
TICK_MS = 500


@dataclass
class _Watched:
    live: bool
    interval: float = POLL_SECS
    due: float = 0.0
    busy: bool = False


class PaymentWatcher(QObject):
    """Polls open orders every ~3 s (backing off on errors) through ``runner.run_net`` until final."""

    updated = Signal(object)  # CardOrder
    count_changed = Signal(int)

    def __init__(self, ctx: DeskContext, runner: Any, parent: QObject | None = None,
                 poll_secs: float = POLL_SECS) -> None:
        super().__init__(parent)
        self.ctx, self.runner, self.poll_secs = ctx, runner, poll_secs
        self.orders: dict[str, _Watched] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    @property
    def count(self) -> int:
        return len(self.orders)

    def watch(self, order_number: str, *, live: bool = False) -> None:
        if order_number not in self.orders:
            self.orders[order_number] = _Watched(live, self.poll_secs, time.monotonic() + self.poll_secs)
            self.count_changed.emit(self.count)
        if not self.timer.isActive():
            self.timer.start()

    def tick(self) -> None:
        from cashier_app.services import card_payments

        now = time.monotonic()
        ctx = self.ctx
        for number, w in list(self.orders.items()):
            if w.busy or w.due > now:
                continue
            w.busy = True
            self.runner.run_net(lambda n=number, live=w.live, c=ctx: card_payments.check(c, n, allow_register=live),
                                lambda order, n=number: self._checked(n, order),
                                lambda exc, n=number: self._failed(n, exc))
        if not self.orders:
            self.timer.stop()

    def _checked(self, number: str, order: CardOrder) -> None:
        w = self.orders.get(number)
        if w is not None:
            w.busy = False
            # The bank not answering: ask less often, up to once a minute; back to 3 s when it answers.
            w.interval = min(w.interval * 2, MAX_BACKOFF_SECS) if order.last_error else self.poll_secs
            w.due = time.monotonic() + w.interval
            if order.final or order.manual:
                del self.orders[number]
                self.count_changed.emit(self.count)
        self.updated.emit(order)

    def _failed(self, number: str, exc: BaseException) -> None:
        w = self.orders.get(number)
        if w is not None:
            w.busy = False
            w.interval = min(w.interval * 2, MAX_BACKOFF_SECS)
            w.due = time.monotonic() + w.interval

    def reconcile(self) -> None:
        """Settle what the bank decided while nobody watched, then keep watching what is still open."""
        ctx = self.ctx

        def work() -> tuple[list[card_payments.ReconcileLine], list[str]]:
            from cashier_app.services import card_payments

            return card_payments.reconcile(ctx), card_payments.open_orders(ctx)

        def done(result: tuple[list[card_payments.ReconcileLine], list[str]]) -> None:
            lines, still_open = result
            for line in lines:
                if line.after is not None:
                    self.updated.emit(line.after)
            for number in still_open:
                self.watch(number)

        self.runner.run_net(work, done, lambda _exc: None)


def install(window: Any) -> None:
    watcher = PaymentWatcher(window.ctx, window.runner, window)
    window.card_watcher = watcher
    label = QLabel("")
    label.setObjectName("pending_payments")
    window.pending_label = label
    window.statusBar().addPermanentWidget(label)

    def show_count(n: int) -> None:
        label.setText(tr("Ожидают оплаты: {n}", n=n) if n else "")

    watcher.count_changed.connect(show_count)
    watcher.updated.connect(lambda order: _refresh_if_shown(window, order))
    window.register_action("card", open_card_payment)
    # After the window is shown: the start-up must not wait for the banks.
    QTimer.singleShot(0, watcher.reconcile)


def _refresh_if_shown(window: Any, order: CardOrder) -> None:
    card = window.current
    if not order.credited or card is None:
        return
    if (isinstance(card, cards.AccountCard) and card.number == order.account_number) or (
            isinstance(card, cards.BookingCard) and card.number == order.booking_number):
        window.refresh_card()


def open_card_payment(window: Any, card: object) -> None:
    if not isinstance(card, cards.AccountCard | cards.BookingCard):
        messages.show_info(window, tr("Откройте лицевой счёт или заявку."))
        return
    from cashier_app.ui.card_payment_dialog import CardPaymentDialog

    # ``window.card_open_url`` lets a test (or a kiosk set-up) replace the system browser.
    dialog = CardPaymentDialog(window.ctx, window.runner, window.card_watcher, card,
                               open_url=getattr(window, "card_open_url", None), parent=window)
    dialog.finished.connect(lambda _r: window.action_finished())
    window.card_dialog = dialog
    dialog.open()
