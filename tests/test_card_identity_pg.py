"""Eight desks opening card orders at once on one PostgreSQL database (issue 10 §1, §2).

Each desk is its own 'spawn' process with its own engine, released together by a
barrier.  The database has lost its installation id (an office upgraded by hand,
a settings table restored from elsewhere), so every desk races to create it: the
one row must win everywhere, no desk may fail, and every order must carry it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from cashier_app.services import card_identity
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.race_helpers import desk_processes
from tests.test_card_helpers import Bank, account_of, pg_bank_office

PROCESSES = 8


def _desk(url: str, n: int, account: str, barrier: Any, results: Any) -> None:
    try:
        from cashier_app.services import card_payments
        from tests.race_helpers import desk_ctx

        db = Database(url)
        ctx = desk_ctx(db, "cashier", f"desk-{n}")
        barrier.wait()
        order = card_payments.start(ctx, account=account, amount_minor=10_000 + n)
        results.put((n, "ok", (order.order_number, order.state, order.payment_url)))
        db.dispose()
    except BaseException as exc:  # reported to the test, which fails on it
        results.put((n, "error", f"{type(exc).__name__}: {exc}"))


def _register(url: str, n: int, number: str, barrier: Any, results: Any) -> None:
    try:
        from cashier_app.domain.errors import NotFound
        from cashier_app.services import card_payments
        from tests.race_helpers import desk_ctx

        db = Database(url)
        ctx = desk_ctx(db, "cashier", f"desk-{n}")
        barrier.wait()
        try:
            order = card_payments.register(ctx, number)
            results.put((n, "ok", (order.order_number, order.state)))
        except NotFound:
            results.put((n, "refused", None))  # another desk had already given the order its new number
        db.dispose()
    except BaseException as exc:
        results.put((n, "error", f"{type(exc).__name__}: {exc}"))


@pytest.fixture
def pg_office(pg_database_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Bank]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASHIER_GW_TIMEOUTS", "2,5")  # inherited by the spawned desks
    yield from pg_bank_office(pg_database_factory, tmp_path, accounts=50)


def _race_round(url: str, account: str, rnd: int) -> list[tuple[int, str, Any]]:
    ctx = desk_processes()  # spawn-like, started from a preloaded fork server
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_desk, args=(url, rnd * PROCESSES + n, account, barrier, results))
             for n in range(PROCESSES)]
    for p in procs:
        p.start()
    got = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return got


@pytest.mark.parametrize("rounds", [2])
def test_eight_desks_open_orders_at_once_with_one_installation_id(pg_office: tuple[str, Bank], rounds: int) -> None:
    url, bank = pg_office
    db = Database(url)
    try:
        account = account_of(db, "interra")
        numbers: list[str] = []
        for rnd in range(rounds):  # a few rounds: each desk's check-then-create must meet the others'
            with db.uow() as uow:
                uow.session.execute(delete(m.Setting).where(m.Setting.key == card_identity.INSTALLATION_KEY))
                uow.commit()
            got = _race_round(url, account, rnd)
            errors = [r for r in got if r[1] != "ok"]
            assert not errors, errors
            assert all(state == "registered" and link for _num, state, link in (r[2] for r in got)), got
            round_numbers = [r[2][0] for r in got]
            with db.read() as uow:
                s = uow.session
                installs = s.execute(select(m.Setting.value).where(
                    m.Setting.key == card_identity.INSTALLATION_KEY)).scalars().all()
            assert len(installs) == 1
            assert all(n.startswith(f"CA-{installs[0]}-") for n in round_numbers), (installs, round_numbers)
            numbers += round_numbers
        assert len(set(numbers)) == rounds * PROCESSES
        with db.read() as uow:
            rows = uow.session.execute(select(m.GatewayOrder.order_number, m.GatewayOrder.order_uid).where(
                m.GatewayOrder.order_number.in_(numbers))).all()
        assert len(rows) == rounds * PROCESSES and all(card_identity.carries(n, uid) for n, uid in rows)
        # The bank got each order once, each with its own identity.
        at_bank = {o["order_number"]: o for o in bank.orders(bank="sberbank")}
        for number, uid in rows:
            assert at_bank[number]["params"] == {"cashier_order_uid": uid}
            assert uuid.UUID(uid).version == 4
        assert len({at_bank[n]["amount"] for n in numbers}) == rounds * PROCESSES
    finally:
        db.dispose()


def test_eight_desks_meeting_a_stranger_under_our_number_renumber_it_once(pg_office: tuple[str, Bank]) -> None:
    """The renumbering is a conditional UPDATE (still ``new``, still the old number): one desk wins,
    the order is registered at the bank once under its new number, and the stranger is never touched."""
    from cashier_app.services import card_payments
    from cashier_app.services.gateways.sberbank import SberbankClient
    from tests.race_helpers import desk_ctx

    url, bank = pg_office
    db = Database(url)
    try:
        account = account_of(db, "interra")
        opened = card_payments.open_order(desk_ctx(db, "cashier", "desk-0"), account=account, amount_minor=77_700)
        SberbankClient(bank.url, "demo-api", "demo").create_order(opened.order_number, 77_700, "чужой",
                                                                  order_uid=str(uuid.uuid4()))
        bank.pay(opened.order_number, "sberbank")
        ctx = desk_processes()  # spawn-like, started from a preloaded fork server
        barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
        procs = [ctx.Process(target=_register, args=(url, n, opened.order_number, barrier, results))
                 for n in range(PROCESSES)]
        for p in procs:
            p.start()
        got = [results.get(timeout=180) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert not [r for r in got if r[1] == "error"], got
        with db.read() as uow:
            go = uow.session.execute(select(m.GatewayOrder).where(
                m.GatewayOrder.payment_id == opened.payment_id)).scalar_one()
            renumbers = uow.session.execute(select(m.AuditEvent).where(
                m.AuditEvent.action == "card.renumber", m.AuditEvent.entity_id == opened.payment_number)).all()
        # At the bank: the stranger's paid order, untouched, and ours registered once.
        for_target = [o for o in bank.orders(bank="sberbank") if o["amount"] == 77_700]
        assert sorted((o["order_number"], o["status"]) for o in for_target) == sorted(
            [(opened.order_number, "PAID"), (go.order_number, "NEW")])
        assert len(renumbers) == 1 and go.order_number != opened.order_number and go.state == "registered"
        assert card_payments.get(desk_ctx(db, "cashier", "desk-0"), go.order_number).credited is False
    finally:
        db.dispose()
