"""Imports racing on PostgreSQL (8 processes): one import per payee at a time; a cash payment during an
import keeps its credit.

How these were checked to fail without their guards: with ``_lock_payee`` made a no-op, the first
test saw no «импорт уже идёт» (the imports queued on row locks / unique inserts and several ran);
with the ``with_for_update`` of ``_Writer.write`` removed, the second test lost payments — the
import's balance write overwrote credits committed after its read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from cashier_app.services.importing import accounts_import as ai
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.imports.helpers import admin, row, write
from tests.imports.import_race import race
from tests.race_helpers import make_office, open_shifts

ROWS = 1500  # big enough that the eight processes overlap the import (about a second)


def test_second_import_of_a_payee_is_refused_while_one_runs(pg_database_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_office(pg_database_factory)
    p = write(tmp_path / "a.csv", [row(i) for i in range(1, ROWS)])
    out = race(url, [{"kind": "import", "file": str(p), "payee": "nts", "login": "admin", "desk": f"d{i}"}
                     for i in range(8)])
    done = [v for _, st, v in out if st == "ok"]
    refused = [v for _, st, v in out if st == "refused"]
    assert done and refused and len(done) + len(refused) == 8
    assert all("импорт уже идёт" in r for r in refused), refused
    assert done[0]["created"] == ROWS - 1  # the first one did it all; later ones found it unchanged
    db = Database(url)
    with db.read() as uow:
        n = uow.session.execute(select(func.count()).select_from(m.Account).where(
            m.Account.number.like("77%"))).scalar_one()
    db.dispose()
    assert n == ROWS - 1


def test_cash_payment_during_an_import_keeps_its_credit(pg_database_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_office(pg_database_factory)
    db = Database(url)
    first = write(tmp_path / "a.csv", [row(i, balance="100") for i in range(1, ROWS)])
    ai.run(admin(db), first, payee_code="nts", partial=True)
    with db.uow() as uow:  # a connector: each payment leaves a pending delivery the billing lacks
        nts = uow.session.execute(select(m.Payee.id).where(m.Payee.code == "nts")).scalar_one()
        uow.session.add(m.BillingSettings(payee_id=nts, protocol="osmp", url="http://127.0.0.1:9/osmp",
                                          dialect="abills", updated_at=datetime.now(UTC)))
        uow.commit()
    desks = [f"cash-{i}" for i in range(7)]
    open_shifts(url, "cashier", desks)
    # The billing's new export says 200 everywhere; the payments go to accounts spread over the chunks.
    second = write(tmp_path / "b.csv", [row(i, balance="200") for i in range(1, ROWS)])
    targets = [f"77{n:04d}" for n in (5, 300, 700, 1000, 1200, 1499, 10)]
    jobs = [{"kind": "import", "file": str(second), "payee": "nts", "login": "admin", "desk": "imp"}]
    jobs += [{"kind": "cash", "account": a, "amount": 5000, "login": "cashier", "desk": d}
             for a, d in zip(targets, desks, strict=True)]
    out = race(url, jobs)
    assert all(st == "ok" for _, st, _ in out), out
    with db.read() as uow:
        got = dict(uow.session.execute(select(m.Account.number, m.Account.balance_minor)
                                       .where(m.Account.number.in_(targets))).all())
    db.dispose()
    # 200 ₽ from the billing + the 50 ₽ paid here that the billing does not have yet, whatever the order.
    assert got == dict.fromkeys(targets, 20000 + 5000)
