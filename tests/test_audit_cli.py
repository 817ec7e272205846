"""The audit chain through the command line: intact, then tampered; listing with filters."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from cashier_app.storage.db import Database
from tests.test_cli import cli


def test_audit_verify_and_tamper_via_cli(fresh_db: Database, tmp_path: Path) -> None:
    url = str(fresh_db.engine.url)
    env = {"CASHIER_DESK": "desk-7"}
    assert cli("shift", "open", "--float", "100", "--as", "cashier", "--db", url, env=env).returncode == 0
    pay = cli("pay-cash", "--account", "0000001", "--amount", "1 000,50", "--received", "2000", "--as", "cashier",
              "--db", url, "--json", env=env)
    assert pay.returncode == 0, pay.stderr
    assert json.loads(pay.stdout)["change_minor"] == 99950
    ok = cli("audit", "verify", "--db", url)
    assert ok.returncode == 0 and "цела" in ok.stdout
    listed = cli("audit", "list", "--user", "cashier", "--action", "payment", "--json", "--db", url)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["action"] for r in rows] == ["payment.credit"] and rows[0]["desk"] == "desk-7"
    denied = cli("audit", "list", "--as", "cashier", "--db", url)
    assert denied.returncode == 2 and "Недостаточно прав" in denied.stderr
    with fresh_db.engine.begin() as conn:
        victim = conn.execute(text("SELECT id FROM audit_events WHERE action = 'payment.credit'")).scalar_one()
        conn.execute(text("UPDATE audit_events SET after = :a WHERE id = :i"),
                     {"a": json.dumps({"amount_minor": 1}), "i": victim})
    bad = cli("audit", "verify", "--db", url)
    assert bad.returncode == 1
    assert f"запись № {victim}" in bad.stdout and "изменено" in bad.stdout
