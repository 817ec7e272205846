"""The demo billing borrows a demo payee's accounts from the office database, read only, adopting late ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cashier_app.emulators.billing import office_seed
from cashier_app.emulators.billing.server import BillingServer
from cashier_app.services.billing.osmp import OsmpClient


def _office(path: Path, code: str) -> list[tuple[str, str, int, str]]:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.number, c.full_name, a.balance_minor, a.block_state FROM accounts a"
            " JOIN contracts c ON c.id = a.contract_id JOIN payees p ON p.id = c.payee_id"
            " WHERE p.code = :c AND a.closed_on IS NULL ORDER BY a.id"), {"c": code}).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_billing_knows_the_office_payees_accounts(demo_db_path: Path) -> None:
    office = _office(demo_db_path, "interra")
    assert office, "the demo office has interra subscribers"
    before = demo_db_path.stat().st_mtime_ns
    with BillingServer("abills", office_db=f"sqlite:///{demo_db_path}", payee="interra") as server:
        numbers = {a["number"] for a in server.accounts()}
        assert {r[0] for r in office} <= numbers
        number, name, balance, _ = next(r for r in office if r[3] == "active")
        c = OsmpClient(server.osmp_url, "abills", timeout=2)
        found = c.check(txn_id="chk", account=number)
        assert (found.result, found.full_name, found.balance_minor) == (0, name, balance)
        assert c.check(txn_id="chk", account="no-such-account").result == 5
        debtor = next(r for r in office if r[3] in ("debt", "voluntary"))
        assert c.check(txn_id="chk", account=debtor[0]).result == 0  # a debtor pays to come back
        other = _office(demo_db_path, "alliance")[0][0]
        assert c.check(txn_id="chk", account=other).result == 5  # another payee's subscriber
    assert demo_db_path.stat().st_mtime_ns == before  # read only


def test_a_late_office_database_is_adopted_and_a_missing_one_never_created(
        tmp_path: Path, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    late = tmp_path / "not-yet.sqlite3"
    with BillingServer("ubilling", office_db=f"sqlite:///{late}", payee="interra") as server:
        number = _office(demo_db_path, "interra")[0][0]
        c = OsmpClient(server.osmp_url, "ubilling", timeout=2)
        assert c.check(txn_id="chk", account=number).result == 5
        assert not late.exists()  # looking did not create the office's file
        shutil.copy(demo_db_path, late)
        assert c.check(txn_id="chk", account=number).result == 5  # throttled: not looked again yet
        monkeypatch.setattr(office_seed, "RELOAD_SECS", 0.0)
        paid = c.pay(txn_id="1", account=number, sum_minor=100, txn_date="20261203120000")
        assert paid.result == 0
        balance = next(a for a in server.accounts() if a["number"] == number)["balance_minor"]
        server.seed.adopt(server.store, force=True)  # type: ignore[union-attr]
        # Adopting again keeps the billing's own balance (it took the payment since).
        assert next(a for a in server.accounts() if a["number"] == number)["balance_minor"] == balance


def test_office_db_needs_a_payee() -> None:
    with pytest.raises(ValueError, match="payee"):
        BillingServer("abills", office_db="sqlite:///x.sqlite3")
