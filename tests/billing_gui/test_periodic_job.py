"""``PeriodicJob`` (ui/operations): one run at a time on the network pool; a tick during a run is skipped,
an explicit request during a run is kept and done right after it."""

from __future__ import annotations

import threading
from typing import Any

from cashier_app.ui.operations import OperationRunner, PeriodicJob


def test_request_during_a_run_runs_once_more_a_tick_does_not(qtbot: Any) -> None:
    gate = threading.Event()
    calls: list[bool] = []

    def work() -> int:
        calls.append(threading.current_thread() is threading.main_thread())
        gate.wait(5)
        return len(calls)

    runner = OperationRunner()
    job = PeriodicJob(runner, work, 60_000)
    results: list[int] = []
    errors: list[BaseException] = []
    job.finished.connect(results.append)
    job.failed.connect(errors.append)
    try:
        assert job.run_now() is True and job.running
        assert job.run_now() is False  # a tick while it runs: skipped
        job.request()  # a request while it runs: kept
        job.request()  # …once
        gate.set()
        qtbot.waitUntil(lambda: job.runs == 2 and not job.running, timeout=5_000)
        qtbot.wait(100)
        assert job.runs == 2 and results == [1, 2] and calls == [False, False] and errors == []
        gate.clear()
        job.run_now()
        job.request()
        job.stop()  # signing out: the kept request is dropped with the timer
        gate.set()
        qtbot.waitUntil(lambda: not job.running, timeout=5_000)
        qtbot.wait(100)
        assert job.runs == 3
    finally:
        gate.set()
        runner.wait_idle(5_000)


def test_a_failing_run_is_reported_and_the_next_still_starts(qtbot: Any) -> None:
    def boom() -> None:
        raise RuntimeError("billing down")

    runner = OperationRunner()
    job = PeriodicJob(runner, boom, 60_000)
    errors: list[BaseException] = []
    job.failed.connect(errors.append)
    job.run_now()
    qtbot.waitUntil(lambda: job.runs == 1, timeout=5_000)
    assert not job.running and isinstance(errors[0], RuntimeError)
    assert job.run_now() is True
    qtbot.waitUntil(lambda: job.runs == 2, timeout=5_000)
    runner.wait_idle(5_000)
