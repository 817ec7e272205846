"""The fiscal outbox against the register emulator over loopback: both protocols × sale / cancel / refund /
correction; exactly one document per receipt whatever the register or the network does.

Every receipt is counted where it is made — ``srv.documents()`` of the real emulator — not in our table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.services import audit, corrections, fiscal_delivery, fiscal_views, ledger
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.fiscal.fc_helpers import (
    docs_for,
    open_desk,
    pay,
    receipt_docs,
    register,
    row_of,
    rows,
    set_fiscal,
)

__all__ = ["register"]
MODES = ("atol_web", "atol_online")


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "1,0.5")


def settle(ctx: Any, rounds: int = 6) -> None:
    """Reconcile until nothing is unfinished (each round asks the register first)."""
    for _ in range(rounds):
        if fiscal_delivery.reconcile(ctx, wait_secs=2).unfinished == 0:
            return
    raise AssertionError([(r.key, r.state, r.last_error) for r in rows(ctx.db) if r.state in ("pending", "sent")])


def paid(db: Database, number: str) -> tuple[str, bool]:
    with db.read() as uow:
        p = uow.session.execute(select(m.Payment).where(m.Payment.number == number)).scalar_one()
        return p.status, p.credited


@pytest.mark.parametrize("mode", MODES)
def test_cash_sale_makes_one_receipt_with_agent_data(fresh_db: Database, register: Any, mode: str) -> None:
    set_fiscal(fresh_db, register, mode)
    ctx = open_desk(fresh_db, register)
    res = pay(ctx, 12_345, contact="+7 (912) 345-67-89")
    assert res.fiscal is not None and res.fiscal.state == "done", res.fiscal
    assert "пробит" in res.fiscal.text and res.fiscal.qr and "s=123.45" in res.fiscal.qr and "n=1" in res.fiscal.qr
    r = row_of(fresh_db, res.payment_number)
    assert (r.operation, r.channel, r.amount_minor, r.contact, r.attempts) == ("sell", mode, 12_345, "+79123456789", 1)
    docs = docs_for(register, r.key)
    assert len(docs) == 1 and len(receipt_docs(register)) == 1
    d = docs[0]
    assert (d["type"], d["total_minor"], d["protocol"]) == ("sell", 12_345, "web" if mode == "atol_web" else "online")
    assert [(p["type"], p["sum_minor"]) for p in d["payments"]] == [("cash", 12_345)]
    assert d["fd_number"] == r.fd_number and d["fiscal_sign"] == r.fiscal_sign and d["fn_number"] == r.fn_number
    assert d["client"] and "79123456789" in str(d["client"])
    # The payee's agent and supplier data ride on the item (a payment agent / an agent for the operator).
    assert "agent" in str(d["items"]).lower() and "supplier" in str(d["items"]).lower()
    assert "Смирнова" in str(d["operator"]) or d["operator"]
    assert audit.verify(fresh_db).ok


@pytest.mark.parametrize("mode", MODES)
def test_cancel_and_refund_make_one_sell_return_each(fresh_db: Database, register: Any, mode: str) -> None:
    set_fiscal(fresh_db, register, mode)
    ctx = manager = open_desk(fresh_db, register, "manager")  # a manager takes the money and gives it back
    a = pay(ctx, 50_000)
    corrections.cancel_payment(manager, a.payment_number, "ошибся счётом")
    b = pay(ctx, 70_000, offset=1)
    corrections.refund_payment(manager, b.payment_number, "заявление клиента", amount_minor=20_000)
    corrections.refund_payment(manager, b.payment_number, "заявление клиента")
    settle(ctx)
    ret_a = row_of(fresh_db, a.payment_number, "sell_return")
    assert (ret_a.state, ret_a.amount_minor) == ("done", 50_000)
    rets_b = [r for r in rows(fresh_db, b.payment_number) if r.operation == "sell_return"]
    assert sorted(r.amount_minor for r in rets_b) == [20_000, 50_000] and {r.state for r in rets_b} == {"done"}
    kinds = sorted(d["type"] for d in receipt_docs(register))
    assert kinds == ["sell", "sell", "sellReturn", "sellReturn", "sellReturn"]
    for r in [ret_a, *rets_b]:
        (d,) = docs_for(register, r.key)
        assert d["total_minor"] == r.amount_minor and d["payments"][0]["type"] == "cash"


def test_no_register_means_no_receipt(fresh_db: Database, register: Any) -> None:
    set_fiscal(fresh_db, register, "none")
    ctx = open_desk(fresh_db, register)
    res = pay(ctx)
    assert res.fiscal is None and rows(fresh_db, res.payment_number) == []
    assert receipt_docs(register) == []


def test_row_commits_with_the_money_or_not_at_all(fresh_db: Database, register: Any) -> None:
    """The outbox row is written inside ``ledger.credit``'s transaction: a rollback takes both."""
    set_fiscal(fresh_db, register)
    ctx = open_desk(fresh_db, register)
    with fresh_db.read() as uow:
        shift_id = uow.session.execute(select(m.CashShift.id).where(m.CashShift.status == "open")).scalar_one()
    before = len(rows(fresh_db))
    with fresh_db.uow() as uow:
        s = uow.session
        target, payee = ledger.find_target(s, account="0000001")
        p = ledger.open_payment(s, ctx, target, method="cash", amount_minor=100, payee_id=payee, shift_id=shift_id)
        assert ledger.credit(s, ctx, p.id)
        assert s.execute(select(func.count()).select_from(m.FiscalReceipt)
                         .where(m.FiscalReceipt.payment_id == p.id)).scalar_one() == 1
        uow.rollback()
    assert len(rows(fresh_db)) == before


