"""Fixtures of the billing emulator tests: a running emulator per dialect, with a few accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cashier_app.emulators.billing.server import BillingServer

ACCOUNTS = [
    {"number": "000123", "full_name": "Иванов Иван Иванович", "balance": "-12,30", "blocked": "0"},
    {"number": "271556", "full_name": "Петрова Анна", "balance": "1 234,50", "blocked": "нет"},
    {"number": "blocked-1", "full_name": "Сидоров", "balance": "0", "blocked": "да"},
    {"number": "closed-1", "full_name": "Закрытый", "balance": "5", "blocked": "0", "closed": "1"},
]
DATE = "20261203120000"


@pytest.fixture(params=["abills", "ubilling"])
def billing(request: pytest.FixtureRequest) -> Iterator[BillingServer]:
    with BillingServer(request.param) as server:
        server.load_accounts(ACCOUNTS)
        yield server
