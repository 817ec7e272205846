"""Shared fixtures for the gateway tests: a real sandbox over loopback, real clients."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cashier_app.emulators.bank.server import SandboxServer
from cashier_app.services.gateways.sberbank import SberbankClient
from cashier_app.services.gateways.tbank import TBankClient

SBER_USER, SBER_PASSWORD = "demo-api", "demo"
TB_TERMINAL, TB_PASSWORD = "DemoTerminal", "demo-password"
CARD_OK = "2201382000000013"
CARD_3DS = "2201382000000047"
CARD_DECLINED = "2201382000000021"
CARD_NO_FUNDS = "2201382000000831"
CARD_OTHER = "4111111111111111"

_counter = itertools.count(1)


def order_number() -> str:
    return f"T{next(_counter)}-{uuid.uuid4().hex[:8]}"


class Sandbox:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url

    def control(self, name: str, payload: dict[str, Any] | None = None, method: str = "POST") -> Any:
        resp = requests.request(method, f"{self.url}/_control/{name}", json=payload or {}, timeout=5)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def pay(self, bank_order_id: str, card: str = CARD_OK, **extra: Any) -> dict[str, Any]:
        return self.control("pay", {"bank_order_id": bank_order_id, "card": card, "cvc": "123", **extra})

    def fault(self, endpoint: str, kind: str, count: int = 1, delay_secs: float = 1.0) -> None:
        self.control("faults", {"endpoint": endpoint, "kind": kind, "count": count, "delay_secs": delay_secs})

    def advance(self, seconds: float) -> None:
        self.control("clock", {"advance_secs": seconds})

    def orders(self, **query: str) -> list[dict[str, Any]]:
        resp = requests.get(f"{self.url}/_control/orders", params=query, timeout=5)
        return resp.json()["orders"]


@pytest.fixture
def sandbox(tmp_path: Any) -> Iterator[Sandbox]:
    server = SandboxServer(tmp_path / "bank.sqlite3", port=0)
    server.start()
    try:
        yield Sandbox(server)
        # Every T-Bank answer the sandbox gave passed the bank's OpenAPI spec (else: a sandbox bug).
        assert not server.spec_violations, server.spec_violations
    finally:
        server.stop()


def sber(url: str, *, password: str = SBER_PASSWORD, read_timeout: float = 2.0) -> SberbankClient:
    return SberbankClient(url, SBER_USER, password, connect_timeout=1, read_timeout=read_timeout)


def tbank(url: str, *, password: str = TB_PASSWORD, read_timeout: float = 2.0) -> TBankClient:
    return TBankClient(url, TB_TERMINAL, password, connect_timeout=1, read_timeout=read_timeout)


def make(bank: str, url: str, **kwargs: Any) -> SberbankClient | TBankClient:
    return sber(url, **kwargs) if bank == "sberbank" else tbank(url, **kwargs)
