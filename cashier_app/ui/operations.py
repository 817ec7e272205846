"""Background operations: database and network work never runs on the GUI thread.

Like Anki's ``QueryOp``: the caller hands a plain function and callbacks; the
function runs on a worker thread, the callbacks run on the GUI thread.  The
database has one serial worker (SQLite allows one writer, and one worker keeps
the order of a user's actions); the network has a small pool.
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
