"""The register and the reconciliation on PostgreSQL (the queries group, join and compare timestamps there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cashier_app.services import corrections, registry_export
from cashier_app.services import registry_reconcile as rr
from cashier_app.services.billing import delivery
from cashier_app.storage.db import Database
from tests.billing.helpers import ctx_for, open_desk, pay, start_billing, wire
from tests.registry import onec_parser


@pytest.fixture
def pg_office(pg_database_factory) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    from cashier_app.services.bootstrap import open_database

    db = open_database(pg_database_factory(demo={"accounts": 40}))
    yield db
    db.dispose()


def test_register_and_reconcile_on_pg(pg_office: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_BILLING_TIMEOUTS", "1,1")
    srv = start_billing("abills")
    try:
        code, numbers = wire(pg_office, srv, "abills", 4)
        ctx = open_desk(pg_office)
        paid = [pay(ctx, numbers[i], 20_000 + i) for i in range(3)]
        mgr = ctx_for(pg_office, "manager")
        corrections.cancel_payment(mgr, paid[1].payment_number, "ошибка")
        delivery.deliver_due(pg_office, timeout=1.0)
        billing = tmp_path / "billing.csv"
        billing.write_text(srv.registry(), encoding="utf-8")
        res = rr.reconcile(mgr, code, billing)
        assert res.agrees and res.matched == 2 and res.app_minor == 40_002
        out = tmp_path / "day.txt"
        exp = registry_export.export(mgr, code, mgr.today(), str(out), fmt="1c")
        ours = {p.payment_number for p in paid}
        parsed = onec_parser.parse(out.read_bytes())
        mine = [d for d in parsed.documents if f"P-{int(d['Номер']):09d}" in ours]
        assert sorted(onec_parser.kopecks(d["Сумма"]) for d in mine) == [20_000, 20_001, 20_002]
        assert len(parsed.documents) == exp.count
        (acc,) = parsed.accounts
        assert onec_parser.kopecks(acc["ВсегоСписано"]) == exp.reversals_minor >= 20_001
    finally:
        srv.stop()