@pytest.mark.parametrize("mode", MODES)
def test_register_offline_leaves_the_payment_paid_and_the_receipt_queued(fresh_db: Database, register: Any,
                                                                           mode: str) -> None:
    set_fiscal(fresh_db, register, mode)
    ctx = open_desk(fresh_db, register)
    register.set_state(offline=True)
    res = pay(ctx)
    assert paid(fresh_db, res.payment_number) == ("paid", True)
    assert res.fiscal is not None and res.fiscal.state == "sent", res.fiscal
    assert "Платёж проведён" in res.fiscal.text and "нет ответа" in res.fiscal.text
    assert res.slip is not None
    register.set_state(offline=False)
    settle(ctx)
    r = row_of(fresh_db, res.payment_number)
    assert r.state == "done" and len(docs_for(register, r.key)) == 1


FAULTS = ("drop_after_processing", "drop_before_processing", "http500", "wait", "paper_out", "offline", "delay")
STEPS = {"atol_web": ("sell", "requests", "results", "*"), "atol_online": ("sell", "report", "getToken", "*")}
CASES = [(mode, kind) for mode in MODES for kind in FAULTS]


@pytest.mark.parametrize(("mode", "kind"), CASES)
def test_every_fault_at_every_step_makes_exactly_one_document(fresh_db: Database, register: Any, mode: str,
                                                              kind: str) -> None:
    set_fiscal(fresh_db, register, mode)
    ctx = open_desk(fresh_db, register)
    manager = open_desk(fresh_db, register, "manager")
    for i, step in enumerate(STEPS[mode]):
        register.fault(step, kind, count=2, delay_secs=0.8)  # longer than the read timeout
        res = pay(ctx, 33_300 + i, offset=i)
        assert paid(fresh_db, res.payment_number) == ("paid", True)
        assert res.fiscal is not None and ("Платёж проведён" in res.fiscal.text or res.fiscal.state == "done")
        settle(ctx)
        register.clear_faults()
        _one_document(fresh_db, register, ctx, manager, res.payment_number, 33_300 + i, (step, kind))
    assert len(receipt_docs(register)) == len(STEPS[mode])


def _one_document(db: Database, srv: Any, ctx: Any, manager: Any, number: str, amount: int, why: object) -> None:
    r = row_of(db, number)
    if r.state == "failed":
        # A definite refusal (no paper): the register's reason is kept; «Повторить» once paper is in
        # sends the same receipt under a new key (the register made nothing under the old one).
        assert r.last_error, (why, r)
        old_key = r.key
        srv.set_state(paper=True)  # the cashier loads paper, then presses «Повторить»
        fiscal_delivery.retry(ctx, number, wait_secs=2)
        settle(ctx)
        r = row_of(db, number)
        # ATOL Web keeps a failed uuid for ever (409): the key must move; ATOL Online frees an
        # external_id it refused without a uuid, so the same key may serve again.
        assert r.key != old_key or r.channel == "atol_online", (why, r.key)
        if r.key != old_key:
            assert docs_for(srv, old_key) == [], why
    assert r.state == "done", (why, r.state, r.last_error)
    (d,) = docs_for(srv, r.key)
    assert d["total_minor"] == amount and r.fd_number == d["fd_number"], why


