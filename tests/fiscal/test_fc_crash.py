"""kill -9 of ``cashier-app pay-cash`` and ``pay-card`` at each step of a receipt, then reconcile:
exactly one receipt per payment, counted in the register emulator.

The kill points are ``card_gateway.crash_point`` hooks (``CASHIER_TEST_HOOKS=1`` +
``CASHIER_TEST_CRASH_AT``): ``fiscal_after_commit`` (the payment committed, nothing sent),
``fiscal_after_accept`` (the register took the receipt, we never stored its answer),
``fiscal_before_store`` (the register's fiscal data in hand, not yet written).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cashier_app.services import fiscal_delivery
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.fiscal.fc_helpers import (
    account,
    ctx_for,
    docs_for,
    open_desk,
    receipt_docs,
    register,
    row_of,
    set_fiscal,
)

__all__ = ["register"]
ROOT = Path(__file__).resolve().parents[2]
POINTS = fiscal_delivery.FISCAL_CRASH_POINTS


def _env(tmp_path: Path, point: str | None) -> dict[str, str]:
    env = {**os.environ, "CASHIER_USER": "cashier", "CASHIER_PASSWORD": "cashier", "CASHIER_DESK": "desk-1",
           "CASHIER_CONFIG_DIR": str(tmp_path / "config"), "CASHIER_GW_TIMEOUTS": "1,0.5",
           "CASHIER_CARD_POLL_SECS": "0.1", "QT_QPA_PLATFORM": "offscreen"}
    if point:
        env.update({"CASHIER_TEST_HOOKS": "1", "CASHIER_TEST_CRASH_AT": point})
    return env


def _last_payment(db: Database, method: str) -> str:
    with db.read() as uow:
        return uow.session.execute(select(m.Payment.number).where(m.Payment.method == method,
                                                                   m.Payment.entry_kind == "payment")
                                   .order_by(m.Payment.id.desc()).limit(1)).scalar_one()


def _settled_once(db: Database, srv: Any, number: str, amount: int) -> None:
    """Reconcile (twice, from two desks: harmless) → one document under the row's key, the row done."""
    for desk in ("desk-1", "desk-1"):
        fiscal_delivery.reconcile(ctx_for(db, "cashier", desk), wait_secs=3)
    r = row_of(db, number)
    assert r.state == "done", (r.state, r.last_error)
    (d,) = docs_for(srv, r.key)
    assert d["total_minor"] == amount and d["fd_number"] == r.fd_number
    with db.read() as uow:
        p = uow.session.execute(select(m.Payment).where(m.Payment.number == number)).scalar_one()
        assert (p.status, p.credited) == ("paid", True)


@pytest.mark.parametrize("mode", ["atol_web", "atol_online"])
@pytest.mark.parametrize("point", POINTS)
def test_pay_cash_killed_then_reconcile(fresh_db: Database, register: Any, tmp_path: Path, mode: str,
                                        point: str) -> None:
    set_fiscal(fresh_db, register, mode)
    open_desk(fresh_db, register)
    acc = account(fresh_db, 3)
    proc = subprocess.run(
        [sys.executable, "-m", "cashier_app", "pay-cash", "--account", acc, "--amount", "456,78",
         "--contact", "buyer@example.ru", "--db", str(fresh_db.engine.url), "--json"],
        capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path, point), timeout=120)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    number = _last_payment(fresh_db, "cash")
    before = row_of(fresh_db, number)
    expected = {"fiscal_after_commit": "pending", "fiscal_after_accept": "sent", "fiscal_before_store": "sent"}
    assert before.state == expected[point], before.state
    made = len(docs_for(register, before.key))
    assert made == (0 if point == "fiscal_after_commit" else 1)
    _settled_once(fresh_db, register, number, 45_678)
    assert len(receipt_docs(register)) == 1


@pytest.mark.parametrize("point", POINTS)
def test_pay_card_killed_then_reconcile(fresh_db: Database, register: Any, tmp_path: Path, point: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_card_helpers import PAYEE_OF_BANK, Bank, account_of, point_payees_at, start_bank

    monkeypatch.setenv("CASHIER_GW_TIMEOUTS", "1,0.5")
    server = start_bank(tmp_path / "bank.sqlite3")
    try:
        bank = Bank(server)
        point_payees_at(fresh_db, bank.url)
        bank_name = "tbank" if POINTS.index(point) % 2 == 0 else "sberbank"
        set_fiscal(fresh_db, register, "atol_online" if bank_name == "tbank" else "atol_web")
        open_desk(fresh_db, register)
        acc = account_of(fresh_db, PAYEE_OF_BANK[bank_name], 2)
        proc = subprocess.Popen(
            [sys.executable, "-m", "cashier_app", "pay-card", "--account", acc, "--amount", "321,00", "--no-browser",
             "--wait", "30", "--db", str(fresh_db.engine.url)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env(tmp_path, point))
        assert proc.stdout is not None and proc.stderr is not None
        order = proc.stdout.readline().strip()
        link = proc.stdout.readline().strip()
        assert order.startswith("CA-") and link.startswith("http"), proc.stderr.read()
        bank.pay(order, bank_name)
        code = proc.wait(timeout=120)
        stderr = proc.stderr.read()
        assert code == -signal.SIGKILL, (code, stderr)
        assert "Traceback" not in stderr
        number = _last_payment(fresh_db, "card")
        _settled_once(fresh_db, register, number, 32_100)
        (d,) = receipt_docs(register)
        assert d["type"] == "sell" and d["payments"][0]["type"] != "cash"
    finally:
        server.stop()
