"""Eight processes opening, closing or syncing one shift at once (PostgreSQL): one register document each.

The guard is the task uuid derived from the app's shift (``<shift>-open``, ``<shift>-close``,
``<shift>-in-<movement>``) looked up before it is sent: parallel sends of one uuid make one document
(the others get 409 and read it back).  With a random uuid per attempt the close race lets a
process whose closeShift the register refused («смена закрыта») win the app's close and print a
Z report without the register's data, and the cash-in race makes several cash-in documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cashier_app.services import shifts
from cashier_app.storage import models as m
from tests.fiscal.fd_helpers import ctx, kinds, point_payees_at, shift_row
from tests.fiscal.fd_race import race
from tests.race_helpers import PROCESSES, connect, make_office

DESK = "race-desk"


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Any]:
    from cashier_app.emulators.register.server import RegisterServer

    server = RegisterServer(host="127.0.0.1", port=0, state_path=tmp_path / "register.sqlite")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def office(pg_database_factory, srv):  # type: ignore[no-untyped-def]
    url = make_office(pg_database_factory)
    db = connect(url)
    point_payees_at(db, srv.url)
    yield url, db
    db.dispose()


def jobs(kind: str, **arg: Any) -> list[dict[str, Any]]:
    return [{"kind": kind, "login": "cashier", "desk": DESK, **arg} for _ in range(PROCESSES)]


def test_parallel_closes_make_one_close_and_the_z_carries_it(office, srv) -> None:  # type: ignore[no-untyped-def]
    url, db = office
    opened = shifts.open_shift(ctx(db, desk=DESK), 0)
    assert kinds(srv.documents())["openShift"] == 1
    # A delay on closeShift keeps the first one in flight while the others arrive.
    srv.fault("closeShift", "delay", count=1, delay_secs=0.5)
    out = race(url, jobs("close", counted=0))
    closed = [v for _k, st, v in out if st == "ok"]
    assert len(closed) == 1, out
    docs = [d for d in srv.documents() if d["type"] == "closeShift"]
    assert len(docs) == 1
    # The one Z report carries the register's closeShift, not a refusal of a second one.
    with db.read() as uow:
        z = uow.session.execute(select(m.Document).where(m.Document.number == closed[0])).scalar_one()
        assert z.params["register"].get("error") is None, z.params["register"]
        assert z.params["register"]["fd_number"] == docs[0]["fd_number"]
    assert shift_row(db, opened.number).register_z["fd_number"] == docs[0]["fd_number"]


def test_parallel_syncs_open_the_register_shift_once_and_cash_in_once(office, srv) -> None:  # type: ignore[no-untyped-def]
    url, db = office
    c = ctx(db, desk=DESK)
    srv.set_state(offline=True)
    opened = shifts.open_shift(c, 0)
    assert opened.register_state == "open_failed"
    shifts.cash_movement(c, "in", 12_300, "размен")  # waits for the register's shift
    srv.set_state(offline=False)
    srv.fault("openShift", "delay", count=1, delay_secs=0.5)
    srv.fault("cashIn", "delay", count=1, delay_secs=0.5)
    race(url, jobs("sync"))
    docs = srv.documents()
    assert kinds(docs)["openShift"] == 1
    assert shift_row(db, opened.number).register_shift_number == srv.state()["shift"]["number"]
    assert [d["total_minor"] for d in docs if d["type"] == "cashIn"] == [12_300]
