"""The UI plumbing of issue 12 §1: named operations, the change broadcast, capabilities, dialogs' lifetime."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from cashier_app.services.context import DeskContext
from cashier_app.ui.capabilities import Capability, WindowHost
from cashier_app.ui.changes import Change, ChangeBus, ChangeSet
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import OperationRunner, ReadOp, SyncRunner, WriteOp
from tests.test_ledger import ctx_for

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[1]


def _window(qtbot, db, runner, role: str = "cashier") -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(ctx_for(db, role), runner)
    if isinstance(runner, OperationRunner):
        runner.setParent(w)
    qtbot.addWidget(w)
    return w


def _drain(runner) -> None:  # type: ignore[no-untyped-def]
    runner.wait_idle(10_000)
    QApplication.processEvents()


# --- the serial DB worker and the snapshot ---------------------------------------------------

def test_two_queued_writes_never_overlap(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = OperationRunner()
    spans: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    def write(name: str) -> str:
        start = time.perf_counter()
        time.sleep(0.05)
        with lock:
            spans.append((name, start, time.perf_counter()))
        return name

    done: list[str] = []
    for name in ("first", "second", "third"):
        runner.run_db(lambda n=name: write(n), done.append)
    runner.wait_idle(10_000)
    qtbot.waitUntil(lambda: len(done) == 3, timeout=5_000)
    assert done == ["first", "second", "third"]  # in the order queued
    ordered = sorted(spans, key=lambda s: s[1])
    for (_a, _s1, end1), (_b, start2, _e2) in itertools.pairwise(ordered):
        assert start2 >= end1, "two database jobs ran at once"


def test_a_user_switch_does_not_change_whom_a_queued_write_runs_as(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services import shifts

    runner = OperationRunner()
    window = _window(qtbot, fresh_db, runner, "cashier")
    gate = threading.Event()
    ran_as: list[str] = []

    def slow_write(ctx: DeskContext):  # type: ignore[no-untyped-def]
        gate.wait(10)
        ran_as.append(ctx.user.login)
        return shifts.open_shift(ctx, 1_000)  # a real write, audited as whoever ctx says

    opened: list = []
    WriteOp(slow_write, ChangeSet.of(Change.SHIFT)).success(opened.append).run_in(window)
    window.set_user(ctx_for(fresh_db, "admin").user)  # switched while the write waits in the queue
    assert window.ctx.user.login == "admin"
    gate.set()
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    assert ran_as == ["cashier"] and opened[0].user_login == "cashier"
    _drain(runner)


def test_write_op_announces_its_changes_and_read_op_does_not(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, fresh_db, SyncRunner())
    heard: list[ChangeSet] = []
    window.changes.changed.connect(heard.append)
    got: list = []
    ReadOp(lambda c: c.user.login).success(got.append).run_in(window)
    assert got == ["cashier"] and heard == []
    WriteOp(lambda c: 5, changes=lambda n: ChangeSet.of(accounts=[str(n)])).success(got.append).run_in(window)
    assert heard[-1].accounts == {"5"} and heard[-1].has(Change.ACCOUNT) and got[-1] == 5
    WriteOp(lambda c: ChangeSet.of(Change.RATES)).run_in(window)  # the function's own answer
    assert heard[-1].has(Change.RATES)
    errors: list[BaseException] = []
    WriteOp(lambda c: 1 / 0, ChangeSet.of(Change.SHIFT)).failure(errors.append).run_in(window)
    assert isinstance(errors[0], ZeroDivisionError) and len(heard) == 2  # a failed write announces nothing


def test_change_set_says_which_records_it_touches() -> None:
    cs = ChangeSet.payment(account="0000001")
    assert cs.touches("account", "0000001") and not cs.touches("account", "0000002")
    assert not cs.touches("booking", "0000001") and cs.has(Change.SHIFT) and cs.has(Change.FISCAL)
    every_booking = ChangeSet.of(Change.BOOKING)
    assert every_booking.touches("booking", "X") and not ChangeSet() and bool(every_booking)
    both = cs | ChangeSet.payment(booking="B1")
    assert both.accounts == {"0000001"} and both.bookings == {"B1"}
    bus = ChangeBus()
    heard: list[ChangeSet] = []
    bus.changed.connect(heard.append)
    bus.announce(ChangeSet())  # nothing changed: nobody is bothered
    bus.announce(cs)
    assert heard == [cs]


# --- capabilities ----------------------------------------------------------------------------

def test_capabilities_plug_in_through_the_host_and_set_no_window_attributes(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.app import _extensions

    window = _window(qtbot, fresh_db, SyncRunner())
    assert isinstance(window, WindowHost)
    before = set(vars(window))
    classes = _extensions()
    assert classes and all(issubclass(c, Capability) for c in classes)
    for cls in classes:
        window.install(cls())
    assert set(vars(window)) - before == set()  # their state is their own
    for cls in classes:
        assert isinstance(window.capability(cls), cls)
    for name in ("shift_open", "journal_payments", "switch_user", "pending_orders", "rates_action",
                 "payees_action", "fiscal_reconcile", "import_accounts", "documents_journal_action", "quit"):
        assert window.action(name) is not None, name
    # The source says so too: no capability module assigns to the window.
    for path in (ROOT / "cashier_app" / "ui").glob("*_actions.py"):
        assert not re.findall(r"window\.[a-z_]+ =", path.read_text("utf-8")), path.name
    _drain(window.runner)


# --- dialogs' lifetime -----------------------------------------------------------------------

def _live(cls) -> list:  # type: ignore[no-untyped-def]
    import shiboken6

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    QApplication.processEvents()
    return [w for w in QApplication.allWidgets() if isinstance(w, cls) and shiboken6.isValid(w)]


def test_a_hundred_closed_slip_previews_leave_nothing_behind(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    import io
    from types import SimpleNamespace

    from pypdf import PdfWriter

    from cashier_app.ui.cash_actions import show_document
    from cashier_app.ui.pdf_preview import PdfPreviewDialog

    buf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(buf)
    doc = SimpleNamespace(pdf=buf.getvalue(), number="0000001")
    window = _window(qtbot, fresh_db, SyncRunner())
    baseline = len(_live(PdfPreviewDialog))
    for _ in range(100):
        dlg = show_document(window, doc, "Квитанция об оплате")
        assert dlg.isVisible()
        dlg.close()
    assert len(_live(PdfPreviewDialog)) - baseline == 0
    assert window.live_dialog(PdfPreviewDialog) is None


# --- start-up imports ------------------------------------------------------------------------

def test_the_main_window_does_not_import_what_only_later_actions_need() -> None:
    code = (
        "import sys\n"
        "from cashier_app.ui.app import _extensions\n"
        "import cashier_app.ui.main_window\n"
        "_extensions()\n"
        "heavy = sorted(m for m in ('reportlab', 'requests', 'keyring', 'openpyxl', 'pypdf') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"