def test_a_document_under_our_key_on_another_amount_is_not_adopted(fresh_db: Database, register: Any) -> None:
    """«Already there» is believed only when the register's total is ours."""
    from cashier_app.domain import fiscal_receipt as fr

    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    register.set_state(offline=True)
    res = pay(ctx, 40_000)
    register.set_state(offline=False)
    r = row_of(fresh_db, res.payment_number)
    job = fiscal_delivery._job(ctx, r.id)
    other = fr.from_json(r.body)
    item = other.items[0]
    cheaper = type(item)(**{**{f: getattr(item, f) for f in item.__slots__}, "price_minor": 100, "amount_minor": 100})
    other = type(other)(**{**{f: getattr(other, f) for f in other.__dataclass_fields__},
                           "items": (cheaper,), "payments": (("cash", 100),), "total_minor": 100})
    client = fiscal_delivery._client(ctx, job)
    client.submit(r.key, other)  # someone else's document under our key
    fiscal_delivery.deliver(ctx, r.id, wait_secs=2)
    r = row_of(fresh_db, res.payment_number)
    assert r.state == "failed" and "не принят как наш" in (r.last_error or "") and r.fd_number is None
    assert paid(fresh_db, res.payment_number) == ("paid", True)


def test_a_held_lease_keeps_others_away_and_a_dead_holder_is_taken_over(fresh_db: Database, register: Any) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    register.set_state(offline=True)
    res = pay(ctx)
    register.set_state(offline=False)
    r = row_of(fresh_db, res.payment_number)
    later = datetime.now(UTC) + timedelta(minutes=5)
    live = f"{__import__('os').getpid()}@{fiscal_delivery._HOST}:live"
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.FiscalReceipt).where(m.FiscalReceipt.id == r.id)
                            .values(claim_token=live, claimed_until=later))
        uow.commit()
    assert fiscal_delivery.deliver(ctx, r.id).state == "sent"  # held by a live process: not touched
    assert docs_for(register, r.key) == [] and row_of(fresh_db, res.payment_number).attempts == r.attempts
    dead = f"{2 ** 22 + 12345}@{fiscal_delivery._HOST}:dead"  # above any pid this machine hands out
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.FiscalReceipt).where(m.FiscalReceipt.id == r.id).values(claim_token=dead))
        uow.commit()
    assert fiscal_delivery.deliver(ctx, r.id).state == "done"
    assert len(docs_for(register, r.key)) == 1


def test_retry_and_correct_rules(fresh_db: Database, register: Any) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    manager = open_desk(fresh_db, register, "manager")
    res = pay(ctx)
    with pytest.raises(RuleViolation, match="уже пробит"):
        fiscal_delivery.retry(ctx, res.payment_number)
    with pytest.raises(RuleViolation, match="коррекция не нужна"):
        fiscal_delivery.correct(manager, res.payment_number, "ошибка")
    with pytest.raises(ValidationError):
        fiscal_delivery.correct(manager, res.payment_number, "  ")
    from cashier_app.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        fiscal_delivery.correct(ctx, res.payment_number, "ошибка")
    views = fiscal_views.receipts(ctx, res.payment_number)
    assert [v.operation for v in views] == ["sell"] and views[0].as_json()["state"] == "done"
    assert len(receipt_docs(register)) == 1


