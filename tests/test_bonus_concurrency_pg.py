"""Eight desks spending from one agency bonus account at once can never overdraw it (PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp
import random
import time

from sqlalchemy import func, select

from cashier_app.services import bonuses
from cashier_app.storage import models as m
from tests.conftest import TODAY

PROCESSES = 8
PER_PROCESS = 200
START_MINOR = 100_000  # 1 000.00 USD; the requests add up to about 1 600 USD, so many must be refused


def _worker(args: tuple[str, int, int, float]) -> tuple[int, int, int]:
    """Own engine per process; one unit of work per write-off, as two desks would do it."""
    from cashier_app.storage.db import Database

    url, account_id, seed, start_at = args
    db = Database(url)
    rng = random.Random(seed)
    accepted_sum = accepted = refused = 0
    # Start together so the write-offs really overlap.
    time.sleep(max(0.0, start_at - time.time()))
    for _ in range(PER_PROCESS):
        amount = rng.randint(1, 200)
        with db.uow() as uow:
            ok = bonuses.write_off(uow.session, account_id=account_id, bonus_type="agent", currency="USD",
                                   amount=amount, booking_id=None, user_id=None, today=TODAY)
            if ok:
                uow.commit()
        if ok:
            accepted += 1
            accepted_sum += amount
        else:
            refused += 1
    db.dispose()
    return accepted_sum, accepted, refused


def test_concurrent_write_offs_never_overdraw(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services.bootstrap import open_database

    url = pg_database_factory()
    db = open_database(url)
    with db.uow() as uow:
        s = uow.session
        agency = m.Agency(name="Агентство для гонки", is_network=False)
        s.add(agency)
        s.flush()
        acc = bonuses.agency_account(s, agency.id)
        s.add(m.BonusBalance(account_id=acc.id, bonus_type="agent", currency="USD", active_minor=START_MINOR))
        uow.commit()
        account_id = acc.id
    db.dispose()

    start_at = time.time() + 3.0
    ctx = mp.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.map(_worker, [(url, account_id, seed, start_at) for seed in range(PROCESSES)])
    accepted_sum = sum(r[0] for r in results)
    accepted = sum(r[1] for r in results)
    refused = sum(r[2] for r in results)
    assert accepted + refused == PROCESSES * PER_PROCESS
    assert refused > 0 and accepted > 0  # the balance really ran out under contention

    db = open_database(url)
    with db.read() as uow:
        s = uow.session
        final = s.execute(select(m.BonusBalance.active_minor).where(m.BonusBalance.account_id == account_id)).scalar_one()
        spent_rows, spent_sum = s.execute(select(func.count(), func.coalesce(func.sum(m.BonusTransaction.amount_minor), 0))
                                          .where(m.BonusTransaction.account_id == account_id,
                                                 m.BonusTransaction.kind == "spend")).one()
    db.dispose()
    assert final >= 0
    assert final == START_MINOR - accepted_sum
    assert (spent_rows, spent_sum) == (accepted, accepted_sum)
    print(f"\nconcurrency: accepted={accepted} refused={refused} spent={accepted_sum} final={final}")
