"""Eight processes delivering and reconciling the same receipts at once on PostgreSQL: exactly one document
each in the emulator, and exactly one conversation with the register per receipt (the lease).

Checked once by hand to fail without the guard: with the lease condition taken out of
``fiscal_delivery._claim`` several processes talk to the register about one row (``attempts`` > 1,
and the emulator's ATOL Web 409s show the duplicates it had to refuse).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cashier_app.services import ledger
from cashier_app.storage import models as m
from tests.fiscal.fc_helpers import (
    ctx_for,
    docs_for,
    open_register_shift,
    receipt_docs,
    set_fiscal,
    start_register,
)
from tests.race_helpers import PROCESSES, connect, desk_processes, make_office

RECEIPTS = 6


def _worker(url: str, job: dict[str, Any], barrier: Any, results: Any) -> None:
    db = connect(url)
    try:
        from cashier_app.services import fiscal_delivery

        ctx = ctx_for(db, "cashier", "desk-1")
        barrier.wait()
        if job["kind"] == "reconcile":
            out = fiscal_delivery.reconcile(ctx, wait_secs=3).done
        else:
            ids = list(job["ids"])
            random.Random(job["seed"]).shuffle(ids)
            out = sum(fiscal_delivery.deliver(ctx, rid, wait_secs=3).state == "done" for rid in ids)
        results.put(("ok", out))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def _race(url: str, jobs: list[dict[str, Any]]) -> list[Any]:
    ctx = desk_processes()  # spawn-like, started from a preloaded fork server
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    out = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    assert all(status == "ok" for status, _ in out), out
    return [v for _, v in out]


def _queue_payments(url: str, n: int) -> list[int]:
    """Credited cash payments whose receipts are queued (pending), as a crash right after the commit leaves them."""
    db = connect(url)
    ids = []
    ctx = ctx_for(db, "cashier", "desk-1")
    for i in range(n):
        with db.uow() as uow:
            s = uow.session
            number = s.execute(select(m.Account.number).order_by(m.Account.id).offset(i).limit(1)).scalar_one()
            target, payee = ledger.find_target(s, account=number)
            p = ledger.open_payment(s, ctx, target, method="cash", amount_minor=10_000 + i, payee_id=payee)
            assert ledger.credit(s, ctx, p.id)
            ids.append(s.execute(select(m.FiscalReceipt.id).where(m.FiscalReceipt.payment_id == p.id)).scalar_one())
            uow.commit()
    db.dispose()
    return ids


def test_eight_processes_one_document_per_receipt(pg_database_factory: Any, tmp_path: Path) -> None:
    url = make_office(pg_database_factory)
    srv = start_register(tmp_path / "register.sqlite")
    try:
        for mode in ("atol_web", "atol_online"):
            db = connect(url)
            set_fiscal(db, srv, mode)
            db.dispose()
            open_register_shift(srv)
            ids = _queue_payments(url, RECEIPTS)
            jobs = [{"kind": "reconcile" if i % 2 else "deliver", "ids": ids, "seed": i} for i in range(PROCESSES)]
            _race(url, jobs)
            db = connect(url)
            with db.read() as uow:
                got = list(uow.session.execute(select(m.FiscalReceipt).where(m.FiscalReceipt.id.in_(ids))).scalars())
            db.dispose()
            assert len(got) == RECEIPTS
            for r in got:
                assert r.state == "done", (mode, r.key, r.state, r.last_error)
                assert len(docs_for(srv, r.key)) == 1, (mode, r.key)
                assert r.attempts == 1, (mode, r.key, r.attempts)  # one conversation with the register
        assert len(receipt_docs(srv)) == 2 * RECEIPTS
    finally:
        srv.stop()