def test_two_desks_two_registers(fresh_db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each desk's receipts go to its own register (desk-local URL); reconcile settles only its own desk's."""
    from cashier_app.settings import DeskSettings
    from tests.fiscal.fc_helpers import start_register

    one, two = start_register(tmp_path / "r1.sqlite"), start_register(tmp_path / "r2.sqlite")
    try:
        set_fiscal(fresh_db, one, "atol_web", url="http://127.0.0.1:9")  # the payee's URL: nobody there
        made: dict[str, list[str]] = {}
        for desk, srv in (("desk-1", one), ("desk-2", two)):
            monkeypatch.setenv("CASHIER_CONFIG_DIR", str(tmp_path / desk))
            DeskSettings().set("fiscal_register_url", srv.web_url)
            ctx = open_desk(fresh_db, srv, desk=desk)
            made[desk] = [pay(ctx, 10_000 + i, offset=i).payment_number for i in range(2)]
        # desk-2's register goes offline for its third payment; desk-1's reconcile must leave that row alone.
        two.set_state(offline=True)
        late = pay(open_desk(fresh_db, two, desk="desk-2"), 10_500, offset=5).payment_number
        two.set_state(offline=False)
        monkeypatch.setenv("CASHIER_CONFIG_DIR", str(tmp_path / "desk-1"))
        fiscal_delivery.reconcile(open_desk(fresh_db, one, desk="desk-1"))
        assert row_of(fresh_db, late).state == "sent" and docs_for(two, row_of(fresh_db, late).key) == []
        monkeypatch.setenv("CASHIER_CONFIG_DIR", str(tmp_path / "desk-2"))
        fiscal_delivery.reconcile(open_desk(fresh_db, two, desk="desk-2"))
        made["desk-2"].append(late)
        for desk, srv, other in (("desk-1", one, two), ("desk-2", two, one)):
            for number in made[desk]:
                r = row_of(fresh_db, number)
                assert r.state == "done" and r.register_url == srv.web_url
                assert len(docs_for(srv, r.key)) == 1 and docs_for(other, r.key) == []
        assert len(receipt_docs(one)) == 2 and len(receipt_docs(two)) == 3
    finally:
        one.stop()
        two.stop()


def test_card_payment_and_refund_receipts(fresh_db: Database, register: Any, tmp_path: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A card payment: one ``sell`` paid electronically after the credit's commit; its refund one ``sellReturn``."""
    from cashier_app.services import card_payments
    from tests.test_card_helpers import PAYEE_OF_BANK, Bank, account_of, point_payees_at, start_bank

    monkeypatch.setenv("CASHIER_GW_TIMEOUTS", "1,0.5")
    server = start_bank(tmp_path / "bank.sqlite3")
    try:
        bank = Bank(server)
        point_payees_at(fresh_db, bank.url)
        set_fiscal(fresh_db, register, "atol_online")
        ctx = open_desk(fresh_db, register)
        acc = account_of(fresh_db, PAYEE_OF_BANK["tbank"])
        order = card_payments.start(ctx, account=acc, amount_minor=25_000)
        bank.pay(order.order_number, "tbank")
        done = card_payments.check(ctx, order.order_number)
        assert done.state == "paid"
        with fresh_db.read() as uow:
            number = uow.session.execute(select(m.Payment.number).join(m.GatewayOrder)
                                         .where(m.GatewayOrder.order_number == order.order_number)).scalar_one()
        r = row_of(fresh_db, number)
        assert r.state == "done", r.last_error
        (d,) = docs_for(register, r.key)
        assert d["payments"][0]["type"] in ("electronically", "card", "1") and d["total_minor"] == 25_000
        card_payments.refund(open_desk(fresh_db, register, "manager"), number, amount_minor=5_000, reason="возврат")
        ret = row_of(fresh_db, number, "sell_return")
        assert ret.state == "done" and ret.amount_minor == 5_000
        assert [x["type"] for x in receipt_docs(register)] == ["sell", "sellReturn"]
        # card_by_bank: the bank's register makes the receipt, the outbox only says so.
        set_fiscal(fresh_db, register, "atol_web", card_by_bank=True)
        order = card_payments.start(ctx, account=acc, amount_minor=1_000)
        bank.pay(order.order_number, "tbank")
        card_payments.check(ctx, order.order_number)
        (last,) = [x for x in rows(fresh_db) if x.amount_minor == 1_000]
        assert (last.state, last.channel) == ("bank", "bank") and len(receipt_docs(register)) == 2
    finally:
        server.stop()


def test_paperless_receipt_goes_to_the_customer(fresh_db: Database, register: Any) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    with pytest.raises(ValidationError, match="e-mail"):
        pay(ctx, paperless=True)  # nowhere to send it
    with pytest.raises(ValidationError):
        pay(ctx, contact="не телефон")
    res = pay(ctx, 5_000, contact="Buyer@Example.ru", paperless=True)
    r = row_of(fresh_db, res.payment_number)
    assert r.state == "done" and r.electronically and r.contact == "Buyer@example.ru"  # the domain is case-blind
    (d,) = docs_for(register, r.key)
    assert d["electronically"] is True and "Buyer@example.ru" in str(d["client"])


def test_settings_the_receipt_cannot_be_built_from_never_refuse_the_money(fresh_db: Database, register: Any) -> None:
    """A broken rule fails the receipt (nothing sent), not the payment; fixed, «Повторить» builds and sends it."""
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.FiscalSettings).values(supplier_inn="123"))
        uow.commit()
    res = pay(ctx, 7_700)
    assert paid(fresh_db, res.payment_number) == ("paid", True)
    assert res.fiscal is not None and res.fiscal.state == "failed" and "не сформирован" in (res.fiscal.last_error or "")
    with pytest.raises(RuleViolation, match="по-прежнему"):
        fiscal_delivery.retry(ctx, res.payment_number)
    with fresh_db.uow() as uow:  # the administrator puts the right INN back (the payee's own, as in the demo)
        for row in uow.session.execute(select(m.FiscalSettings)).scalars():
            p = uow.session.get(m.Payee, row.payee_id)
            row.supplier_inn = p.inn if p is not None else row.supplier_inn
        uow.commit()
    (view,) = fiscal_delivery.retry(ctx, res.payment_number)
    assert view.state == "done", view.last_error
    assert len(docs_for(register, row_of(fresh_db, res.payment_number).key)) == 1
