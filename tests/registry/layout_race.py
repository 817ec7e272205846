"""Eight administrators saving a payee's first register layout at once (the jobs of test_layout_race_pg.py).

A spawned desk process imports this module, so the worker lives here.  (No tests here.)
"""

from __future__ import annotations

from typing import Any

from cashier_app.storage.db import Database
from tests.race_helpers import desk_ctx, desk_processes


def _worker(url: str, job: dict[str, Any], barrier: Any, results: Any) -> None:
    from cashier_app.domain.errors import UserError

    db = Database(url)
    try:
        ctx = desk_ctx(db, "admin", job["desk"])
        from cashier_app.services import registry_layouts

        barrier.wait()
        try:
            registry_layouts.set_layout(ctx, job["payee"], job["layout"])
            results.put(("set", "ok", job["desk"]))
        except UserError as exc:
            results.put(("set", "refused", str(exc)))
    except BaseException as exc:  # an IntegrityError from a second INSERT lands here and fails the test
        results.put(("set", "error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def race(url: str, jobs: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    ctx = desk_processes()
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]  # a bound against a hang, not a timing check
    for p in procs:
        p.join()
    errors = [r for r in out if r[1] == "error"]
    assert not errors, errors
    return out
