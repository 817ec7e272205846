"""The register commands as a person runs them: signed in, exit codes 0 / 2 / 3, one clean line on refusal."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cashier_app.storage.db import Database
from tests.billing.helpers import accounts, isp_payee, open_desk, pay
from tests.registry import onec_parser
from tests.test_cli import AUTH_VARS, cli


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """``cashier-app`` in this process (a spawn per call would cost seconds each; one real spawn is below)."""
    from cashier_app.cli import main

    def _run(*args: str, user: str | None = None, password: str | None = None) -> subprocess.CompletedProcess[str]:
        for k in AUTH_VARS:
            monkeypatch.delenv(k, raising=False)
        if user:
            monkeypatch.setenv("CASHIER_USER", user)
            monkeypatch.setenv("CASHIER_PASSWORD", password or user)
        capsys.readouterr()
        code = main(list(args))
        got = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, got.out, got.err)

    return _run


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'office.sqlite3'}"  # fresh_db's file


def test_registry_commands(fresh_db: Database, tmp_path: Path, run: Any) -> None:
    code = isp_payee(fresh_db)
    ctx = open_desk(fresh_db)
    number = accounts(fresh_db, code, 1)[0]
    paid = pay(ctx, number, 123_450)
    day = ctx.today().isoformat()
    db = _url(tmp_path)
    out = tmp_path / "day.txt"

    refused = run("registry", "--payee", code, "--date", day, "--format", "1c", "-o", str(out), "--db", db,
                  user="cashier")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and not out.exists()
    wrong = run("registry", "--payee", code, "-o", str(out), "--db", db, user="manager", password="nope")
    assert wrong.returncode == 2 and not out.exists()

    done = cli("registry", "--payee", code, "--date", day, "--format", "1c", "-o", str(out), "--db", db, "--json",
               user="manager")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["count"] >= 1 and summary["format"] == "1c"
    docs = onec_parser.parse(out.read_bytes()).documents
    (doc,) = [d for d in docs if d["Номер"] == str(int(paid.payment_number[2:]))]
    assert onec_parser.kopecks(doc["Сумма"]) == 123_450
    assert len(docs) == summary["count"]

    bad = run("registry-layout", "set", code, "separator=#", "--db", db, user="admin")
    assert bad.returncode == 2 and "Разделитель" in bad.stderr and "Traceback" not in bad.stderr
    ok = run("registry-layout", "set", code, "columns=number,txn_id,account,amount,date", "amount_format=kopecks",
             "--db", db, "--json", user="admin")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["layout"]["amount_format"] == "kopecks"

    own = tmp_path / "own.csv"
    assert run("registry", "--payee", code, "--date", day, "-o", str(own), "--db", db, user="manager").returncode == 0
    # The office's own register reconciles with itself (kopecks layout read back as kopecks) …
    same = run("reconcile-registry", "--payee", code, str(own), "--json", "--db", db, user="manager")
    assert same.returncode == 0, same.stdout + same.stderr
    assert json.loads(same.stdout)["agrees"] is True
    # … and a billing list without our payment differs: exit 3 and the accountant's report.
    billing = tmp_path / "billing.csv"
    billing.write_text("txn_id;prv_txn;account;sum;date\r\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    diff = run("reconcile-registry", "--payee", code, str(billing), "--date", day, "-o", str(report), "--db", db,
               user="manager")
    assert diff.returncode == 3, diff.stderr
    assert "есть в кассе, нет в биллинге" in diff.stdout
    assert "1234,50" in report.read_bytes().decode("utf-8-sig")
    broken = tmp_path / "broken.csv"
    broken.write_text("txn_id;sum;date\r\n1;12,345;2026-01-01\r\n", encoding="utf-8")
    refused = run("reconcile-registry", "--payee", code, str(broken), "--db", db, user="manager")
    assert refused.returncode == 2 and "строка 2" in refused.stderr and "Traceback" not in refused.stderr
