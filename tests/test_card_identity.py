"""A bank order is credited only if it is ours (issue 10 §1), on both banks, against the sandbox over loopback.

A restored backup, a second ``init-db`` or two offices on one merchant account count the
same order numbers again; the bank then holds a stranger's order — paid — under "our"
number.  These tests reproduce each way and check balances, ledger entries and the
bank's own orders, never only our rows.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cashier_app.services import audit, card_identity, card_payments
from cashier_app.services.gateways.sberbank import SberbankClient
from cashier_app.services.gateways.tbank import TBankClient
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import copy_sqlite
from tests.test_card_helpers import (
    PAYEE_OF_BANK,
    Bank,
    Office,
    account_of,
    balance,
    bank,
    card_sum,
    ctx_for,
    office,
    order_state,
    point_payees_at,
)

__all__ = ["bank", "office"]
BANKS = ["sberbank", "tbank"]
AMOUNT = 12_345




def _db_path(db: Database) -> Path:
    return Path(str(db.engine.url.database))


def _client(bank_name: str, url: str) -> SberbankClient | TBankClient:
    if bank_name == "sberbank":
        return SberbankClient(url, "demo-api", "demo", connect_timeout=1, read_timeout=2)
    return TBankClient(url, "DemoTerminal", "demo-password", connect_timeout=1, read_timeout=2)


def _credited_card_entries(db: Database, account: str) -> int:
    with db.read() as uow:
        s = uow.session
        aid = s.execute(select(m.Account.id).where(m.Account.number == account)).scalar_one()
        return int(s.execute(select(func.count()).select_from(m.Payment).where(
            m.Payment.account_id == aid, m.Payment.method == "card", m.Payment.credited.is_(True))).scalar_one())


def _bank_orders(bank: Bank, bank_name: str, account: str, amount: int = AMOUNT) -> list[dict]:
    """The bank's own orders for this target and amount (its description names the account)."""
    return [o for o in bank.orders(bank=bank_name)
            if o["amount"] == amount and o["description"] == f"Л/с {account}"]


def _pay_and_settle(db: Database, bank: Bank, bank_name: str, account: str) -> card_payments.CardOrder:
    ctx = ctx_for(db)
    order = card_payments.start(ctx, account=account, amount_minor=AMOUNT)
    assert order.payment_url, order
    bank.pay(order.order_number, bank_name)
    done = card_payments.check(ctx, order.order_number)
    assert done.paid, done
    return done


@pytest.mark.parametrize("bank_name", BANKS)
def test_restore_from_backup_never_credits_the_earlier_customers_order(
        office: Office, bank_name: str, tmp_path: Path) -> None:
    payee = PAYEE_OF_BANK[bank_name]
    first, second = account_of(office.db, payee, 0), account_of(office.db, payee, 1)
    path, backup = _db_path(office.db), tmp_path / "office.backup"
    copy_sqlite(path, backup)  # cp office.sqlite3 office.backup
    before = {a: (balance(office.db, a), card_sum(office.db, a), _credited_card_entries(office.db, a))
              for a in (first, second)}
    paid = _pay_and_settle(office.db, office.bank, bank_name, first)  # a customer pays; then the disk dies
    office.db.dispose()
    copy_sqlite(backup, path)  # cp office.backup office.sqlite3
    db = Database(f"sqlite:///{path}")
    try:
        assert balance(db, first) == before[first][0]  # the restore lost the first payment (the office re-enters it)
        ctx = ctx_for(db)
        order = card_payments.start(ctx, account=second, amount_minor=AMOUNT)
        card_payments.check(ctx, order.order_number)
        card_payments.reconcile(ctx_for(db, "admin"))
        card_payments.reconcile(ctx_for(db, "admin"))
        # Nothing is credited: the customer's payment belongs to the lost, not the restored, books.
        for acc in (first, second):
            assert (balance(db, acc), card_sum(db, acc), _credited_card_entries(db, acc)) == before[acc], acc
        # A fresh order of our own at the bank: not the customer's paid one under a repeated number.
        assert order.order_number != paid.order_number
        assert order.state == "registered" and order.payment_url and not order.credited, order
        assert order_state(db, order.order_number) in (("registered", "pending", False), ("pending", "pending", False))
        # The bank: the customer's order still paid, untouched; ours a new, unpaid one.
        stranger = office.bank.orders(order_number=paid.order_number)
        assert [(o["status"], o["refunded"]) for o in stranger] == [("PAID", 0)]
        assert [o["status"] for o in _bank_orders(office.bank, bank_name, second)] == ["NEW"]
        # When our own customer pays our order, it alone is credited.
        office.bank.pay(order.order_number, bank_name)
        assert card_payments.check(ctx, order.order_number).paid
        assert balance(db, second) == before[second][0] + AMOUNT
        assert _credited_card_entries(db, second) == before[second][2] + 1
        assert audit.verify(db).ok
    finally:
        db.dispose()


