"""Randomised runs mixing register faults and crashes: every receipt ends made exactly once (or, refused
for good, replaced by one correction), counted in the emulator.

A crash here is in-process: the named hook raises an exception no service catches (a ``BaseException``,
as far from the code's reach as SIGKILL), and the dead desk's lease is then let lapse — the real kill -9
and the dead-holder takeover are ``test_fc_crash``'s.  The seed is printed; ``CASHIER_FISCAL_SEED``
replays a run; under CI it is fixed, as for the card crash sample.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from cashier_app.services import corrections, fiscal_delivery
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.fiscal.fc_helpers import docs_for, open_desk, pay, receipt_docs, register, rows, set_fiscal

__all__ = ["register"]
FAULTS = ("drop_after_processing", "drop_before_processing", "http500", "wait", "paper_out", "offline", "delay")
STEPS = {"atol_web": ("sell", "sellReturn", "requests", "results", "*"),
         "atol_online": ("sell", "sell_refund", "report", "getToken", "*")}


class _Crash(BaseException):
    """The desk died here."""


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "1,0.5")


def _arm(monkeypatch: pytest.MonkeyPatch, point: str | None) -> None:
    fired = {"done": False}

    def hook(name: str) -> None:
        if name == point and not fired["done"]:
            fired["done"] = True
            raise _Crash(name)

    monkeypatch.setattr(fiscal_delivery, "crash_point", hook)


def _lapse_leases(db: Database) -> None:
    """The dead desk's lease runs out (its holder will never release it)."""
    with db.uow() as uow:
        uow.session.execute(update(m.FiscalReceipt).where(m.FiscalReceipt.claim_token.is_not(None))
                            .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1)))
        uow.commit()


def _settle(db: Database, srv: Any, cashier: Any, manager: Any, number: str) -> None:
    for _ in range(8):
        if fiscal_delivery.reconcile(cashier, wait_secs=2).unfinished == 0:
            break
    for r in rows(db, number):
        if r.state == "failed" and r.operation != "sell_correction":
            try:
                fiscal_delivery.retry(cashier, number if r.operation == "sell" else _entry_number(db, r), wait_secs=2)
            except Exception as exc:  # only the rule refusals are expected here
                assert "коррекци" in str(exc) or "нечего" in str(exc), exc
    for _ in range(8):
        if fiscal_delivery.reconcile(cashier, wait_secs=2).unfinished == 0:
            break
    sale = next(r for r in rows(db, number) if r.operation == "sell")
    if sale.state == "failed":
        fiscal_delivery.correct(manager, number, "чек не пробит: ККТ отказала")
        for _ in range(8):
            if fiscal_delivery.reconcile(cashier, wait_secs=2).unfinished == 0:
                break


def _entry_number(db: Database, r: m.FiscalReceipt) -> str:
    with db.read() as uow:
        p = uow.session.get(m.Payment, r.payment_id)
        assert p is not None
        return p.number


def one_run(db: Database, srv: Any, rng: random.Random, monkeypatch: pytest.MonkeyPatch, i: int) -> None:
    mode = rng.choice(("atol_web", "atol_online"))
    set_fiscal(db, srv, mode)
    cashier = manager = open_desk(db, srv, "manager")  # refunds come out of the payer's own shift
    op = rng.choice(("sell", "sell", "cancel", "refund"))
    point = rng.choice((None, *fiscal_delivery.FISCAL_CRASH_POINTS))
    if rng.random() < 0.7:
        srv.fault(rng.choice(STEPS[mode]), rng.choice(FAULTS), count=rng.randint(1, 2), delay_secs=0.8)
    amount = rng.randint(100, 5_000_000)
    _arm(monkeypatch, point if op == "sell" else None)
    try:
        number = pay(cashier, amount, offset=i % 40).payment_number
    except _Crash:
        number = _last_cash(db)
    if op != "sell":
        _arm(monkeypatch, point)
        try:
            if op == "cancel":
                corrections.cancel_payment(manager, number, "ошибка кассира")
            else:
                corrections.refund_payment(manager, number, "заявление", amount_minor=rng.randint(1, amount))
        except _Crash:
            pass
    _arm(monkeypatch, None)
    _lapse_leases(db)
    _settle(db, srv, cashier, manager, number)
    for r in rows(db, number):
        made = docs_for(srv, r.key)
        if r.state == "done":
            assert len(made) == 1 and made[0]["total_minor"] == r.amount_minor, (i, mode, op, point, r.key)
        else:
            assert r.state == "failed" and made == [], (i, mode, op, point, r.key, r.state, r.last_error)
    sale = next(r for r in rows(db, number) if r.operation == "sell")
    corrections_made = [r for r in rows(db, number) if r.operation == "sell_correction" and r.state == "done"]
    assert (sale.state == "done") != bool(corrections_made), (i, mode, op, point)  # a sale, or its correction


def _last_cash(db: Database) -> str:
    from sqlalchemy import select

    with db.read() as uow:
        return uow.session.execute(select(m.Payment.number).where(m.Payment.entry_kind == "payment")
                                   .order_by(m.Payment.id.desc()).limit(1)).scalar_one()


def _runs(fresh_db: Database, register: Any, monkeypatch: pytest.MonkeyPatch, n: int, fixed: str) -> None:
    seed = int(os.environ.get("CASHIER_FISCAL_SEED") or (fixed if os.environ.get("CI") == "true" else None)
               or random.SystemRandom().randrange(1 << 30))
    print(f"CASHIER_FISCAL_SEED={seed}")
    rng = random.Random(seed)
    for i in range(n):
        one_run(fresh_db, register, rng, monkeypatch, i)
    done = sum(1 for r in rows(fresh_db) if r.state == "done")
    assert len(receipt_docs(register)) == done  # nothing made that the outbox does not account for


def test_randomised_faults_and_crashes_sample(fresh_db: Database, register: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _runs(fresh_db, register, monkeypatch, 20, "1313")


@pytest.mark.slow
def test_randomised_faults_and_crashes_200(fresh_db: Database, register: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _runs(fresh_db, register, monkeypatch, 200, "1314")
