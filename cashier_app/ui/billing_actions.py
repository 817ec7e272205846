"""The payees' billings in the main window (issue 14): import, connector settings, checks, delivery.

:class:`Billing` adds to «Сервис»: «Импорт лицевых счетов…» (the wizard), «Подключение к
биллингу…» (a provider's OSMP connector) and «Доставить платежи в биллинг» (every undelivered
payment now, regardless of back-off).  Once a user is signed in, the outbox is delivered in the
background every 30 s (``billing.delivery.deliver_due`` on the network pool, one run at a time —
a dead billing costs one waiting thread, never the counter).  When an account card opens, the
payee's billing is asked about the account (``billing.checks.check_account``, ≤ 3 s, network pool)
and the answer goes on the card; it refuses nothing: the cashier decides.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from cashier_app.domain.errors import UserError
from cashier_app.i18n import N_, tr
from cashier_app.ui import messages
from cashier_app.ui.capabilities import Capability, WindowHost
from cashier_app.ui.changes import Change, ChangeSet
from cashier_app.ui.operations import PeriodicJob, ReadOp

log = logging.getLogger(__name__)

DELIVERY_MS = 30_000
DELIVERY_LIMIT = 50  # rows a background run takes; the rest wait for the next tick


class BillingAgent(QObject):
    """The background side: the periodic delivery and the account card's check."""

    def __init__(self, window: WindowHost) -> None:
        super().__init__(window.widget())
        self.window = window
        ctx = window.ctx  # the database only (deliver reads ctx.db): no user is acted as
        self.delivery = PeriodicJob(window.runner, lambda: deliver(ctx), DELIVERY_MS, self)
        self.delivery.finished.connect(self._delivered)
        self.delivery.failed.connect(self._delivery_failed)
        self.checking: set[str] = set()  # account numbers being asked now (one question per account)
        self.connected_payees: set[str] = set()  # payees whose billing answered: «проверяю…» is shown next time
        self.last_counts: dict[str, int] | None = None
        self.reconciling = False

    # --- delivery ---------------------------------------------------------------------------
    def signed_in(self, user: Any) -> None:
        if user is None:
            self.delivery.stop()
            return
        self.delivery.start()
        self.window.after_start(self.delivery.run_now)  # what waited while nobody was signed in, soon

    def _delivered(self, counts: dict[str, int]) -> None:
        self.last_counts = counts
        self._tell(counts, quiet=True)

    def _delivery_failed(self, exc: BaseException) -> None:
        # Logged by the runner; the next tick tries again.  Said once in the status bar, never a dialog.
        self.window.status(tr("Биллинг: платежи не доставлены ({kind}); повторю позже",
                              kind=type(exc).__name__), 30_000)

    def _tell(self, counts: dict[str, int], *, quiet: bool) -> None:
        bad = counts.get("refused", 0) + counts.get("manual", 0)
        if quiet and not bad:
            return
        level = "error" if bad else "ok"
        self.window.notify(
            tr("Биллинг"),
            tr("Доставлено: {done}; отклонено: {refused}; вручную: {manual}; ждут ответа: {wait}",
               done=counts.get("delivered", 0), refused=counts.get("refused", 0), manual=counts.get("manual", 0),
               wait=counts.get("pending", 0) + counts.get("sent", 0)), level)

    def reconcile(self) -> None:
        """«Доставить платежи в биллинг»: every pending/sent row now, whatever its back-off."""
        if self.reconciling or self.window.ctx.user is None:
            return
        from cashier_app.services.billing import delivery

        self.reconciling = True
        db = self.window.ctx.db

        def done(counts: dict[str, int]) -> None:
            self.reconciling = False
            self.last_counts = counts
            if counts.get("processed", 0):
                self._tell(counts, quiet=False)
            else:
                self.window.notify(tr("Биллинг"), tr("Недоставленных платежей нет"), "ok")

        def failed(exc: BaseException) -> None:
            self.reconciling = False
            messages.show_error(self.window.widget(), exc)

        self.window.runner.run_net(lambda: delivery.reconcile(db), done, failed)

    def follow(self, changes: ChangeSet) -> None:
        """A payment to an account goes to its billing now, not at the next tick."""
        if changes.accounts and changes.has(Change.SHIFT) and self.window.ctx.user is not None:
            self.delivery.request()

    # --- the account card's check -----------------------------------------------------------
    def card_shown(self, card: Any) -> None:
        from cashier_app.services.cards import AccountCard

        if not isinstance(card, AccountCard) or self.window.ctx.user is None:
            return
        # A card is shown again after every payment (``action_finished``): the payment just taken goes to
        # the billing now rather than at the next tick (after the run under way, if any).  Nothing due: one query.
        self.delivery.request()
        number, payee = card.number, card.payee_code
        if number in self.checking:
            return
        if payee in self.connected_payees:
            self.window.account_view.show_checking()
        from cashier_app.services.billing import checks

        self.checking.add(number)
        ctx = self.window.snapshot_ctx()
        self.window.runner.run_net(lambda: checks.check_account(ctx, number),
                                   lambda view: self._checked(number, payee, view),
                                   lambda exc: self._check_failed(number, exc))

    def _checked(self, number: str, payee: str, view: Any) -> None:
        self.checking.discard(number)
        if view.state == "off":
            self.connected_payees.discard(payee)
        else:
            self.connected_payees.add(payee)
        current = self.window.current
        # The cashier may have moved on to another card while the billing was thinking.
        if getattr(current, "number", None) == number and self.window.account_view.card is not None \
                and self.window.account_view.card.number == number:
            self.window.account_view.show_check(view)

    def _check_failed(self, number: str, exc: BaseException) -> None:
        # check_account never raises for the network; this is the database or a bug: logged, not a dialog.
        self.checking.discard(number)
        if not isinstance(exc, UserError):
            log.error("billing check of %s failed", number, exc_info=(type(exc), exc, exc.__traceback__))


