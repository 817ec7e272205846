"""Card payments in the main window: the F7 button, the background watcher, reconcile at start-up.

``install(window)`` registers the «Оплата картой (F7)» action, creates the
:class:`PaymentWatcher` the window owns, shows «Ожидают оплаты: N» in the
status bar (a click opens the list; also «Сервис → Ожидают оплаты…»), and —
once the window is shown — re-checks every order left open (a crash, a closed
dialog, yesterday's session) with ``card_payments.reconcile`` in the background.

Nothing the watcher or the reconcile learns is dropped (issue 11 §1, §3): an
order that ends (paid, declined, expired…) and every failure reach the cashier
through ``notifications.Notifier`` and the log (with the traceback).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton

from cashier_app.domain.errors import UserError
from cashier_app.domain.money import format_money
from cashier_app.i18n import tr
from cashier_app.services import cards
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.notifications import notifier_of

log = logging.getLogger(__name__)

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
    failures: int = 0


class PaymentWatcher(QObject):
    """Polls open orders every ~3 s (backing off on errors) through ``runner.run_net`` until final."""

    updated = Signal(object)  # CardOrder
    count_changed = Signal(int)
    ended = Signal(object)  # CardOrder: a watched order became final (or waits for the bank statement)
    problem = Signal(str, object)  # what failed (plain words), the exception

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
            w.failures = 0
            if order.final or order.manual:
                del self.orders[number]
                self.count_changed.emit(self.count)
                self.updated.emit(order)
                self.ended.emit(order)
                return
        self.updated.emit(order)

    def _failed(self, number: str, exc: BaseException) -> None:
        w = self.orders.get(number)
        log.error("card order %s: status check failed", number, exc_info=(type(exc), exc, exc.__traceback__))
        if w is not None:
            w.busy = False
            w.interval = min(w.interval * 2, MAX_BACKOFF_SECS)
            w.due = time.monotonic() + w.interval
            w.failures += 1
            if w.failures == 1:  # once per streak: the watcher goes on trying, the cashier is told once
                self.problem.emit(tr("Заказ № {n}: статус не проверен", n=number), exc)

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
                    if line.changed and (line.after.final or line.after.manual):
                        self.ended.emit(line.after)
                elif line.note:
                    log.warning("start-up reconcile: order %s not checked: %s", line.order_number, line.note)
                    self.problem.emit(tr("Заказ № {n} не проверен при запуске", n=line.order_number),
                                      UserError(line.note))
            for number in still_open:
                self.watch(number)

        def failed(exc: BaseException) -> None:
            log.error("start-up reconcile failed", exc_info=(type(exc), exc, exc.__traceback__))
            self.problem.emit(tr("Проверка незавершённых оплат при запуске не выполнена"), exc)

        self.runner.run_net(work, done, failed)


def install(window: Any) -> None:
    watcher = PaymentWatcher(window.ctx, window.runner, window)
    window.card_watcher = watcher
    window.notifier = notifier_of(window)
    # The counter is a flat button: a click opens «Ожидают оплаты».
    label = QPushButton("")
    label.setObjectName("pending_payments")
    label.setFlat(True)
    label.setVisible(False)
    label.setToolTip(tr("Открыть список заказов, ждущих оплаты"))
    label.clicked.connect(lambda _=False: open_pending_orders(window))
    window.pending_label = label
    window.statusBar().addPermanentWidget(label)

    def show_count(n: int) -> None:
        label.setText(tr("Ожидают оплаты: {n}", n=n) if n else "")
        label.setVisible(n > 0)

    watcher.count_changed.connect(show_count)
    watcher.updated.connect(lambda order: _refresh_if_shown(window, order))
    watcher.ended.connect(lambda order: _tell_ended(window, order))
    watcher.problem.connect(lambda what, exc: _tell_problem(window, what, exc))
    window.register_action("card", open_card_payment)
    act = QAction(tr("Ожидают оплаты…"), window)
    act.setObjectName("pending_orders")
    act.triggered.connect(lambda _=False: open_pending_orders(window))
    window.service_menu.addAction(act)
    window.pending_orders_action = act
    # Double-click on a card payment «Ожидает оплаты» in the account card reopens its order.
    window.account_view.payments.cellDoubleClicked.connect(lambda row, _col: _open_payment_row(window, row))
    # After the window is shown: the start-up must not wait for the banks.
    QTimer.singleShot(0, watcher.reconcile)


ENDED_LEVEL = {"paid": "ok", "cancelled": "warn", "manual": "warn"}


def _tell_ended(window: Any, order: CardOrder) -> None:
    """A watched order ended: the cashier hears it wherever he is, not only in the journal."""
    if order.paid:
        title = tr("Оплачено картой")
    elif order.manual:
        title = tr("Подтвердите оплату по выписке")
    else:
        title = tr("Оплата картой не прошла")
    text = tr("Заказ № {n}, {target}, {m}: {status}", n=order.order_number, target=order.target,
              m=format_money(order.amount_minor), status=order.status_text)
    window.notifier.notify(title, text, "ok" if order.paid else ENDED_LEVEL.get(order.state, "error"))
    if order.paid:
        # Its fiscal receipt was sent when the credit committed: a receipt not made is said too.
        from cashier_app.services import fiscal_views
        from cashier_app.ui.cash_actions import fiscal_after_payment

        ctx, pid, number = window.ctx, order.payment_id, order.order_number
        window.runner.run_db(lambda: fiscal_views.for_payment(ctx, pid),
                             lambda v: fiscal_after_payment(window, v, number),
                             lambda e: log.warning("card order %s: receipt state not read: %s", order.order_number, e))


def _tell_problem(window: Any, what: str, exc: BaseException) -> None:
    if isinstance(exc, UserError):
        text = str(exc)
    else:
        text = tr("{kind}; результат неизвестен, проверьте журнал. Подробности — в журнале программы.",
                  kind=type(exc).__name__)
    window.notifier.notify(what, text, "error")


def open_pending_orders(window: Any) -> None:
    from cashier_app.ui.pending_orders_dialog import PendingOrdersDialog

    dlg = PendingOrdersDialog(window.ctx, window.runner, window.card_watcher,
                              lambda order: open_order_dialog(window, order), parent=window)
    window.pending_orders_dialog = dlg
    dlg.open()


def _open_payment_row(window: Any, row: int) -> None:
    card = window.current
    if not isinstance(card, cards.AccountCard) or not 0 <= row < len(card.last_payments):
        return
    line = card.last_payments[row]
    if line.method != "card":
        return
    from cashier_app.services import card_payments

    ctx = window.ctx
    window.runner.run_db(lambda: card_payments.find_by_payment(ctx, line.number),
                         lambda order: open_order_dialog(window, order), lambda e: messages.show_error(window, e))


def open_order_dialog(window: Any, order: CardOrder) -> None:
    """Reopen an order in the F7 dialog (same link, QR, live status), from the list or a payment row."""
    ctx = window.ctx
    if order.account_number is not None:
        number = order.account_number

        def load() -> Any:
            return cards.account_card(ctx, number)
    else:
        number = order.booking_number or ""

        def load() -> Any:
            return cards.booking_card(ctx, number)

    window.runner.run_db(load, lambda card: _show_dialog(window, card, order),
                         lambda e: messages.show_error(window, e))


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
    _show_dialog(window, card, None)


def _show_dialog(window: Any, card: Any, order: CardOrder | None) -> None:
    from cashier_app.ui.card_payment_dialog import CardPaymentDialog

    # ``window.card_open_url`` lets a test (or a kiosk set-up) replace the system browser.
    dialog = CardPaymentDialog(window.ctx, window.runner, window.card_watcher, card,
                               open_url=getattr(window, "card_open_url", None), parent=window, order=order)
    dialog.finished.connect(lambda _r: window.action_finished())
    window.card_dialog = dialog
    dialog.open()
