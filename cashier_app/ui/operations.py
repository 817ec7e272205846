"""Background operations: database and network work never runs on the GUI thread.

Like Anki's ``QueryOp``: the caller hands a plain function and callbacks; the
function runs on a worker thread, the callbacks run on the GUI thread.  The
database has **one serial worker** — a ``QThreadPool`` with ``maxThreadCount(1)``:
jobs run one after the other in the order they were queued, never two at once
(SQLite allows one writer, and one worker keeps the order of a user's actions;
``tests/test_ui_plumbing.py`` checks that two queued writes never overlap).  The
network has a small pool of four; a job there that talks to another system and then
records its answer (a card order's status, a billing delivery, a fiscal receipt) writes in
its own short transaction while the DB worker may be busy — the services make those
writes safe (row locks, idempotent states), the pool does not serialise them.

Named operations on top of the runner (issue 12 §1), like Anki's ``QueryOp`` /
``CollectionOp``::

    ReadOp(lambda ctx: cards.account_card(ctx, n)).success(show).run_in(window)
    WriteOp(lambda ctx: cash.take_cash(ctx, ...), changes=ChangeSet.payment(account=n)).run_in(window)

The function gets a **snapshot** of the window's DeskContext taken when the operation is
queued: a user who signs out or switches while the job waits never changes whom it runs as.
A write announces on success what it changed through ``window.changes`` — the ``changes``
given, computed from the result (a callable), or a ChangeSet the function returned.
A failure without a handler goes to ``messages.show_error`` over the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cashier_app.logging_setup import log_failure

log = logging.getLogger(__name__)

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class _Job(QRunnable):
    def __init__(self, runner: OperationRunner, fn: Callable[[], Any], ok: Success | None, fail: Failure | None):
        super().__init__()
        self._runner, self._fn, self._ok, self._fail = runner, fn, ok, fail

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # every failure reaches the GUI thread as a value
            if not isinstance(exc, Exception):
                raise
            # Logged here, whatever the callback does with it: the log is where support looks (issue 11).
            log_failure(log, f"background operation {getattr(self._fn, '__qualname__', self._fn)!s}", exc)
            self._runner._finished.emit(self._fail, exc, True)
        else:
            self._runner._finished.emit(self._ok, result, False)


class OperationRunner(QObject):
    """Runs operations in the background; inject it, tests may pass ``SyncRunner``."""

    _finished = Signal(object, object, bool)
    busy_changed = Signal(int)
    failed = Signal(object)  # unhandled failures, shown by the main window

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = QThreadPool(self)
        self._db.setMaxThreadCount(1)
        self._net = QThreadPool(self)
        self._net.setMaxThreadCount(4)
        self._pending = 0
        self._finished.connect(self._deliver)

    @property
    def pending(self) -> int:
        return self._pending

    def run_db(self, fn: Callable[[], Any], on_success: Success | None = None, on_failure: Failure | None = None) -> None:
        self._start(self._db, fn, on_success, on_failure)

    def run_net(self, fn: Callable[[], Any], on_success: Success | None = None, on_failure: Failure | None = None) -> None:
        self._start(self._net, fn, on_success, on_failure)

    def _start(self, pool: QThreadPool, fn: Callable[[], Any], ok: Success | None, fail: Failure | None) -> None:
        self._pending += 1
        self.busy_changed.emit(self._pending)
        pool.start(_Job(self, fn, ok, fail))

    def _deliver(self, callback: Callable[[Any], None] | None, value: Any, is_error: bool) -> None:
        self._pending -= 1
        self.busy_changed.emit(self._pending)
        if callback is not None:
            callback(value)
        elif is_error:
            self.failed.emit(value)

    def wait_idle(self, msecs: int = 30000) -> None:
        self._db.waitForDone(msecs)
        self._net.waitForDone(msecs)

    def drop_queued_reads(self) -> None:
        """Forget the jobs not started yet (``--smoke`` after its first query: nobody waits for them).

        Only for a run that did no write: a queued write dropped here would be lost.
        """
        self._db.clear()
        self._net.clear()


class SyncRunner(QObject):
    """Runs operations at once on the calling thread: for unit tests of views."""

    busy_changed = Signal(int)
    failed = Signal(object)
    pending = 0

    def run_db(self, fn: Callable[[], Any], on_success: Success | None = None, on_failure: Failure | None = None) -> None:
        self._run(fn, on_success, on_failure)

    run_net = run_db

    def _run(self, fn: Callable[[], Any], ok: Success | None, fail: Failure | None) -> None:
        try:
            result = fn()
        except Exception as exc:
            log_failure(log, f"operation {getattr(fn, '__qualname__', fn)!s}", exc)
            if fail is None:
                self.failed.emit(exc)
            else:
                fail(exc)
            return
        if ok is not None:
            ok(result)

    def wait_idle(self, msecs: int = 0) -> None:
        return None


def snapshot(ctx: Any) -> Any:
    """A copy of a DeskContext as it is now: what a queued job holds, whoever signs in next."""
    from cashier_app.services.context import DeskContext

    return DeskContext(ctx.db, ctx.desk, ctx.user, ctx.today_override)


class _Op:
    """What ReadOp and WriteOp share: the function, the callbacks, the pool."""

    def __init__(self, fn: Callable[[Any], Any], *, net: bool = False) -> None:
        self._fn = fn
        self._ok: Success | None = None
        self._fail: Failure | None = None
        self._net = net

    def success(self, cb: Success) -> Any:
        self._ok = cb
        return self

    def failure(self, cb: Failure) -> Any:
        self._fail = cb
        return self

    def on_network(self) -> Any:
        """Run on the network pool (a gateway, a billing, the register) instead of the DB worker."""
        self._net = True
        return self

    def run_in(self, host: Any) -> None:
        """Queue on ``host.runner`` with a snapshot of ``host.ctx`` taken now."""
        ctx = snapshot(host.ctx)
        fn = self._fn
        fail = self._fail or (lambda exc: _show_error(host, exc))
        start = host.runner.run_net if self._net else host.runner.run_db
        # An answer that arrives after the window closed has nobody to go to (and a deleted widget).
        start(lambda: fn(ctx), lambda result: _alive(host) and self._done(host, result),
              lambda exc: _alive(host) and fail(exc))

    def _done(self, host: Any, result: Any) -> None:
        if self._ok is not None:
            self._ok(result)


def _alive(host: Any) -> bool:
    import shiboken6

    return not isinstance(host, QObject) or shiboken6.isValid(host)


def _show_error(host: Any, exc: BaseException) -> None:
    from cashier_app.ui import messages

    parent = host.widget() if hasattr(host, "widget") else host
    messages.show_error(parent, exc)


class ReadOp(_Op):
    """A read: the function's answer goes to ``success`` on the GUI thread; nothing is announced."""


