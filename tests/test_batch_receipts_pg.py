"""Eight desks reprint one receipt of a debtors batch at once, on PostgreSQL (issue 11 §5).

A receipt of a batch gets its own hash on its first reprint.  Each desk here
runs a "different program version" (its renderer adds a byte of its own), the
case the hash exists for.  Without the conditional ``UPDATE … WHERE pdf_sha256
IS NULL`` and its rowcount check every desk writes its own hash, the last one
wins, and one receipt number has been handed out as eight different PDFs.
With it exactly one desk pins the hash and the seven others are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import TODAY
from tests.race_helpers import PROCESSES, desk_ctx, desk_processes, make_office


def _reprint(url: str, n: int, number: str, barrier: Any, results: Any) -> None:
    from cashier_app.domain.errors import UserError
    from cashier_app.services import journal

    db = Database(url)
    try:
        ctx = desk_ctx(db, "cashier", f"desk-{n}")  # connected and warm before the start
        real = journal.renderer

        def skewed(kind: str) -> Any:
            render = real(kind)
            return lambda params: render(params) + b"%" + str(n).encode() + b"\n"  # this desk's "version"

        journal.renderer = skewed  # type: ignore[assignment]
        barrier.wait()
        try:
            results.put(("ok", n, journal.reprint(db, ctx, number).sha256))
        except UserError as exc:
            results.put(("refused", n, str(exc)))
    except BaseException as exc:  # reported to the test, which fails on it
        results.put(("error", n, f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


@pytest.mark.pg
def test_eight_desks_reprinting_one_receipt_pin_one_hash(pg_database_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services import documents

    url = make_office(pg_database_factory)
    db = Database(url)
    try:
        with db.uow() as uow:
            ids = uow.session.execute(select(m.Account.id).order_by(m.Account.id).limit(3)).scalars().all()
            uow.session.execute(update(m.Account).where(m.Account.id.in_(ids)).values(balance_minor=-150_000))
            uow.commit()
        res = documents.debtors_batch(desk_ctx(db, "cashier", "desk-0"), tmp_path / "b.pdf", limit=3, today=TODAY)
        assert res.number and res.count == 3
        number = f"{res.number}/00002"
        ctx = desk_processes()  # spawn-like, started from a preloaded fork server
        barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
        procs = [ctx.Process(target=_reprint, args=(url, n, number, barrier, results)) for n in range(PROCESSES)]
        for p in procs:
            p.start()
        out = [results.get(timeout=600) for _ in procs]  # a bound against a hang, not a timing check
        for p in procs:
            p.join()
        assert not [o for o in out if o[0] == "error"], out
        done = [o for o in out if o[0] == "ok"]
        refused = [o for o in out if o[0] == "refused"]
        assert len(done) == 1, out
        assert len(refused) == PROCESSES - 1 and all("байт в байт" in o[2] for o in refused)
        with db.read() as uow:
            pinned = uow.session.execute(select(m.DocumentBatchItem.pdf_sha256)
                                         .where(m.DocumentBatchItem.number == number)).scalar_one()
        assert pinned == done[0][2]
    finally:
        db.dispose()
