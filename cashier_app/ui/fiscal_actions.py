"""The fiscal register in the main window: the status bar indicator and the start-up reconcile (issue 13).

:class:`FiscalRegister` puts «ККТ: …» in the status bar (ready / paper out / shift expired /
offline / documents not sent to the tax operator, and our receipts still waiting or failed),
refreshed every minute and after each change that concerns it (``Change.FISCAL``/``SHIFT``) by ``fiscal_shifts.register_status`` on the
network pool — asking the register takes up to its timeout and must never block the counter.
Once a user is signed in, every unfinished receipt of this desk is settled in the background
(``fiscal_delivery.reconcile``: asked at the register first, never sent twice); a click on the
indicator, or «Сервис → Довести фискальные чеки», does it again.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton

from cashier_app.domain.errors import UserError
from cashier_app.i18n import N_, tr
from cashier_app.ui.capabilities import Capability, WindowHost
from cashier_app.ui.changes import Change, ChangeSet

log = logging.getLogger(__name__)

REFRESH_MS = 60_000
STATE_TEXT = {"ready": N_("готова"), "paper_out": N_("нет бумаги"), "shift_expired": N_("смена больше 24 часов"),
              "offline": N_("нет связи"), "shift_closed": N_("смена закрыта"), "cloud": N_("АТОЛ Онлайн"),
              "none": ""}
STATE_STYLE = {"ready": "color: #1b5e20;", "cloud": "color: #1b5e20;", "shift_closed": "color: #5d4037;",
               "paper_out": "color: #b71c1c; font-weight: bold;", "shift_expired": "color: #b71c1c; font-weight: bold;",
               "offline": "color: #b71c1c; font-weight: bold;"}
FAILED_STYLE = "color: #e65100; font-weight: bold;"


def indicator_text(st: Any) -> str:
    """«ККТ: готова», «ККТ: нет бумаги; не отправлено в ОФД: 3; чеков не пробито: 1»…; "" without a register."""
    state = getattr(st, "state", "none")
    if state == "none" and not (st.pending_receipts or st.failed_receipts):
        return ""
    words = tr(STATE_TEXT[state]) if state in STATE_TEXT else str(state)
    parts = [tr("ККТ: {state}", state=words) if words else tr("ККТ")]
    if st.unsent:
        parts.append(tr("не отправлено в ОФД: {n}", n=st.unsent))
    if st.pending_receipts:
        parts.append(tr("чеков формируется: {n}", n=st.pending_receipts))
    if st.failed_receipts:
        parts.append(tr("чеков не пробито: {n}", n=st.failed_receipts))
    return "; ".join(parts)


class RegisterIndicator(QObject):
    """Keeps the status bar button in step with the register; one question at a time."""

    changed = Signal(object)  # RegisterStatus
    reconciled = Signal(object)  # ReconcileResult

    def __init__(self, window: WindowHost) -> None:
        super().__init__(window.widget())
        self.window = window
        self.status: Any = None
        self.busy = False
        self.reconciling = False
        self.reconciled_once = False
        self.button = QPushButton("")
        self.button.setObjectName("register_status")
        self.button.setFlat(True)
        self.button.setVisible(False)
        self.button.setToolTip(tr("Состояние ККТ; щелчок — довести незавершённые чеки"))
        self.button.clicked.connect(lambda _=False: self.reconcile())
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def refresh(self) -> None:
        if self.busy or self.window.ctx.user is None:
            return
        from cashier_app.services import fiscal_shifts

        self.busy = True
        ctx = self.window.snapshot_ctx()
        self.window.runner.run_net(lambda: fiscal_shifts.register_status(ctx), self._show, self._failed)

    def follow(self, changes: ChangeSet) -> None:
        if changes.has(Change.FISCAL) or changes.has(Change.SHIFT):
            self.refresh()

    def _show(self, st: Any) -> None:
        self.busy = False
        self.status = st
        text = indicator_text(st)
        self.button.setText(text)
        self.button.setToolTip(st.text or text)
        # A receipt not made is the cashier's business even when the register itself is fine.
        self.button.setStyleSheet(FAILED_STYLE if st.failed_receipts and st.state in ("ready", "cloud", "none")
                                  else STATE_STYLE.get(st.state, ""))
        self.button.setVisible(bool(text))
        self.changed.emit(st)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        log.error("register status failed", exc_info=(type(exc), exc, exc.__traceback__))
        self.button.setText(tr("ККТ: состояние неизвестно"))
        self.button.setToolTip(str(exc) if isinstance(exc, UserError) else type(exc).__name__)
        self.button.setStyleSheet(STATE_STYLE["offline"])
        self.button.setVisible(True)

    def signed_in(self, user: Any) -> None:
        if user is None:
            self.timer.stop()
            self.button.setVisible(False)
            return
        if not self.timer.isActive():
            self.timer.start()
        if not self.reconciled_once:
            self.reconciled_once = True
            # After the window is shown: the start-up never waits for the register.
            self.window.after_start(self.reconcile)
        else:
            QTimer.singleShot(0, self.refresh)

    def reconcile(self) -> None:
        """Settle this desk's unfinished receipts in the background, then show the register again."""
        if self.reconciling or self.window.ctx.user is None:
            return
        from cashier_app.services import fiscal_delivery

        self.reconciling = True
        ctx = self.window.snapshot_ctx()
        self.window.runner.run_net(lambda: fiscal_delivery.reconcile(ctx), self._reconciled, self._reconcile_failed)

    def _reconciled(self, res: Any) -> None:
        self.reconciling = False
        self.reconciled.emit(res)
        if res.done or res.failed:
            level = "error" if res.failed else "ok"
            self.window.notify(
                tr("Фискальные чеки"),
                tr("Проверено: {n}; пробито: {done}; не пробито: {failed}; ждут ответа ККТ: {wait}", n=res.checked,
                   done=res.done, failed=res.failed, wait=res.unfinished), level)
        self.refresh()

    def _reconcile_failed(self, exc: BaseException) -> None:
        self.reconciling = False
        log.error("fiscal reconcile failed", exc_info=(type(exc), exc, exc.__traceback__))
        text = str(exc) if isinstance(exc, UserError) else tr(
            "{kind}; чеки будут проверены позже. Подробности — в журнале программы.", kind=type(exc).__name__)
        self.window.notify(tr("Фискальные чеки не проверены"), text, "error")
        self.refresh()


class FiscalRegister(Capability):
    """The «ККТ: …» indicator and «Сервис → Довести фискальные чеки»."""

    indicator: RegisterIndicator

    def install(self, host: WindowHost) -> None:
        self.host = host
        indicator = self.indicator = RegisterIndicator(host)
        host.add_status_widget(indicator.button)
        host.user_changed.connect(indicator.signed_in)
        host.changes.changed.connect(indicator.follow)
        act = QAction(tr("Довести &фискальные чеки"), host.widget())
        act.setObjectName("fiscal_reconcile")
        act.triggered.connect(lambda _=False: indicator.reconcile())
        host.add_menu_action("service", act)
        if host.ctx.user is not None:
            indicator.signed_in(host.ctx.user)


def install(window: Any) -> FiscalRegister:
    """Tests and scripts: ``install(window)`` is ``window.install(FiscalRegister())``."""
    return window.install(FiscalRegister())