class WriteOp(_Op):
    """A write: on success its ChangeSet is announced on ``host.changes``, then ``success`` runs.

    ``changes``: a ChangeSet, or a function of the result giving one; without it, the result
    itself when it is a ChangeSet (or has a ``changes`` attribute that is one).
    """

    def __init__(self, fn: Callable[[Any], Any], changes: Any = None, *, net: bool = False) -> None:
        super().__init__(fn, net=net)
        self._changes = changes

    def _done(self, host: Any, result: Any) -> None:
        from cashier_app.ui.changes import ChangeSet, changes_of

        ch = self._changes
        found = ch(result) if callable(ch) and not isinstance(ch, ChangeSet) else (ch or changes_of(result))
        bus = getattr(host, "changes", None)
        if bus is not None:
            bus.announce(found)
        super()._done(host, result)


class PeriodicJob(QObject):
    """Runs ``fn`` on the network pool every ``interval_ms``, never two at once (issue 14).

    For work that talks to another system on a timer (the billing outbox's delivery): a run that
    is still waiting on a slow server is not joined by a second one — the next tick is skipped —
    so a dead server never piles up threads.  ``finished`` carries the result, ``failed`` the error
    (already logged by the runner's job); neither is shown to the user by this class.
    """

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, runner: Any, fn: Callable[[], Any], interval_ms: int, parent: QObject | None = None) -> None:
        from PySide6.QtCore import QTimer

        super().__init__(parent)
        self._runner, self._fn = runner, fn
        self.running = False
        self.again = False  # asked for while a run was under way: one more right after it
        self.runs = 0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.run_now)

    def start(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.again = False

    def run_now(self) -> bool:
        """Start a run unless one is under way; True when one was started."""
        if self.running:
            return False
        self.running = True
        self._runner.run_net(self._fn, self._done, self._error)
        return True

    def request(self) -> None:
        """A run now, or right after the one under way (a tick skips instead: the timer comes again)."""
        if not self.run_now():
            self.again = True

    def _next(self) -> None:
        if self.again:
            self.again = False
            self.run_now()

    def _done(self, result: Any) -> None:
        self.running = False
        self.runs += 1
        self.finished.emit(result)
        self._next()

    def _error(self, exc: BaseException) -> None:
        self.running = False
        self.runs += 1
        self.failed.emit(exc)
        self._next()
