"""The command line: ``payees billing``, ``pay-cash`` with its ``billing`` part, ``billing status|deliver|
reconcile|retry`` — and kill -9 of ``pay-cash`` between the local commit and the billing's answer,
then ``billing reconcile`` → exactly one payment in the emulator, both dialects.

Kill points: ``billing_after_commit`` (committed, nothing sent) and ``billing_before_store`` (the
billing recorded it and answered; we die before storing the answer) — ``card_gateway.crash_point``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from cashier_app.services.billing.delivery import BILLING_CRASH_POINTS
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.billing.helpers import (
    accounts,
    ctx_for,
    delivery,
    isp_payee,
    open_desk,
    paid_in_billing,
    start_billing,
)

ROOT = Path(__file__).resolve().parents[2]
# Until the lead adds "billing" to ``cli.COMMAND_MODULES`` (reported), the subprocess adds it; a no-op after.
_RUN = ("import sys, cashier_app.cli as c\n"
        "c.COMMAND_MODULES += () if 'billing' in c.COMMAND_MODULES else ('billing',)\n"
        "raise SystemExit(c.main(sys.argv[1:]))")


def _cli(db: Database, tmp_path: Path, *args: str, user: str = "cashier", point: str | None = None,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASHIER_USER": user, "CASHIER_PASSWORD": user, "CASHIER_DESK": "desk-1",
           "CASHIER_CONFIG_DIR": str(tmp_path / "config"), "CASHIER_BILLING_TIMEOUTS": "1,1",
           "CASHIER_FISCAL_TIMEOUTS": "0.5,0.5", "QT_QPA_PLATFORM": "offscreen"}
    if point:
        env.update({"CASHIER_TEST_HOOKS": "1", "CASHIER_TEST_CRASH_AT": point})
    return subprocess.run([sys.executable, "-c", _RUN, *args, "--db", str(db.engine.url)], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Database, *args: str,
         user: str = "cashier") -> tuple[int, str, str]:
    """The CLI in this process (no interpreter start): everything but the kill -9 runs this way."""
    from cashier_app import cli

    if "billing" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "billing"))
    monkeypatch.setenv("CASHIER_USER", user)
    monkeypatch.setenv("CASHIER_PASSWORD", user)
    monkeypatch.setenv("CASHIER_DESK", "desk-1")
    monkeypatch.setenv("CASHIER_BILLING_TIMEOUTS", "1,1")
    capsys.readouterr()
    rc = cli.main([*args, "--db", str(db.engine.url)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_payees_billing_pay_cash_status_retry(fresh_db: Database, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    srv = start_billing("abills")
    try:
        code = isp_payee(fresh_db)
        rc, _, err = _run(capsys, monkeypatch, fresh_db, "payees", "billing", code, "--osmp", "ftp://nope",
                          "--dialect", "abills", user="admin")
        assert rc == 2 and "Адрес биллинга" in err
        rc, _, err = _run(capsys, monkeypatch, fresh_db, "payees", "billing", code, "--osmp", srv.osmp_url,
                          "--dialect", "abills")
        assert rc == 2 and "Недостаточно прав" in err  # a cashier may not
        rc, out, err = _run(capsys, monkeypatch, fresh_db, "payees", "billing", code, "--osmp", srv.osmp_url,
                            "--dialect", "abills", user="admin")
        assert rc == 0 and srv.osmp_url in out, err
        rc, out, _ = _run(capsys, monkeypatch, fresh_db, "payees", "show", code, user="admin")
        assert "Биллинг: OSMP ABillS " + srv.osmp_url in out, out
        number = accounts(fresh_db, code, 1)[0]
        srv.load_accounts([{"number": number, "full_name": "А", "balance": "0", "blocked": "0"}])
        open_desk(fresh_db)
        rc, out, err = _run(capsys, monkeypatch, fresh_db, "pay-cash", "--account", number, "--amount", "150,00",
                            "--json")
        assert rc == 0, err
        line = json.loads(out.strip().splitlines()[-1])
        assert line["billing"]["state"] == "delivered" and line["billing"]["prv_txn"]
        (p,) = paid_in_billing(srv, line["billing"]["txn_id"])
        assert p["sum_minor"] == 15_000
        rc, out, _ = _run(capsys, monkeypatch, fresh_db, "billing", "status", "--json")
        assert rc == 0 and json.loads(out)["counts"]["delivered"] == 1
        rc, _, err = _run(capsys, monkeypatch, fresh_db, "billing", "retry", line["payment"], user="manager")
        assert rc == 2 and "уже доставлен" in err
        # The card said «не найден»: pay-cash warns (and takes the money: the cashier decides).
        other = accounts(fresh_db, code, 2)[1]
        from cashier_app.services.billing import checks

        assert checks.check_account(ctx_for(fresh_db), other).state == "not_found"
        rc, out, err = _run(capsys, monkeypatch, fresh_db, "pay-cash", "--account", other, "--amount", "10")
        assert rc == 0 and "биллинг не нашёл" in err and "биллинг: отклонён" in out, (out, err)
        rc, out, _ = _run(capsys, monkeypatch, fresh_db, "billing", "status")
        assert rc == 0 and "отклонён: 1" in out and "не знает лицевой счёт" in out
        rc, out, _ = _run(capsys, monkeypatch, fresh_db, "payees", "billing", code, "--none", user="admin")
        assert rc == 0 and "отключён" in out
    finally:
        srv.stop()


# Killed right after the commit nothing was sent: the dialect does not matter there, so once.
@pytest.mark.parametrize("dialect,point", [("abills", BILLING_CRASH_POINTS[0]), ("abills", BILLING_CRASH_POINTS[1]),
                                           ("ubilling", BILLING_CRASH_POINTS[1])])
def test_pay_cash_killed_then_reconcile(fresh_db: Database, tmp_path: Path, dialect: str, point: str,
                                        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    srv = start_billing(dialect)
    try:
        from tests.billing.helpers import wire

        _, numbers = wire(fresh_db, srv, dialect, n=3)
        open_desk(fresh_db)
        proc = _cli(fresh_db, tmp_path, "pay-cash", "--account", numbers[2], "--amount", "456,78", "--json",
                    point=point)
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
        with fresh_db.read() as uow:
            number = uow.session.execute(select(m.Payment.number).where(m.Payment.entry_kind == "payment")
                                         .order_by(m.Payment.id.desc()).limit(1)).scalar_one()
        r = delivery(fresh_db, number)
        assert r.state in ("pending", "sent")
        assert len(paid_in_billing(srv, r.txn_id)) == (1 if point == "billing_before_store" else 0)
        rc, out, err = _run(capsys, monkeypatch, fresh_db, "billing", "reconcile", "--json")
        assert rc == 0 and json.loads(out)["delivered"] == 1, (out, err)
        r = delivery(fresh_db, number)
        (p,) = paid_in_billing(srv, r.txn_id)
        assert r.state == "delivered" and p["sum_minor"] == 45_678
        if point == "billing_before_store":
            assert r.verified_by == ("repeat" if dialect == "abills" else "duplicate")
        rc, out, _ = _run(capsys, monkeypatch, fresh_db, "billing", "reconcile", "--json")
        assert rc == 0 and json.loads(out)["processed"] == 0
        assert len(srv.payments()) == 1
    finally:
        srv.stop()
