"""The audit chain through the command line: intact, then tampered; listing with filters."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from cashier_app.storage.db import Database
from tests.test_cli import cli

# Headless commands authenticate (CASHIER_PASSWORD); the demo passwords equal the logins.
CASHIER = {"CASHIER_DESK": "desk-7", "CASHIER_PASSWORD": "cashier"}
ADMIN = {"CASHIER_DESK": "desk-7", "CASHIER_PASSWORD": "admin"}


def test_audit_verify_and_tamper_via_cli(fresh_db: Database, tmp_path: Path) -> None:
    url = str(fresh_db.engine.url)
    assert cli("shift", "open", "--float", "100", "--as", "cashier", "--db", url, env=CASHIER).returncode == 0
    pay = cli("pay-cash", "--account", "0000001", "--amount", "1 000,50", "--received", "2000", "--as", "cashier",
              "--db", url, "--json", env=CASHIER)
    assert pay.returncode == 0, pay.stderr
    assert json.loads(pay.stdout)["change_minor"] == 99950
    ok = cli("audit", "verify", "--as", "admin", "--db", url, env=ADMIN)
    assert ok.returncode == 0 and "цела" in ok.stdout, ok.stdout + ok.stderr
    listed = cli("audit", "list", "--user", "cashier", "--action", "payment", "--json", "--as", "admin", "--db", url,
                 env=ADMIN)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["action"] for r in rows] == ["payment.credit"] and rows[0]["desk"] == "desk-7"
    denied = cli("audit", "list", "--as", "cashier", "--db", url, env=CASHIER)
    assert denied.returncode == 2 and "Недостаточно прав" in denied.stderr
    with fresh_db.engine.begin() as conn:
        victim = conn.execute(text("SELECT id FROM audit_events WHERE action = 'payment.credit'")).scalar_one()
        conn.execute(text("UPDATE audit_events SET after = :a WHERE id = :i"),
                     {"a": json.dumps({"amount_minor": 1}), "i": victim})
    bad = cli("audit", "verify", "--as", "admin", "--db", url, env=ADMIN)
    assert bad.returncode == 1
    assert f"запись № {victim}" in bad.stdout and "изменено" in bad.stdout


def test_action_filter_takes_percent_and_underscore_literally(fresh_db: Database, tmp_path: Path) -> None:
    url = str(fresh_db.engine.url)
    assert cli("shift", "open", "--float", "100", "--as", "cashier", "--db", url, env=CASHIER).returncode == 0

    def actions(prefix: str) -> list[str]:
        res = cli("audit", "list", "--action", prefix, "--json", "--as", "admin", "--db", url, env=ADMIN)
        assert res.returncode == 0, res.stderr
        return [json.loads(line)["action"] for line in res.stdout.splitlines()]

    assert "shift.open" in actions("shift.")
    # As LIKE wildcards «%» and «_» would match every action and «shift.open» (the dot).
    assert actions("%") == [] and actions("_") == [] and actions("shift_open") == [] and actions("s%n") == []
