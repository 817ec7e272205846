"""Two desks watching the same paid order on PostgreSQL credit it once (separate engines, real threads)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashier_app.services import audit, card_payments
from cashier_app.storage.db import Database
from tests.test_card_helpers import (
    Bank,
    account_of,
    balance,
    card_sum,
    credited_entries,
    ctx_for,
    pg_bank_office,
)


@pytest.fixture
def pg_office(pg_database_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Bank]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASHIER_GW_TIMEOUTS", "1,0.5")
    yield from pg_bank_office(pg_database_factory, tmp_path, accounts=200)


@pytest.mark.parametrize("bank_name", ["sberbank", "tbank"])
def test_two_desks_settle_the_same_order_once(pg_office: tuple[str, Bank], bank_name: str) -> None:
    url, bank = pg_office
    desks = [Database(url), Database(url)]
    try:
        ctxs = [ctx_for(desks[0], "cashier", "desk-A"), ctx_for(desks[1], "manager", "desk-B")]
        payee = {"sberbank": "interra", "tbank": "dem"}[bank_name]
        account = account_of(desks[0], payee)
        before = balance(desks[0], account)
        card_before = card_sum(desks[0], account)
        numbers = []
        for i in range(6):
            order = card_payments.start(ctxs[i % 2], account=account, amount_minor=10_000 + i)
            bank.pay(order.order_number, bank_name)
            numbers.append(order.order_number)
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def desk(ctx) -> None:  # type: ignore[no-untyped-def]
            try:
                for number in numbers:
                    barrier.wait(timeout=30)
                    card_payments.check(ctx, number)
                barrier.wait(timeout=30)
                card_payments.reconcile(ctx)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=desk, args=(c,)) for c in ctxs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        for number in numbers:
            assert credited_entries(desks[0], number) == 1
            assert card_payments.get(ctxs[0], number).state == "paid"
        expected = sum(10_000 + i for i in range(6))
        assert balance(desks[0], account) == before + expected
        assert card_sum(desks[0], account) - card_before == expected
        assert audit.verify(desks[0]).ok
    finally:
        for d in desks:
            d.dispose()