@pytest.fixture
def second_office(tmp_path: Path, demo_db_path: Path, office: Office) -> Database:
    """Another office made from the same demo database (same counters), on the SAME merchant account."""
    target = tmp_path / "office-2.sqlite3"
    copy_sqlite(demo_db_path, target)
    db = Database(f"sqlite:///{target}")
    point_payees_at(db, office.bank.url)
    yield db  # type: ignore[misc]
    db.dispose()


@pytest.mark.parametrize("bank_name", BANKS)
def test_two_offices_on_one_merchant_never_credit_each_other(
        office: Office, second_office: Database, bank_name: str) -> None:
    payee = PAYEE_OF_BANK[bank_name]
    acc_a, acc_b = account_of(office.db, payee, 0), account_of(second_office, payee, 3)
    before_a = (balance(office.db, acc_a), _credited_card_entries(office.db, acc_a))
    before_b = (balance(second_office, acc_b), _credited_card_entries(second_office, acc_b))
    paid = _pay_and_settle(office.db, office.bank, bank_name, acc_a)
    ctx_b = ctx_for(second_office)
    order_b = card_payments.start(ctx_b, account=acc_b, amount_minor=AMOUNT)
    for _ in range(2):
        card_payments.reconcile(ctx_for(second_office, "admin"))
        card_payments.reconcile(ctx_for(office.db, "admin"))
    assert (balance(second_office, acc_b), _credited_card_entries(second_office, acc_b)) == before_b
    assert (balance(office.db, acc_a), _credited_card_entries(office.db, acc_a)) == (before_a[0] + AMOUNT,
                                                                                     before_a[1] + 1)
    assert order_b.order_number != paid.order_number
    assert order_b.state == "registered" and order_b.payment_url and not order_b.credited, order_b
    # One order per office at the bank for these targets; only office A's is paid.
    assert [o["status"] for o in _bank_orders(office.bank, bank_name, acc_a)] == ["PAID"]
    assert [o["status"] for o in _bank_orders(office.bank, bank_name, acc_b)] == ["NEW"]
    # The two databases share an installation id (a copy) — the identity's token keeps the numbers apart.
    with office.db.read() as ua, second_office.read() as ub:
        assert card_identity.installation_id(ua.session) == card_identity.installation_id(ub.session)


@pytest.mark.parametrize("stranger_uid", [None, "other"])
def test_sberbank_order_under_our_number_with_another_identity_is_not_adopted(
        office: Office, stranger_uid: str | None) -> None:
    acc = account_of(office.db, "interra")
    before = (balance(office.db, acc), _credited_card_entries(office.db, acc))
    ctx = ctx_for(office.db)
    opened = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT)
    # Someone else's order, same number and amount, already paid (a copied database, a hand-made order).
    uid = str(uuid.uuid4()) if stranger_uid else None
    _client("sberbank", office.bank.url).create_order(opened.order_number, AMOUNT, "чужой", order_uid=uid)
    office.bank.pay(opened.order_number, "sberbank")
    order = card_payments.register(ctx, opened.order_number)
    card_payments.reconcile(ctx_for(office.db, "admin"))
    assert (balance(office.db, acc), _credited_card_entries(office.db, acc)) == before
    assert order.order_number != opened.order_number and order.payment_id == opened.payment_id
    assert order.state == "registered" and order.payment_url and not order.credited
    assert [o["status"] for o in office.bank.orders(order_number=opened.order_number)] == ["PAID"]
    mine = office.bank.orders(order_number=order.order_number)
    with office.db.read() as uow:
        go = uow.session.execute(select(m.GatewayOrder).where(m.GatewayOrder.payment_id == opened.payment_id)
                                 ).scalar_one()
        p = uow.session.get(m.Payment, opened.payment_id)
        assert p is not None and p.gateway_order_number == go.order_number == order.order_number
    assert [(o["status"], o["params"]) for o in mine] == [("NEW", {"cashier_order_uid": go.order_uid})]
    assert audit.verify(office.db).ok


@pytest.mark.parametrize("bank_name", BANKS)
def test_our_own_earlier_register_is_adopted(office: Office, bank_name: str) -> None:
    """The first register reached the bank, its answer did not: same identity → adopted, not registered twice."""
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    before = balance(office.db, acc)
    ctx = ctx_for(office.db)
    opened = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT)
    with office.db.read() as uow:
        uid = uow.session.execute(select(m.GatewayOrder.order_uid).where(
            m.GatewayOrder.order_number == opened.order_number)).scalar_one()
    _client(bank_name, office.bank.url).create_order(opened.order_number, AMOUNT, "Л/с", order_uid=uid)
    order = card_payments.register(ctx, opened.order_number)
    assert order.order_number == opened.order_number and order.state in ("registered", "pending")
    office.bank.pay(order.order_number, bank_name)
    assert card_payments.check(ctx, order.order_number).paid
    assert balance(office.db, acc) == before + AMOUNT
    assert len(office.bank.orders(order_number=opened.order_number)) == 1