def deliver(ctx: Any) -> dict[str, int]:
    """One background run of the outbox (module level: the periodic job's function, tests call it)."""
    from cashier_app.services.billing import delivery

    return delivery.deliver_due(ctx.db, limit=DELIVERY_LIMIT)


# --- the dialogs ------------------------------------------------------------------------------

def _isp_payees(ctx: Any) -> list[tuple[str, str]]:
    from cashier_app.services import payees

    return [(p.code, p.name) for p in payees.list_for_admin(ctx) if p.kind == "isp"]


def open_settings(window: WindowHost, payee_code: str | None = None) -> None:
    """The service decides who may: anyone but an administrator gets its refusal, nothing opens."""
    from cashier_app.ui.billing_settings_dialog import BillingSettingsDialog

    ctx = window.snapshot_ctx()

    def show(rows: list[tuple[str, str]]) -> None:
        dialog = BillingSettingsDialog(ctx, window.runner, rows, payee_code, parent=window.widget())
        dialog.finished.connect(lambda _r: window.announce(ChangeSet.of(Change.PAYEES)))
        window.show_dialog(dialog)

    ReadOp(_isp_payees).success(show).run_in(window)


def open_import(window: WindowHost) -> None:
    from cashier_app.ui.import_wizard import ImportWizard

    ctx = window.snapshot_ctx()

    def show(rows: list[tuple[str, str]]) -> None:
        wizard = ImportWizard(ctx, window.runner, rows, parent=window.widget())
        # Imported accounts: any account shown or listed may have changed.
        wizard.finished.connect(lambda _r: window.announce(ChangeSet.of(Change.ACCOUNT, Change.PAYEES)))
        window.show_dialog(wizard)

    ReadOp(_isp_payees).success(show).run_in(window)


class Billing(Capability):
    """The outbox's delivery, the account check, and the billing entries of «Сервис»."""

    agent: BillingAgent

    def install(self, host: WindowHost) -> None:
        self.host = host
        agent = self.agent = BillingAgent(host)
        host.user_changed.connect(agent.signed_in)
        host.card_shown.connect(agent.card_shown)
        host.changes.changed.connect(agent.follow)
        for name, text, slot in (
            ("import_accounts", N_("&Импорт лицевых счетов…"), lambda: open_import(host)),
            ("billing_settings", N_("Подключение к &биллингу…"), lambda: open_settings(host)),
            ("billing_reconcile", N_("Доставить платежи в биллинг"), agent.reconcile),
        ):
            act = QAction(tr(text), host.widget())
            act.setObjectName(name)
            act.triggered.connect(lambda _=False, f=slot: f())
            host.add_menu_action("service", act)
        if host.ctx.user is not None:
            agent.signed_in(host.ctx.user)


def install(window: Any) -> Billing:
    """Tests and scripts: ``install(window)`` is ``window.install(Billing())``."""
    return window.install(Billing())
