"""Card payments in the main window: the F7 button, the background watcher, reconcile at start-up.

:class:`CardPayments` registers the «Оплата картой (F7)» action, creates the
:class:`PaymentWatcher` it owns, shows «Ожидают оплаты: N» in the
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
from cashier_app.i18n import ntr, tr
from cashier_app.services import cards
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.capabilities import Capability, WindowHost
from cashier_app.ui.changes import Change, ChangeSet
from cashier_app.ui.operations import ReadOp

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
        from cashier_app.ui.operations import snapshot

        ctx = snapshot(self.ctx)  # who polls is who is signed in now; a switch later does not change it
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
        from cashier_app.ui.operations import snapshot

        ctx = snapshot(self.ctx)

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


class CardPayments(Capability):
    """F7, the watcher of open orders, the «Ожидают оплаты: N» counter, the start-up reconcile."""

    def __init__(self) -> None:
        self.watcher: PaymentWatcher | None = None
        self.pending_label: QPushButton | None = None
        self.open_url: Any = None  # replaces the system browser (a test, a kiosk set-up)

    def install(self, host: WindowHost) -> None:
        self.host = host
        # The watcher follows the live user: each poll takes a snapshot of it (PaymentWatcher.tick).
        watcher = self.watcher = PaymentWatcher(host.ctx, host.runner, host.widget())
        # The counter is a flat button: a click opens «Ожидают оплаты».
        label = self.pending_label = QPushButton("")
        label.setObjectName("pending_payments")
        label.setFlat(True)
        label.setVisible(False)
        label.setToolTip(tr("Открыть список заказов, ждущих оплаты"))
        label.clicked.connect(lambda _=False: open_pending_orders(host))
        host.add_status_widget(label)

        def show_count(n: int) -> None:
            label.setText(ntr("Ожидает оплаты {n} заказ", "Ожидают оплаты {n} заказов", n) if n else "")
            label.setVisible(n > 0)

        watcher.count_changed.connect(show_count)
        watcher.updated.connect(lambda order: _announce_credit(host, order))
        watcher.ended.connect(lambda order: _tell_ended(host, order))
        watcher.problem.connect(lambda what, exc: _tell_problem(host, what, exc))
        host.register_action("card", open_card_payment)
        act = QAction(tr("Ожидают &оплаты…"), host.widget())
        act.setObjectName("pending_orders")
        act.triggered.connect(lambda _=False: open_pending_orders(host))
        host.add_menu_action("service", act)
        # Double-click on a card payment «Ожидает оплаты» in the account card reopens its order.
        host.account_view.payments.cellDoubleClicked.connect(lambda row, _col: _open_payment_row(host, row))
        host.changes.changed.connect(self._on_changes)
        # After the window is shown: the start-up must not wait for the banks.
        host.after_start(watcher.reconcile)

    def leaving_note(self) -> str | None:
        n = self.watcher.count if self.watcher is not None else 0
        return ntr("Ожидает оплаты {n} заказ картой.", "Ожидают оплаты {n} заказов картой.", n) if n else None

    def _on_changes(self, changes: ChangeSet) -> None:
        from cashier_app.ui.cash_actions import refresh_open

        refresh_open(self.host, "pending_orders_dialog", "PendingOrdersDialog", changes.has(Change.PENDING_ORDERS))


def card_payments_of(host: Any) -> CardPayments:
    cap = host.capability(CardPayments)
    assert cap is not None, "card_actions not installed"
    return cap


def install(window: Any) -> CardPayments:
    """Tests and scripts: ``install(window)`` is ``window.install(CardPayments())``."""
    return window.install(CardPayments())


ENDED_LEVEL = {"paid": "ok", "cancelled": "warn", "manual": "warn"}


def order_changes(order: CardOrder) -> ChangeSet:
    """A card order that moved: the pending list; when credited, its record, the shift, the receipt too."""
    if order.credited:
        return ChangeSet.payment(order.account_number, order.booking_number, Change.PENDING_ORDERS)
    return ChangeSet.of(Change.PENDING_ORDERS)


def _announce_credit(host: WindowHost, order: CardOrder) -> None:
    """Each update of a credited order the card shown is about: the card and the results follow."""
    if order.credited and not order.final:
        host.announce(order_changes(order))


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
    window.announce(order_changes(order))
    window.notify(title, text, "ok" if order.paid else ENDED_LEVEL.get(order.state, "error"))
    if order.paid:
        # Its fiscal receipt was sent when the credit committed: a receipt not made is said too.
        from cashier_app.services import fiscal_views
        from cashier_app.ui.cash_actions import fiscal_after_payment

        pid, number = order.payment_id, order.order_number
        ReadOp(lambda c: fiscal_views.for_payment(c, pid)).success(
            lambda v: fiscal_after_payment(window, v, number)).failure(
            lambda e: log.warning("card order %s: receipt state not read: %s", number, e)).run_in(window)


def _tell_problem(window: Any, what: str, exc: BaseException) -> None:
    if isinstance(exc, UserError):
        text = str(exc)
    else:
        text = tr("{kind}; результат неизвестен, проверьте журнал. Подробности — в журнале программы.",
                  kind=type(exc).__name__)
    window.notify(what, text, "error")


def open_pending_orders(window: Any) -> None:
    from cashier_app.ui.pending_orders_dialog import PendingOrdersDialog

    dlg = PendingOrdersDialog(window.snapshot_ctx(), window.runner, card_payments_of(window).watcher,
                              lambda order: open_order_dialog(window, order), parent=window.widget())
    window.show_dialog(dlg)


def _open_payment_row(window: Any, row: int) -> None:
    card = window.current
    if not isinstance(card, cards.AccountCard) or not 0 <= row < len(card.last_payments):
        return
    line = card.last_payments[row]
    if line.method != "card":
        return
    from cashier_app.services import card_payments

    number = line.number
    ReadOp(lambda c: card_payments.find_by_payment(c, number)).success(
        lambda order: open_order_dialog(window, order)).run_in(window)


def open_order_dialog(window: Any, order: CardOrder) -> None:
    """Reopen an order in the F7 dialog (same link, QR, live status), from the list or a payment row."""
    if order.account_number is not None:
        number = order.account_number

        def load(ctx: DeskContext) -> Any:
            return cards.account_card(ctx, number)
    else:
        number = order.booking_number or ""

        def load(ctx: DeskContext) -> Any:
            return cards.booking_card(ctx, number)

    ReadOp(load).success(lambda card: _show_dialog(window, card, order)).run_in(window)


def open_card_payment(window: Any, card: object) -> None:
    if not isinstance(card, cards.AccountCard | cards.BookingCard):
        messages.show_info(window.widget(), tr("Откройте лицевой счёт или заявку."))
        return
    _show_dialog(window, card, None)


def _show_dialog(window: Any, card: Any, order: CardOrder | None) -> None:
    from cashier_app.ui.card_payment_dialog import CardPaymentDialog

    cap = card_payments_of(window)
    # ``CardPayments.open_url`` lets a test (or a kiosk set-up) replace the system browser.
    dialog = CardPaymentDialog(window.snapshot_ctx(), window.runner, cap.watcher, card,
                               open_url=cap.open_url, parent=window.widget(), order=order)
    target = ChangeSet.of(Change.PENDING_ORDERS, accounts=[order.account_number if order else None],
                          bookings=[order.booking_number if order else None])
    if order is None:
        from cashier_app.ui.cash_actions import payment_changes

        target = payment_changes(card) | ChangeSet.of(Change.PENDING_ORDERS)

    def closed(_r: int) -> None:
        # An order made, paid or cancelled in the dialog: the counter, the card and the list follow.
        window.announce(target)
        window.action_finished()

    dialog.finished.connect(closed)
    window.show_dialog(dialog)