def _make_legacy(db: Database, number: str, legacy: str) -> None:
    """What an order written before migration 0003 looks like: a bare counter number, no identity."""
    with db.uow() as uow:
        s = uow.session
        go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.order_number == number)).scalar_one()
        s.execute(update(m.Payment).where(m.Payment.id == go.payment_id).values(gateway_order_number=legacy))
        go.order_number, go.order_uid = legacy, None
        uow.commit()


@pytest.mark.parametrize("bank_name", BANKS)
def test_order_from_before_identities_never_adopts_a_paid_order_under_its_number(
        office: Office, bank_name: str) -> None:
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    before = (balance(office.db, acc), _credited_card_entries(office.db, acc))
    ctx = ctx_for(office.db)
    legacy = "CA-000000042"
    # Another office's paid order with the same old-style number and amount.
    _client(bank_name, office.bank.url).create_order(legacy, AMOUNT, "чужой")
    office.bank.pay(legacy, bank_name)
    # A counter-side register: our order takes a new number and a fresh registration.
    opened = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT)
    _make_legacy(office.db, opened.order_number, legacy)
    order = card_payments.register(ctx, legacy)
    card_payments.reconcile(ctx_for(office.db, "admin"))
    assert (balance(office.db, acc), _credited_card_entries(office.db, acc)) == before
    assert order.order_number != legacy and order.state == "registered" and order.payment_url
    # Reconcile of another such order (nobody at the counter): held for a human, never credited.
    other = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT)
    _make_legacy(office.db, other.order_number, legacy + "7")
    _client(bank_name, office.bank.url).create_order(legacy + "7", AMOUNT, "чужой")
    office.bank.pay(legacy + "7", bank_name)
    lines = card_payments.reconcile(ctx_for(office.db, "admin"))
    assert any(ln.order_number == legacy + "7" and ln.after is not None and ln.after.state == "held" for ln in lines)
    card_payments.reconcile(ctx_for(office.db, "admin"))
    assert (balance(office.db, acc), _credited_card_entries(office.db, acc)) == before
    assert [o["status"] for o in office.bank.orders(order_number=legacy)] == ["PAID"]


def test_order_numbers_fit_both_banks_and_carry_the_identity(office: Office) -> None:
    ctx = ctx_for(office.db)
    acc = account_of(office.db, "interra")
    numbers = []
    for _ in range(20):
        number = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT).order_number
        numbers.append(number)
    with office.db.read() as uow:
        rows = uow.session.execute(select(m.GatewayOrder.order_number, m.GatewayOrder.order_uid).where(
            m.GatewayOrder.order_number.in_(numbers))).all()
        inst = card_identity.installation_id(uow.session)
    assert len(rows) == 20 and len({uid for _n, uid in rows}) == 20
    for number, uid in rows:
        assert len(number) <= 32 and number.startswith(f"CA-{inst}-")
        assert card_identity.carries(number, uid) and uuid.UUID(uid).version == 4


def test_cancelling_our_unregistered_order_leaves_the_strangers_order_alone(office: Office) -> None:
    acc = account_of(office.db, "interra")
    ctx = ctx_for(office.db)
    opened = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT)
    _client("sberbank", office.bank.url).create_order(opened.order_number, AMOUNT, "чужой",
                                                      order_uid=str(uuid.uuid4()))
    done = card_payments.cancel(ctx, opened.order_number)
    assert (done.state, done.payment_status, done.credited) == ("cancelled", "cancelled", False)
    assert [o["status"] for o in office.bank.orders(order_number=opened.order_number)] == ["NEW"]


def test_a_status_with_another_identity_is_held_not_credited(office: Office) -> None:
    """Defence in depth: even a registered order is credited only if the bank echoes our identity."""
    acc = account_of(office.db, "interra")
    before = (balance(office.db, acc), _credited_card_entries(office.db, acc))
    ctx = ctx_for(office.db)
    order = card_payments.start(ctx, account=acc, amount_minor=AMOUNT)
    office.bank.pay(order.order_number, "sberbank")
    with office.db.uow() as uow:  # as if the row had been copied onto another office's order
        uow.session.execute(update(m.GatewayOrder).where(m.GatewayOrder.order_number == order.order_number)
                            .values(order_uid=str(uuid.uuid4())))
        uow.commit()
    done = card_payments.check(ctx, order.order_number)
    assert (done.state, done.credited) == ("held", False) and "идентификатор" in done.status_text
    assert (balance(office.db, acc), _credited_card_entries(office.db, acc)) == before


def test_a_database_without_an_installation_id_makes_one_once(office: Office) -> None:
    with office.db.uow() as uow:
        uow.session.execute(m.Setting.__table__.delete().where(m.Setting.key == card_identity.INSTALLATION_KEY))
        uow.commit()
    ctx = ctx_for(office.db)
    acc = account_of(office.db, "interra")
    first = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT).order_number
    second = card_payments.open_order(ctx, account=acc, amount_minor=AMOUNT).order_number
    with office.db.read() as uow:
        values = uow.session.execute(select(m.Setting.value).where(
            m.Setting.key == card_identity.INSTALLATION_KEY)).scalars().all()
    assert len(values) == 1 and first.split("-")[1] == second.split("-")[1] == values[0]
