"""Eight processes at once on PostgreSQL: the billing outbox's lease and the txn_id prefix.

Checked by hand to fail without the guards:
* with the lease condition (``free``) taken out of ``delivery._claim`` several processes send the same
  row: ``attempts`` > 1 and the emulator counts more ``pay`` requests than rows (ABillS answers the
  repeats with the same prv_txn, so the payments list alone would not show it — the counters do);
* with the savepoint + IntegrityError re-read taken out of ``outbox.txn_prefix`` (a plain INSERT), seven
  of eight processes fail with a unique violation on ``settings.key``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from cashier_app.services import ledger
from cashier_app.storage import models as m
from tests.billing.helpers import ctx_for, start_billing, wire
from tests.billing.race_pg import race
from tests.race_helpers import PROCESSES, connect, make_office

ROWS = 6


def _queue(url: str, srv: Any) -> list[str]:
    """Credited cash payments whose deliveries are queued (pending), as a crash right after the commit leaves them."""
    db = connect(url)
    try:
        _, numbers = wire(db, srv, "abills", n=ROWS)
        ctx = ctx_for(db, "cashier", "desk-1")
        out = []
        for i, number in enumerate(numbers):
            with db.uow() as uow:
                s = uow.session
                target, payee = ledger.find_target(s, account=number)
                p = ledger.open_payment(s, ctx, target, method="cash", amount_minor=10_000 + i, payee_id=payee)
                assert ledger.credit(s, ctx, p.id)
                out.append(s.execute(select(m.BillingDelivery.txn_id)
                                     .where(m.BillingDelivery.payment_id == p.id)).scalar_one())
                uow.commit()
        return out
    finally:
        db.dispose()


def test_eight_deliverers_one_payment_each(pg_database_factory: Any) -> None:
    url = make_office(pg_database_factory)
    srv = start_billing("abills")
    try:
        txns = _queue(url, srv)
        jobs = [{"kind": "reconcile" if i % 2 else "deliver"} for i in range(PROCESSES)]
        delivered = race(url, jobs)
        assert sum(delivered) == ROWS  # each row delivered by exactly one process
        counts = Counter(str(p["txn_id"]) for p in srv.payments())
        assert counts == Counter(txns)
        assert srv.requests().get("pay") == ROWS  # one conversation per row: the lease
        db = connect(url)
        with db.read() as uow:
            rows = uow.session.execute(select(m.BillingDelivery.state, m.BillingDelivery.attempts)).all()
        db.dispose()
        assert sorted(rows) == [("delivered", 1)] * ROWS
    finally:
        srv.stop()


def test_eight_processes_one_prefix(pg_database_factory: Any) -> None:
    url = make_office(pg_database_factory)
    values = race(url, [{"kind": "prefix"}] * PROCESSES)
    assert len(set(values)) == 1 and len(values[0]) == 6 and values[0].isdigit()
    db = connect(url)
    with db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.Setting)
                                   .where(m.Setting.key == "billing.txn_prefix")).scalar_one() == 1
    db.dispose()
