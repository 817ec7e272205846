"""Desk processes for the import races on PostgreSQL: an import, or a cash payment, started together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cashier_app.storage.db import Database
from tests.race_helpers import desk_ctx, desk_processes


def _job(ctx: Any, job: dict[str, Any]) -> Any:
    if job["kind"] == "import":
        from cashier_app.services.importing import accounts_import

        rep = accounts_import.run(ctx, Path(job["file"]), payee_code=job["payee"], partial=True)
        return rep.counts()
    from cashier_app.services import cash

    return cash.take_cash(ctx, token=cash.new_token(), amount_minor=job["amount"],
                          account=job["account"]).payment_number


def _worker(url: str, job: dict[str, Any], barrier: Any, results: Any) -> None:
    from cashier_app.domain.errors import UserError
    from cashier_app.services import cash  # noqa: F401 - warm before the start
    from cashier_app.services.importing import accounts_import  # noqa: F401

    db = Database(url)
    try:
        ctx = desk_ctx(db, job["login"], job["desk"])
        barrier.wait()
        try:
            results.put((job["kind"], "ok", _job(ctx, job)))
        except UserError as exc:
            results.put((job["kind"], "refused", str(exc)))
    except BaseException as exc:  # reported to the test, which fails on it
        results.put((job["kind"], "error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def race(url: str, jobs: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    ctx = desk_processes()
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    out = [results.get(timeout=300) for _ in procs]  # a deadlock fails instead of hanging the suite
    for p in procs:
        p.join()
    errors = [r for r in out if r[1] == "error"]
    assert not errors, errors
    return out
