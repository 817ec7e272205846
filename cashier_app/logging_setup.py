"""The program's log: one rotating file in the user log directory, for the window and the CLI.

Failures in background work (the window's operation runner, the payment
watcher, the start-up reconcile) used to reach only a dialog or nothing at
all; the support engineer needs the traceback afterwards.  ``install()`` is
called once at start by ``cli.main`` (for the GUI and every sub-command) and
is idempotent, so tests calling ``main()`` many times get one handler.

Where the file is: ``settings.log_path()`` — ``~/.local/state/cashier-app/log/``
on Linux, ``%LOCALAPPDATA%\\cashier-app\\Logs`` on Windows; ``CASHIER_LOG_DIR``
overrides it (tests point it at a temporary folder).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from types import TracebackType

from cashier_app import settings

MAX_BYTES = 2_000_000  # ~ a month of a busy desk's warnings; five old files are kept
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s [%(process)d %(threadName)s] %(name)s: %(message)s"

_MARK = "_cashier_app_log"


def _current() -> logging.Handler | None:
    for h in logging.getLogger().handlers:
        if getattr(h, _MARK, False):
            return h
    return None


def install(level: int = logging.INFO) -> Path | None:
    """Attach the rotating file to the root logger (once); the log's path, or None if it cannot be written."""
    path = settings.log_path()
    root = logging.getLogger()
    old = _current()
    if old is not None:
        if Path(getattr(old, "baseFilename", "")) == path.resolve():
            return path
        root.removeHandler(old)  # the directory changed (a test's CASHIER_LOG_DIR)
        old.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8", delay=True)
    except OSError as exc:
        # The counter must still work without its log; say so once instead of failing the start.
        print(f"cashier-app: журнал ошибок не ведётся: {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    # A full disk must not print logging's own traceback over the cashier's answer (the log is best-effort).
    logging.raiseExceptions = False
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    # Seven lines about plugins at every start would bury what matters; migrations still log.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    _hook_uncaught()
    return path


def _hook_uncaught() -> None:
    """Uncaught exceptions (main thread, Qt slots, plain threads) go to the log before the default hook."""
    previous = sys.excepthook
    previous_thread = threading.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger("cashier_app").critical("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit and args.exc_value is not None:
            name = args.thread.name if args.thread else "?"
            logging.getLogger("cashier_app").critical(
                "uncaught exception in thread %s", name,
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous_thread(args)

    # Each hook is checked on its own: something else (a test runner) may have replaced one of them.
    setattr(hook, _MARK, True)
    setattr(thread_hook, _MARK, True)
    if not getattr(previous, _MARK, False):
        sys.excepthook = hook
    if not getattr(previous_thread, _MARK, False):
        threading.excepthook = thread_hook


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """One background failure: a refusal of what the user asked as one line, anything else with its traceback.

    A bank or database that does not answer (``GatewayError``, ``DatabaseError``) is not the user's
    mistake even though it carries a message for them: it gets the traceback.
    """
    from cashier_app.domain.errors import NotFound, PermissionDenied, RuleViolation, ValidationError

    if isinstance(exc, ValidationError | NotFound | RuleViolation | PermissionDenied):
        logger.info("%s: %s", what, exc)
    else:
        logger.error("%s failed", what, exc_info=(type(exc), exc, exc.__traceback__))
