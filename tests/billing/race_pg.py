"""Jobs for the billing PG races (a spawned process imports this module; ``race_helpers.JOBS`` is not ours)."""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

from cashier_app.storage.db import Database

# Not ``tests.race_helpers.connect``: importing it in each spawned child pulls in conftest (pytest,
# Hypothesis) — ~1 s of CPU per process, eight of them on two cores.


def _worker(url: str, job: dict[str, Any], barrier: Any, results: Any) -> None:
    import os

    os.environ["CASHIER_BILLING_TIMEOUTS"] = "3,5"
    db = Database(url)
    try:
        from cashier_app.services.billing import delivery, outbox

        barrier.wait()
        if job["kind"] == "prefix":
            import time

            with db.uow() as uow:
                value = outbox.txn_prefix(uow.session)
                # Held open: the first INSERT stays uncommitted while the others read «none» and insert
                # too — they wait on the unique key and must then take the winner's value.
                time.sleep(2.0)
                uow.commit()
            results.put(("ok", value))
        elif job["kind"] == "reconcile":
            results.put(("ok", delivery.reconcile(db, timeout=3.0)["delivered"]))
        else:
            results.put(("ok", delivery.deliver_due(db, limit=None, timeout=3.0)["delivered"]))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def race(url: str, jobs: list[dict[str, Any]]) -> list[Any]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    assert all(status == "ok" for status, _ in out), out
    return [v for _, v in out]
