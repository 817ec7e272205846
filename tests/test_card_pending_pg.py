"""Eight desks press F7 for one account at once on PostgreSQL: one order, one link (issue 11 §1).

Each desk is a 'spawn' process with its own engine, released together by a barrier,
calling what F7 and ``pay-card`` call (``card_pending.start_or_reuse``).  The guard is
the row lock on the account (``card_pending.claim_target``) taken in the transaction
that writes the order: without it every desk sees «no unfinished order» and writes
its own — several links for one account.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.race_helpers import desk_processes
from tests.test_card_helpers import Bank, account_of, pg_bank_office

PROCESSES = 8


def _desk(url: str, n: int, target: dict[str, str], barrier: Any, results: Any) -> None:
    try:
        from cashier_app.services import card_pending
        from tests.race_helpers import desk_ctx

        db = Database(url)
        ctx = desk_ctx(db, "manager", f"desk-{n}")
        barrier.wait()
        started = card_pending.start_or_reuse(ctx, amount_minor=10_000 + n, **target)
        results.put((n, "ok", (started.order.order_number, started.reused, started.order.payment_url)))
        db.dispose()
    except BaseException as exc:  # reported to the test, which fails on it
        results.put((n, "error", f"{type(exc).__name__}: {exc}"))


@pytest.fixture
def pg_office(pg_database_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Bank]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASHIER_GW_TIMEOUTS", "2,5")  # inherited by the spawned desks
    yield from pg_bank_office(pg_database_factory, tmp_path, accounts=50)


def _race(url: str, target: dict[str, str]) -> list[tuple[int, str, Any]]:
    ctx = desk_processes()  # spawn-like, started from a preloaded fork server
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_desk, args=(url, n, target, barrier, results)) for n in range(PROCESSES)]
    for p in procs:
        p.start()
    got = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return got


def _orders(db: Database, column: Any, value: int) -> list[str]:
    with db.read() as uow:
        return list(uow.session.execute(
            select(m.GatewayOrder.order_number).join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
            .where(column == value)).scalars())


def test_eight_desks_pressing_f7_for_one_account_make_one_order(pg_office: tuple[str, Bank]) -> None:
    url, bank = pg_office
    db = Database(url)
    try:
        account = account_of(db, "interra")
        with db.read() as uow:
            aid = uow.session.execute(select(m.Account.id).where(m.Account.number == account)).scalar_one()
            booking, bid = uow.session.execute(select(m.Booking.number, m.Booking.id).where(
                m.Booking.status == "confirmed", m.Booking.paid_minor < m.Booking.price_minor,
                m.Booking.currency != "RUB").order_by(m.Booking.id).limit(1)).one()
        for target, column, value in (({"account": account}, m.Payment.account_id, aid),
                                      ({"booking": booking}, m.Payment.booking_id, bid)):
            got = _race(url, target)
            errors = [r for r in got if r[1] != "ok"]
            assert not errors, errors
            numbers = {r[2][0] for r in got}
            made = _orders(db, column, value)
            assert len(made) == 1, (target, made)  # one order row for the target, whoever pressed F7
            assert numbers == set(made), (numbers, made)  # every desk was shown that one order
            assert sum(1 for r in got if not r[2][1]) == 1  # one desk created it, seven reopened it
            at_bank = [o for o in bank.orders(bank="sberbank") if o["order_number"] in made]
            assert len(at_bank) == 1  # and the bank has one order, one link
    finally:
        db.dispose()
