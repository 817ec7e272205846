"""Shared pieces of the card-payment tests: a sandbox bank on an ephemeral loopback port, an office
whose payees point at it, and small readers of the ledger.  (No tests here; the name keeps it with
the other ``test_card_*`` files.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, update

from cashier_app.emulators.bank.server import SandboxServer
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

CARD_OK = "2201382000000013"
CARD_3DS = "2201382000000047"
CARD_DECLINED = "2201382000000021"
CARD_NO_FUNDS = "2201382000000831"
CVC = "123"
PAYEE_OF_BANK = {"sberbank": "interra", "tbank": "dem", "chronopay": "nts"}
CREATE = {"sberbank": "register.do", "tbank": "Init"}
STATUS = {"sberbank": "getOrderStatusExtended.do", "tbank": "GetState"}
REFUND = {"sberbank": "refund.do", "tbank": "Cancel"}


class Bank:
    """The sandbox's control API (the customer's side: paying, the clock, faults)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url

    def control(self, name: str, payload: dict[str, Any] | None = None, method: str = "POST") -> Any:
        resp = requests.request(method, f"{self.url}/_control/{name}", json=payload or {}, timeout=5)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def pay(self, order_number: str, bank: str, card: str = CARD_OK, **extra: Any) -> dict[str, Any]:
        return self.control("pay", {"order_number": order_number, "bank": bank, "card": card, "cvc": CVC, **extra})

    def fault(self, endpoint: str, kind: str, count: int = 1, delay_secs: float = 1.0, after: int = 0) -> None:
        self.control("faults", {"endpoint": endpoint, "kind": kind, "count": count, "delay_secs": delay_secs,
                                "after": after})

    def advance(self, seconds: float) -> None:
        self.control("clock", {"advance_secs": seconds})

    def orders(self, **query: str) -> list[dict[str, Any]]:
        return requests.get(f"{self.url}/_control/orders", params=query, timeout=5).json()["orders"]


def point_payees_at(db: Database, url: str) -> None:
    with db.uow() as uow:
        uow.session.execute(update(m.Payee).values(gateway_base_url=url))
        uow.commit()


def start_bank(path: Path) -> SandboxServer:
    server = SandboxServer(path, port=0)
    server.start()
    return server


def pg_bank_office(url: str | Callable[..., str], tmp_path: Path, *, accounts: int) -> Iterator[tuple[str, Bank]]:
    """A demo office on PostgreSQL whose payees point at a fresh sandbox bank.

    The body of the PostgreSQL card fixtures: ``yield from pg_bank_office(pg_database_factory, …)``
    copies a session template office (fast); given the URL of an empty database it generates there.
    """
    from cashier_app.services.bootstrap import open_database
    from cashier_app.storage.demo import generate
    from tests.conftest import TODAY, _fast_hash

    if callable(url):
        url = url(demo={"accounts": accounts})
        db = open_database(url)
    else:
        db = open_database(url)
        generate(db.engine, accounts=accounts, today=TODAY, hash_password=_fast_hash)
    server = start_bank(tmp_path / "bank.sqlite3")
    point_payees_at(db, server.url)
    db.dispose()
    try:
        yield url, Bank(server)
    finally:
        server.stop()


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Bank]:
    server = start_bank(tmp_path / "bank.sqlite3")
    try:
        yield Bank(server)
        # Every T-Bank answer the sandbox gave passed the bank's OpenAPI spec (else: a sandbox bug).
        assert not server.spec_violations, server.spec_violations
    finally:
        server.stop()


@dataclass
class Office:
    db: Database
    bank: Bank
    bank_db: Path


@pytest.fixture
def office(fresh_db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Office:
    """The demo office (private SQLite copy) with every payee's gateway at the sandbox."""
    monkeypatch.setenv("CASHIER_GW_TIMEOUTS", "1,0.5")
    point_payees_at(fresh_db, bank.url)
    return Office(fresh_db, bank, tmp_path / "bank.sqlite3")


def ctx_for(db: Database, role: str = "cashier", desk: str = "desk-1") -> DeskContext:
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.role == role, m.User.active.is_(True))).scalars().first()
        assert u is not None
    return DeskContext(db, desk, UserInfo(u.id, u.login, u.full_name, u.role))


def account_of(db: Database, payee_code: str, offset: int = 0) -> str:
    with db.read() as uow:
        return uow.session.execute(
            select(m.Account.number).join(m.Contract).join(m.Payee, m.Payee.id == m.Contract.payee_id)
            .where(m.Payee.code == payee_code).order_by(m.Account.id).offset(offset).limit(1)).scalar_one()


def balance(db: Database, number: str) -> int:
    with db.read() as uow:
        return uow.session.execute(select(m.Account.balance_minor).where(m.Account.number == number)).scalar_one()


def credited_entries(db: Database, order_number: str) -> int:
    """How many credited ledger payments carry this order number (exactly-once means ≤ 1)."""
    with db.read() as uow:
        return uow.session.execute(select(func.count()).select_from(m.Payment).where(
            m.Payment.gateway_order_number == order_number, m.Payment.credited.is_(True))).scalar_one()


def order_state(db: Database, order_number: str) -> tuple[str, str, bool]:
    with db.read() as uow:
        s = uow.session
        go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.order_number == order_number)).scalar_one()
        p = s.get(m.Payment, go.payment_id)
        return go.state, p.status, p.credited


def card_sum(db: Database, number: str) -> int:
    """Credited card entries of an account (payments minus refunds), in kopecks."""
    with db.read() as uow:
        s = uow.session
        aid = s.execute(select(m.Account.id).where(m.Account.number == number)).scalar_one()
        return int(s.execute(select(func.coalesce(func.sum(m.Payment.amount_minor), 0)).where(
            m.Payment.account_id == aid, m.Payment.credited.is_(True), m.Payment.method == "card")).scalar_one())
