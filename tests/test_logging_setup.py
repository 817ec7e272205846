"""Issue 11 §3: failures never vanish — a rotating log file, background failures with their tracebacks."""

from __future__ import annotations

import logging
import logging.handlers
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashier_app import logging_setup, settings

ROOT = Path(__file__).resolve().parent.parent


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "_cashier_app_log", False)]


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CASHIER_LOG_DIR", str(tmp_path / "log"))
    yield tmp_path / "log"
    for h in _ours():  # later tests go back to the session's log directory
        logging.getLogger().removeHandler(h)
        h.close()


def _flush() -> None:
    for h in _ours():
        h.flush()


def test_the_log_is_a_rotating_file_in_the_log_dir_installed_once(log_dir: Path) -> None:
    assert settings.log_path() == log_dir / "cashier-app.log"
    path = logging_setup.install()
    assert logging_setup.install() == path == log_dir / "cashier-app.log"
    handlers = _ours()
    assert len(handlers) == 1 and isinstance(handlers[0], logging.handlers.RotatingFileHandler)
    assert handlers[0].maxBytes == logging_setup.MAX_BYTES and handlers[0].backupCount == logging_setup.BACKUPS
    logging.getLogger("cashier_app.test").warning("касса: проверка журнала")
    _flush()
    assert "касса: проверка журнала" in path.read_text("utf-8")


def test_the_log_rotates(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging_setup, "MAX_BYTES", 4000)
    path = logging_setup.install()
    assert path is not None
    for i in range(200):
        logging.getLogger("cashier_app.test").warning("строка %d %s", i, "x" * 40)
    _flush()
    assert (log_dir / "cashier-app.log.1").exists()
    assert path.stat().st_size <= 4000


def test_without_a_writable_log_dir_the_program_still_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CASHIER_LOG_DIR", str(blocker / "log"))
    assert logging_setup.install() is None
    assert "журнал ошибок не ведётся" in capsys.readouterr().err


def test_a_background_operation_failure_is_logged_with_its_traceback(qtbot, log_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.domain.errors import ValidationError
    from cashier_app.ui.operations import OperationRunner

    path = logging_setup.install()
    assert path is not None
    runner = OperationRunner()
    got: list[BaseException] = []

    def reconcile_the_bank() -> None:
        raise RuntimeError("банк ответил 502")

    def typed_wrong() -> None:
        raise ValidationError("Сумма", "не число")

    with qtbot.waitSignal(runner.failed, timeout=10000):
        runner.run_net(reconcile_the_bank)  # no callback: it used to reach only the status bar
    with qtbot.waitCallback(timeout=10000) as cb:
        runner.run_db(typed_wrong, on_failure=cb)
    got.append(cb.args[0])
    runner.wait_idle()
    _flush()
    text = path.read_text("utf-8")
    assert "Traceback (most recent call last)" in text and "RuntimeError: банк ответил 502" in text
    assert "reconcile_the_bank" in text
    # A refusal of what the user typed is one line, not a traceback.
    assert "Сумма: не число" in text and "ValidationError" not in text
    runner.deleteLater()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the default hook runs too
def test_an_exception_in_a_plain_thread_is_logged(log_dir: Path) -> None:
    path = logging_setup.install()
    assert path is not None

    def watcher() -> None:
        raise ConnectionError("наблюдатель платежей упал")

    t = threading.Thread(target=watcher, name="payment-watcher")
    t.start()
    t.join()
    _flush()
    text = path.read_text("utf-8")
    assert "uncaught exception in thread payment-watcher" in text and "ConnectionError" in text


def test_the_cli_writes_the_log_where_the_env_says(tmp_path: Path) -> None:
    env = {**os.environ, "CASHIER_LOG_DIR": str(tmp_path / "logs"), "CASHIER_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "cashier_app", "init-db"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "logs" / "cashier-app.log").read_text("utf-8")
    assert "Running upgrade" in text and "setup plugin" not in text


def test_the_readme_says_where_the_log_is() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for needle in ("cashier-app.log", "CASHIER_LOG_DIR", "~/.local/state/cashier-app/log"):
        assert needle in readme, needle
