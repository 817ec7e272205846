"""Crash tests: ``cashier-app pay-card`` SIGKILLed at each step, then ``reconcile``.

The kill points are the test hook of ``services/card_payments.crash_point``
(``CASHIER_TEST_HOOKS=1`` + ``CASHIER_TEST_CRASH_AT=<point>``).  Whatever the
point, a paid order ends credited exactly once and an unpaid one never.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cashier_app.services import audit, card_payments
from cashier_app.storage import models as m
from tests.test_card_helpers import (
    CARD_OK,
    CVC,
    PAYEE_OF_BANK,
    Office,
    account_of,
    balance,
    bank,
    card_sum,
    ctx_for,
    office,
    order_state,
)

__all__ = ["bank", "office"]
ROOT = Path(__file__).resolve().parent.parent
AMOUNT = "700,00"
AMOUNT_MINOR = 70_000


def _env(point: str | None) -> dict[str, str]:
    env = {**os.environ, "CASHIER_GW_TIMEOUTS": "1,0.5", "CASHIER_CARD_POLL_SECS": "0.1", "CASHIER_USER": "cashier",
           "CASHIER_PASSWORD": "cashier"}
    if point:
        env.update({"CASHIER_TEST_HOOKS": "1", "CASHIER_TEST_CRASH_AT": point})
    return env


def pay_card(office: Office, account: str, point: str | None, *extra: str) -> subprocess.Popen[str]:
    url = str(office.db.engine.url)
    return subprocess.Popen(
        [sys.executable, "-m", "cashier_app", "pay-card", "--account", account, "--amount", AMOUNT, "--no-browser",
         "--db", url, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env(point))


def _last_order(office: Office) -> str | None:
    with office.db.read() as uow:
        return uow.session.execute(select(m.GatewayOrder.order_number).order_by(m.GatewayOrder.id.desc())
                                   .limit(1)).scalar_one_or_none()


@dataclass(frozen=True)
class _Books:
    """What the money looks like for one account, on our side and at the bank."""

    balance: int
    card_sum: int  # credited card entries, payments minus refunds
    credited: int  # how many credited card ledger entries the account has
    bank: dict[str, str]  # the bank's orders for this account and amount: id → status


def _books(office: Office, bank_name: str, account: str) -> _Books:
    with office.db.read() as uow:
        s = uow.session
        aid = s.execute(select(m.Account.id).where(m.Account.number == account)).scalar_one()
        credited = s.execute(select(func.count()).select_from(m.Payment).where(
            m.Payment.account_id == aid, m.Payment.method == "card", m.Payment.credited.is_(True))).scalar_one()
    # The bank's own record, matched by what it was asked for (amount, target), not by our number:
    # a unique index on the number cannot hide a second registration under another number.
    bank_orders = {o["id"]: o["status"] for o in office.bank.orders(bank=bank_name)
                   if o["amount"] == AMOUNT_MINOR and o["description"] == f"Л/с {account}"}
    return _Books(balance(office.db, account), card_sum(office.db, account), int(credited), bank_orders)


def _check_books(office: Office, bank_name: str, account: str, before: _Books, why: object) -> int:
    """Exactly once, counted where the money is: returns how many orders the bank has taken money for."""
    now = _books(office, bank_name, account)
    made = {k: v for k, v in now.bank.items() if k not in before.bank}
    assert len(made) <= 1, (why, made)  # one pay-card run registers at most one order
    paid = sum(1 for status in made.values() if status == "PAID")
    assert now.balance - before.balance == paid * AMOUNT_MINOR, (why, now, before)
    assert now.card_sum - before.card_sum == paid * AMOUNT_MINOR, (why, now, before)
    assert now.credited - before.credited == paid, (why, now, before)
    return paid


def crash_run(office: Office, bank_name: str, point: str, customer_pays: bool, account_offset: int = 0) -> None:
    account = account_of(office.db, PAYEE_OF_BANK[bank_name], account_offset)
    before = _books(office, bank_name, account)
    previous = _last_order(office)
    wait = "20" if customer_pays else "2"
    proc = pay_card(office, account, point, "--wait", wait)
    assert proc.stdout is not None
    paid_at_bank = False
    if point in ("after_status_paid", "mid_credit") or (point == "none"):
        number = proc.stdout.readline().strip()
        url = proc.stdout.readline().strip()
        assert number.startswith("CA-") and url.startswith("http"), proc.stderr.read() if proc.stderr else ""
        if customer_pays:
            office.bank.pay(number, bank_name)
            paid_at_bank = True
    code = proc.wait(timeout=60)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in stderr, stderr
    number = _last_order(office)
    assert number is not None and number != previous
    if point == "after_register" and customer_pays:
        # The bank registered it, the desk died before storing the answer; the customer pays anyway.
        office.bank.pay(number, bank_name)
        paid_at_bank = True
    if point in ("after_status_paid", "mid_credit") and customer_pays:
        assert code == -signal.SIGKILL, (code, stderr)
    elif point in ("before_register", "after_register"):
        assert code == -signal.SIGKILL, (code, stderr)
    if code == -signal.SIGKILL:
        # Nothing was credited by the killed process at these points: the books are as before.
        now = _books(office, bank_name, account)
        assert (now.balance, now.card_sum, now.credited) == (before.balance, before.card_sum, before.credited)
    registered = 0 if point == "before_register" else 1
    assert len(_books(office, bank_name, account).bank) - len(before.bank) == registered, point
    for desk in ("reconcile-desk", "desk-2"):
        # Reconciling again (another desk, the next start) is harmless: the books are re-checked each time.
        card_payments.reconcile(ctx_for(office.db, "admin", desk=desk))
        assert _check_books(office, bank_name, account, before, (point, desk)) == (1 if paid_at_bank else 0)
        state, status, credited = order_state(office.db, number)
        if paid_at_bank:
            assert (state, status, credited) == ("paid", "paid", True), (point, state, status)
        else:
            assert not credited and state in ("new", "registered", "pending", "cancelled"), (point, state)


def timed_kill_run(office: Office, rng: random.Random, account_offset: int) -> None:
    """pay-card SIGKILLed at a random moment (not a named point), the customer paying or not, then reconcile."""
    bank_name = rng.choice(["sberbank", "tbank"])
    account = account_of(office.db, PAYEE_OF_BANK[bank_name], account_offset)
    before = _books(office, bank_name, account)
    proc = pay_card(office, account, None, "--wait", "20")
    assert proc.stdout is not None
    pays = rng.random() < 0.6
    if rng.random() < 0.5:
        proc.stdout.readline()  # the kill lands after the link was printed: while polling or crediting
        proc.stdout.readline()
    time.sleep(rng.uniform(0.0, 1.5))  # where the kill lands; nothing is asserted about time
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    if pays:
        for bank_id, status in _books(office, bank_name, account).bank.items():
            if bank_id not in before.bank and status == "NEW":
                office.bank.control("pay", {"bank_order_id": bank_id, "card": CARD_OK, "cvc": CVC})
    for desk in ("reconcile-desk", "desk-2"):
        card_payments.reconcile(ctx_for(office.db, "admin", desk=desk))
        _check_books(office, bank_name, account, before, ("timed", bank_name, pays, desk))


SAMPLE = [
    ("sberbank", "before_register", False),
    ("tbank", "after_register", True),
    ("sberbank", "after_register", False),
    ("tbank", "after_status_paid", True),
    ("sberbank", "after_status_paid", True),
    ("tbank", "mid_credit", True),
    ("sberbank", "mid_credit", True),
    ("tbank", "none", False),  # no kill: the wait runs out, the order stays pending (exit 3), never failed
]


@pytest.mark.parametrize(("bank_name", "point", "pays"), SAMPLE)
def test_kill_at_each_step_then_reconcile(office: Office, bank_name: str, point: str, pays: bool) -> None:
    crash_run(office, bank_name, point, pays)
    assert audit.verify(office.db).ok


def test_randomised_crash_sample(office: Office) -> None:
    """A few random kill points in every run of the suite (named hooks and random moments); the seed is
    printed so a failure can be replayed with CASHIER_CRASH_SEED.  Under CI the seed is fixed, as for
    Hypothesis (conftest.py); the moment a timed kill lands still varies with the machine."""
    fixed = "2108" if os.environ.get("CI") == "true" else None  # after_register, after_status_paid, mid_credit, a timed kill
    seed = int(os.environ.get("CASHIER_CRASH_SEED") or fixed or random.SystemRandom().randrange(1 << 30))
    print(f"CASHIER_CRASH_SEED={seed}")
    rng = random.Random(seed)
    points = [*card_payments.CRASH_POINTS, "none"]
    for i in range(3):
        bank_name = rng.choice(["sberbank", "tbank"])
        point = rng.choice(points)
        pays = point in ("after_status_paid", "mid_credit") or rng.random() < 0.5
        crash_run(office, bank_name, point, pays, account_offset=i)
    timed_kill_run(office, rng, account_offset=3)
    assert audit.verify(office.db).ok, seed


@pytest.mark.slow
def test_randomised_crashes_200_runs(office: Office) -> None:
    rng = random.Random(5_2026)
    points = [*card_payments.CRASH_POINTS, "none"]
    for i in range(200):
        bank_name = rng.choice(["sberbank", "tbank"])
        point = rng.choice(points)
        pays = point in ("after_status_paid", "mid_credit") or rng.random() < 0.5
        crash_run(office, bank_name, point, pays, account_offset=i % 20)
    assert audit.verify(office.db).ok


def test_pay_card_prints_number_url_then_json_and_exits_0_when_paid(office: Office) -> None:
    account = account_of(office.db, "interra")
    proc = pay_card(office, account, None, "--wait", "20")
    assert proc.stdout is not None
    number, url = proc.stdout.readline().strip(), proc.stdout.readline().strip()
    office.bank.pay(number, "sberbank")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = json.loads(out.strip().splitlines()[-1])
    assert final["order_number"] == number and final["state"] == "paid" and final["credited"] is True
    assert "mdOrder=" in url


def test_pay_card_declined_exits_non_zero_and_refund_cli(office: Office) -> None:
    account = account_of(office.db, "dem")
    proc = pay_card(office, account, None, "--wait", "20")
    assert proc.stdout is not None
    number = proc.stdout.readline().strip()
    proc.stdout.readline()
    office.bank.pay(number, "tbank", "2201382000000021")
    out, _err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert json.loads(out.strip().splitlines()[-1])["state"] == "declined"
    # refund-card on a paid one: a manager's right, a reason, part of the amount.
    proc = pay_card(office, account, None, "--wait", "20")
    number = proc.stdout.readline().strip()  # type: ignore[union-attr]
    proc.stdout.readline()  # type: ignore[union-attr]
    office.bank.pay(number, "tbank")
    out, _ = proc.communicate(timeout=60)
    payment = json.loads(out.strip().splitlines()[-1])["payment_number"]
    url = str(office.db.engine.url)
    base = [sys.executable, "-m", "cashier_app", "refund-card", payment, "--db", url]
    denied = subprocess.run([*base, "--amount", "100", "--reason", "ошибка"], capture_output=True, text=True,
                            cwd=ROOT, env=_env(None), timeout=60)
    assert denied.returncode == 2 and "Недостаточно прав" in denied.stderr
    bad = subprocess.run([*base, "--amount", "1,234", "--reason", "ошибка", "--as", "manager"], capture_output=True,
                         text=True, cwd=ROOT, env={**_env(None), "CASHIER_PASSWORD": "manager"}, timeout=60)
    assert bad.returncode == 2 and "--amount" in bad.stderr
    ok = subprocess.run([*base, "--amount", "100", "--reason", "ошибка", "--as", "manager"], capture_output=True,
                        text=True, cwd=ROOT, env={**_env(None), "CASHIER_PASSWORD": "manager"}, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["amount_minor"] == 10_000


def test_reconcile_command_prints_what_it_settled(office: Office) -> None:
    ctx = ctx_for(office.db)
    order = card_payments.start(ctx, account=account_of(office.db, "interra"), amount_minor=30_000)
    office.bank.pay(order.order_number, "sberbank")
    proc = subprocess.run([sys.executable, "-m", "cashier_app", "reconcile", "--db", str(office.db.engine.url)],
                          capture_output=True, text=True, cwd=ROOT, env=_env(None), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"{order.order_number}: registered → paid (Оплачено)" in proc.stdout
    assert "завершено: 1" in proc.stdout
