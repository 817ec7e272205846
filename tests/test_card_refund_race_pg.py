"""Issue 10 §2: eight desks refunding one card payment at once (PostgreSQL, eight OS processes).

Before: each desk read «nothing refunded yet»; a desk that asked the bank after the
first desk's refund had gone through, but before that desk recorded it, recorded
it too — the ledger held the bank's one refund twice (or refused the real one
with «вернуть можно не больше …»).  Now one desk claims the order at the
database (``card_refunds``) and the others are told a refund is running.

Sber: the first status check passes at once and the refund's answer is held back
2 s after the bank has done it; every other desk's status check is held 1 s, so
without the claim they look at the bank exactly while the refund is done but not
yet recorded.  T-Bank: all desks compute the same ExternalRequestId, the bank
refunds once and answers the rest with the state — without the claim each
answer is recorded.  (Both fail with ``_claim`` made to always succeed.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import TODAY
from tests.race_helpers import desk_processes
from tests.test_card_helpers import CARD_OK, PAYEE_OF_BANK, Bank, start_bank

PROCESSES = 8
AMOUNT = 100_000


def _ctx(db: Database, role: str, desk: str) -> Any:
    from cashier_app.services.context import DeskContext, UserInfo

    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.role == role, m.User.active.is_(True))
                                .order_by(m.User.id)).scalars().first()
        assert u is not None
    return DeskContext(db, desk, UserInfo(u.id, u.login, u.full_name, u.role), today_override=TODAY)


def _refund_worker(url: str, payment: str, n: int, barrier: Any, results: Any) -> None:
    from cashier_app.domain.errors import UserError
    from cashier_app.services import card_payments

    db = Database(url)
    try:
        ctx = _ctx(db, "manager", f"desk-{n}")  # connected and warm before the start
        barrier.wait()
        try:
            results.put(("ok", card_payments.refund(ctx, payment, reason="гонка возвратов").amount_minor))
        except UserError as exc:
            results.put(("refused", str(exc)))
    except BaseException as exc:  # reported to the test, which fails on it
        results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def _race(url: str, payment: str) -> list[tuple[str, Any]]:
    ctx = desk_processes()  # spawn-like, started from a preloaded fork server
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_refund_worker, args=(url, payment, n, barrier, results)) for n in range(PROCESSES)]
    for p in procs:
        p.start()
    # A generous bound so a deadlock fails the test instead of hanging the suite; not a timing check.
    out = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return out


@pytest.fixture
def pg_office(pg_database_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Bank]]:  # type: ignore[no-untyped-def]
    from cashier_app.services.bootstrap import open_database

    url = pg_database_factory(demo={"accounts": 40, "bookings": 10})
    db = open_database(url)
    server = start_bank(tmp_path / "bank.sqlite3")
    with db.uow() as uow:
        uow.session.execute(update(m.Payee).values(gateway_base_url=server.url))
        uow.commit()
    db.dispose()
    # Inherited by the spawned desks: read timeout above the 2 s the bank holds the refund's answer.
    monkeypatch.setenv("CASHIER_GW_TIMEOUTS", "2,8")
    try:
        yield url, Bank(server)
        assert not server.spec_violations, server.spec_violations
    finally:
        server.stop()


def _paid_card_payment(url: str, bank: Bank, bank_name: str) -> tuple[str, str, int, int]:
    """(payment number, order number, account id, balance after payment) of a credited card payment."""
    from cashier_app.services import card_payments

    db = Database(url)
    try:
        ctx = _ctx(db, "cashier", "desk-pay")
        with db.read() as uow:
            account = uow.session.execute(
                select(m.Account.number).join(m.Contract).join(m.Payee, m.Payee.id == m.Contract.payee_id)
                .where(m.Payee.code == PAYEE_OF_BANK[bank_name]).order_by(m.Account.id).limit(1)).scalar_one()
        order = card_payments.start(ctx, account=account, amount_minor=AMOUNT)
        bank.pay(order.order_number, bank_name, CARD_OK)
        done = card_payments.check(ctx, order.order_number)
        assert done.credited
        with db.read() as uow:
            acc = uow.session.execute(select(m.Account).where(m.Account.number == account)).scalar_one()
            return done.payment_number, done.order_number, acc.id, acc.balance_minor
    finally:
        db.dispose()


@pytest.mark.parametrize("bank_name", ["sberbank", "tbank"])
def test_parallel_card_refunds_record_the_banks_one_refund_once(pg_office: tuple[str, Bank], bank_name: str) -> None:
    url, bank = pg_office
    payment, order_number, account_id, paid_balance = _paid_card_payment(url, bank, bank_name)
    if bank_name == "sberbank":
        bank.fault("getOrderStatusExtended.do", "delay", count=PROCESSES, delay_secs=1.0, after=1)
        bank.fault("refund.do", "delay_after_processing", count=1, delay_secs=2.0)
    out = _race(url, payment)

    assert not [o for o in out if o[0] == "error"], out
    texts = [str(v) for _, v in out]
    assert not [t for t in texts if "не больше" in t or re.search(r"-\d[\d\s]*,\d\d", t)], texts
    assert [v for k, v in out if k == "ok"] == [AMOUNT], out  # one desk refunded, and it was told so
    bank_orders = bank.orders(order_number=order_number)
    assert [o["refunded"] for o in bank_orders] == [AMOUNT]  # the bank refunded once
    db = Database(url)
    try:
        with db.read() as uow:
            s = uow.session
            pid = s.execute(select(m.Payment.id).where(m.Payment.number == payment)).scalar_one()
            entries, given = s.execute(select(func.count(), func.coalesce(func.sum(m.Payment.amount_minor), 0))
                                       .where(m.Payment.reverses_id == pid)).one()
            go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.order_number == order_number)).scalar_one()
            balance = s.execute(select(m.Account.balance_minor).where(m.Account.id == account_id)).scalar_one()
    finally:
        db.dispose()
    # The ledger holds exactly what the bank refunded, once.
    assert (entries, -given) == (1, AMOUNT)
    assert (go.refunded_minor, go.state, go.last_error) == (AMOUNT, "refunded", None)
    assert balance == paid_balance - AMOUNT
