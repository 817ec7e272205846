"""Eight desks' processes at once on one PostgreSQL office and one register emulator (helper D's races).

The harness of ``tests/race_helpers.py`` with this file's jobs: a spawned process imports this module,
so the jobs must live here (``race_helpers.JOBS`` is not this helper's to extend).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cashier_app.services.context import DeskContext
from cashier_app.storage.db import Database
from tests.race_helpers import desk_ctx, desk_processes


def _job_open(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import shifts

    return shifts.open_shift(ctx, 0).number


def _job_close(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import shifts

    return shifts.close_shift(ctx, arg["counted"]).document.number


def _job_sync(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import fiscal_shifts

    result = fiscal_shifts.sync(ctx)
    return list(result.actions), list(result.problems)


JOBS: dict[str, Callable[[DeskContext, dict[str, Any]], Any]] = {
    "open": _job_open, "close": _job_close, "sync": _job_sync,
}


def _worker(url: str, job: dict[str, Any], barrier: Any, results: Any) -> None:
    import os

    from cashier_app.domain.errors import UserError

    os.environ["CASHIER_FISCAL_TIMEOUTS"] = "3,10"
    db = Database(url)
    try:
        ctx = desk_ctx(db, job["login"], job["desk"])
        from cashier_app.services import fiscal_shifts, shifts  # noqa: F401  (loaded before the start)
        barrier.wait()
        try:
            results.put((job["kind"], "ok", JOBS[job["kind"]](ctx, job)))
        except UserError as exc:
            results.put((job["kind"], "refused", str(exc)))
    except BaseException as exc:
        results.put((job["kind"], "error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def race(url: str, jobs: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    ctx = desk_processes()  # spawn-like, started from a preloaded fork server
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    out = [results.get(timeout=600) for _ in procs]  # a bound against a hang, not a timing check
    for p in procs:
        p.join()
    errors = [r for r in out if r[1] == "error"]
    assert not errors, errors
    return out
