"""The counter's card flow end to end through the service, against the sandbox bank over loopback."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from cashier_app.domain.errors import PermissionDenied, RuleViolation, ValidationError
from cashier_app.services import audit, card_payments
from cashier_app.services.gateways.sberbank import SberbankClient
from cashier_app.services.gateways.tbank import TBankClient
from cashier_app.storage import models as m
from tests.test_card_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_NO_FUNDS,
    PAYEE_OF_BANK,
    Office,
    account_of,
    balance,
    bank,
    card_sum,
    credited_entries,
    ctx_for,
    office,
    order_state,
)

__all__ = ["bank", "office"]
BANKS = ["sberbank", "tbank"]


def _open(office: Office, bank_name: str, amount: int = 150_000) -> tuple[card_payments.CardOrder, str, int]:
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    before = balance(office.db, acc)
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=amount)
    return order, acc, before


@pytest.mark.parametrize("bank_name", BANKS)
def test_paid_is_credited_once(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    assert order.state == "registered" and order.payment_url and order.payment_status == "pending"
    assert order.order_number.startswith("CA-")
    assert not order.credited
    office.bank.pay(order.order_number, bank_name)
    ctx = ctx_for(office.db)
    done = card_payments.check(ctx, order.order_number)
    assert (done.state, done.payment_status, done.credited) == ("paid", "paid", True)
    assert done.status_text == "Оплачено"
    if bank_name == "sberbank":  # GetState of T-Bank carries no masked PAN
        assert (done.card_mask or "").endswith("0013")
    # Polling again (another desk, reconcile) changes nothing.
    card_payments.check(ctx, order.order_number)
    assert card_payments.reconcile(ctx) == []
    assert balance(office.db, acc) == before + 150_000
    assert credited_entries(office.db, order.order_number) == 1
    assert audit.verify(office.db).ok


@pytest.mark.parametrize("bank_name", BANKS)
@pytest.mark.parametrize(("card", "words"), [(CARD_DECLINED, "отклон"), (CARD_NO_FUNDS, "Недостаточно средств")])
def test_declined_with_reason_in_russian(office: Office, bank_name: str, card: str, words: str) -> None:
    order, acc, before = _open(office, bank_name)
    office.bank.pay(order.order_number, bank_name, card)
    done = card_payments.check(ctx_for(office.db), order.order_number)
    assert (done.state, done.payment_status, done.credited) == ("declined", "declined", False)
    assert words.lower() in done.status_text.lower(), done.status_text
    assert balance(office.db, acc) == before


@pytest.mark.parametrize("bank_name", BANKS)
def test_three_ds_challenge_then_paid(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    assert office.bank.pay(order.order_number, bank_name, CARD_3DS)["status"] == "3DS"
    ctx = ctx_for(office.db)
    mid = card_payments.check(ctx, order.order_number)
    assert mid.state == "pending" and not mid.final and not mid.credited
    office.bank.pay(order.order_number, bank_name, CARD_3DS, three_ds_code="123456")
    assert card_payments.check(ctx, order.order_number).state == "paid"
    assert balance(office.db, acc) == before + 150_000


@pytest.mark.parametrize("bank_name", BANKS)
def test_three_ds_failed(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    office.bank.pay(order.order_number, bank_name, CARD_3DS)
    office.bank.pay(order.order_number, bank_name, CARD_3DS, three_ds_code="000000")
    done = card_payments.check(ctx_for(office.db), order.order_number)
    assert done.state == "declined" and "3" in done.status_text and "Secure" in done.status_text.replace("3DS", "3-D Secure")
    assert balance(office.db, acc) == before


@pytest.mark.parametrize("bank_name", BANKS)
def test_expired_after_the_pay_window(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    ctx = ctx_for(office.db)
    office.bank.advance(card_payments.PAY_WINDOW_SECS - 200)
    assert card_payments.check(ctx, order.order_number).state == "pending"
    office.bank.advance(400)
    done = card_payments.check(ctx, order.order_number)
    assert (done.state, done.payment_status) == ("expired", "expired")
    assert "истекло" in done.status_text
    assert balance(office.db, acc) == before


@pytest.mark.parametrize("bank_name", BANKS)
def test_cancel_before_payment(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    done = card_payments.cancel(ctx_for(office.db), order.order_number)
    assert (done.state, done.payment_status, done.credited) == ("cancelled", "cancelled", False)
    # The link is dead: a late card cannot pay it, and nothing is credited.
    late = office.bank.control("pay", {"order_number": order.order_number, "bank": bank_name,
                                       "card": "2201382000000013", "cvc": "123"})
    assert late["status"] != "PAID"
    assert card_payments.check(ctx_for(office.db), order.order_number).state == "cancelled"
    with pytest.raises(RuleViolation, match="уже завершён"):
        card_payments.cancel(ctx_for(office.db), order.order_number)
    assert balance(office.db, acc) == before


@pytest.mark.parametrize("bank_name", BANKS)
def test_cancel_after_customer_paid_credits_instead(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    office.bank.pay(order.order_number, bank_name)
    done = card_payments.cancel(ctx_for(office.db), order.order_number)
    assert done.state == "paid" and done.credited
    assert balance(office.db, acc) == before + 150_000


@pytest.mark.parametrize("bank_name", BANKS)
def test_partial_then_full_refund(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    office.bank.pay(order.order_number, bank_name)
    card_payments.check(ctx_for(office.db), order.order_number)
    manager = ctx_for(office.db, "manager")
    with pytest.raises(PermissionDenied):
        card_payments.refund(ctx_for(office.db), order.payment_number, amount_minor=100, reason="ошибка")
    first = card_payments.refund(manager, order.payment_number, amount_minor=50_000, reason="ошибка в сумме")
    assert first.amount_minor == 50_000
    assert card_payments.get(manager, order.order_number).state == "partially_refunded"
    assert balance(office.db, acc) == before + 100_000
    with pytest.raises(ValidationError, match="Сумма возврата"):
        card_payments.refund(manager, order.payment_number, amount_minor=100_001, reason="ещё")
    rest = card_payments.refund(manager, order.payment_number, reason="отказ от услуги")
    assert rest.amount_minor == 100_000
    got = card_payments.get(manager, order.order_number)
    assert (got.state, got.refunded_minor) == ("refunded", 150_000)
    assert balance(office.db, acc) == before
    with pytest.raises(RuleViolation, match="всё возвращено"):
        card_payments.refund(manager, order.payment_number, reason="третий раз")
    bank_order = office.bank.orders(order_number=order.order_number)[0]
    assert bank_order["refunded"] == 150_000
    assert card_sum(office.db, acc) == 0
    assert audit.verify(office.db).ok


def _raw_client(bank_name: str, url: str) -> SberbankClient | TBankClient:
    if bank_name == "sberbank":
        return SberbankClient(url, "demo-api", "demo", connect_timeout=1, read_timeout=2)
    return TBankClient(url, "DemoTerminal", "demo-password", connect_timeout=1, read_timeout=2)


@pytest.mark.parametrize("bank_name", BANKS)
def test_duplicate_order_number_is_recovered_not_registered_twice(office: Office, bank_name: str) -> None:
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    before = balance(office.db, acc)
    ctx = ctx_for(office.db)
    opened = card_payments.open_order(ctx, account=acc, amount_minor=150_000)
    with office.db.read() as uow:
        uid = uow.session.execute(select(m.GatewayOrder.order_uid).where(
            m.GatewayOrder.order_number == opened.order_number)).scalar_one()
    # The first Register (with our identity) reached the bank but its answer never reached us (a crash).
    # An order under our number WITHOUT our identity is a stranger's: tests/test_card_identity.py.
    _raw_client(bank_name, office.bank.url).create_order(opened.order_number, 150_000, "Л/с", order_uid=uid)
    order = card_payments.register(ctx, opened.order_number)
    assert order.state in ("registered", "pending") and order.bank_order_id
    assert order.order_number == opened.order_number
    assert len(office.bank.orders(order_number=opened.order_number)) == 1
    office.bank.pay(order.order_number, bank_name)
    assert card_payments.check(ctx, order.order_number).state == "paid"
    assert balance(office.db, acc) == before + 150_000
    assert credited_entries(office.db, order.order_number) == 1


@pytest.mark.parametrize("bank_name", BANKS)
def test_amount_mismatch_is_held_not_credited(office: Office, bank_name: str) -> None:
    order, acc, before = _open(office, bank_name)
    office.bank.pay(order.order_number, bank_name)
    with office.db.uow() as uow:  # our record says something else than what the bank charged
        uow.session.execute(update(m.GatewayOrder).where(m.GatewayOrder.order_number == order.order_number)
                            .values(amount_minor=149_999))
        uow.commit()
    done = card_payments.check(ctx_for(office.db), order.order_number)
    assert (done.state, done.payment_status, done.credited) == ("held", "held", False)
    assert "1 500,00" in done.status_text.replace("\xa0", " ")
    assert balance(office.db, acc) == before


def test_order_numbers_are_unique_and_written_before_the_bank(office: Office) -> None:
    ctx = ctx_for(office.db)
    acc = account_of(office.db, "interra")
    numbers = {card_payments.open_order(ctx, account=acc, amount_minor=100 + i).order_number for i in range(5)}
    assert len(numbers) == 5
    for number in numbers:
        assert order_state(office.db, number) == ("new", "pending", False)
        assert office.bank.orders(order_number=number) == []


def test_booking_partial_payment_in_tour_currency(office: Office) -> None:
    ctx = ctx_for(office.db, "manager")
    with office.db.read() as uow:
        b = uow.session.execute(select(m.Booking).where(
            m.Booking.status == "confirmed", m.Booking.paid_minor < m.Booking.price_minor,
            m.Booking.currency != "RUB")).scalars().first()
        number, paid_before = b.number, b.paid_minor
    order = card_payments.start(ctx, booking=number, amount_minor=10_000)  # 100.00 in the tour currency
    assert order.target_amount_minor == 10_000 and order.amount_minor > 10_000
    office.bank.pay(order.order_number, "sberbank")
    assert card_payments.check(ctx, order.order_number).state == "paid"
    with office.db.read() as uow:
        b = uow.session.execute(select(m.Booking).where(m.Booking.number == number)).scalar_one()
        assert b.paid_minor == paid_before + 10_000
    with pytest.raises(ValidationError, match="Сумма в валюте тура"):
        card_payments.open_order(ctx, booking=number, amount_minor=b.price_minor * 10)


def test_chronopay_needs_a_statement_confirmation(office: Office) -> None:
    acc = account_of(office.db, "nts")
    before = balance(office.db, acc)
    cashier = ctx_for(office.db)
    order = card_payments.start(cashier, account=acc, amount_minor=50_000)
    assert order.state == "manual" and "sign=" in (order.payment_url or "")
    assert "выписке" in order.status_text
    assert card_payments.check(cashier, order.order_number).state == "manual"
    with pytest.raises(PermissionDenied):
        card_payments.confirm_manual(cashier, order.order_number, "12345")
    manager = ctx_for(office.db, "manager")
    with pytest.raises(ValidationError, match="Номер операции по выписке"):
        card_payments.confirm_manual(manager, order.order_number, "  ")
    done = card_payments.confirm_manual(manager, order.order_number, "ВП-2024-77")
    assert done.state == "paid" and done.credited
    # A second confirmation is refused, not credited twice.
    with pytest.raises(RuleViolation):
        card_payments.confirm_manual(manager, order.order_number, "ВП-2024-77")
    assert balance(office.db, acc) == before + 50_000


def test_wrong_input_names_the_field(office: Office) -> None:
    ctx = ctx_for(office.db)
    acc = account_of(office.db, "interra")
    for amount in (None, 0, -5):
        with pytest.raises(ValidationError) as err:
            card_payments.open_order(ctx, account=acc, amount_minor=amount)
        assert err.value.field == "Сумма"
    with pytest.raises(ValidationError) as err:
        card_payments.open_order(ctx, account=acc, booking="1", amount_minor=100)
    assert err.value.field == "Получатель"
    with pytest.raises(ValidationError) as err:
        card_payments.open_order(ctx, account=acc, amount_minor=100, provider="tbank2")
    assert "tbank2" in str(err.value) or err.value.field
    order = card_payments.start(ctx, account=acc, amount_minor=10_000)
    office.bank.pay(order.order_number, "sberbank")
    card_payments.check(ctx, order.order_number)
    manager = ctx_for(office.db, "manager")
    with pytest.raises(ValidationError) as err:
        card_payments.refund(manager, order.payment_number, reason="  ")
    assert err.value.field == "Причина"
    with pytest.raises(ValidationError) as err:
        card_payments.refund(manager, order.payment_number, amount_minor=0, reason="x")
    assert err.value.field == "Сумма возврата"


def test_real_bank_url_never_gets_a_demo_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CASHIER_GW_SECRET_SBERBANK_INTERRA", "CASHIER_GW_SECRET_TBANK_DEM"):
        monkeypatch.delenv(var, raising=False)
    assert card_payments.gateway_secret("sberbank", "interra", "http://127.0.0.1:8765") == "demo"
    assert card_payments.gateway_secret("tbank", "dem", "http://localhost:9/v2") == "demo-password"
    assert card_payments.gateway_secret("sberbank", "interra", "https://securepayments.sberbank.ru") is None
    assert card_payments.gateway_secret("tbank", "dem", "https://127.0.0.1.evil.example/v2") is None
    monkeypatch.setenv("CASHIER_GW_SECRET_TBANK_DEM", "from-env")
    assert card_payments.gateway_secret("tbank", "dem", "http://127.0.0.1:8765") == "from-env"


def test_provider_override_only_for_the_sandbox(office: Office) -> None:
    ctx = ctx_for(office.db)
    acc = account_of(office.db, "nts")  # a ChronoPay payee paid through the T-Bank sandbox for a demo
    order = card_payments.start(ctx, account=acc, amount_minor=20_000, provider="tbank")
    assert order.provider == "tbank" and order.state == "registered"
    office.bank.pay(order.order_number, "tbank")
    assert card_payments.check(ctx, order.order_number).state == "paid"
    with office.db.uow() as uow:
        uow.session.execute(update(m.Payee).where(m.Payee.code == "nts")
                            .values(gateway_base_url="https://payments.chronopay.com/"))
        uow.commit()
    with pytest.raises(ValidationError, match="--provider"):
        card_payments.open_order(ctx, account=acc, amount_minor=20_000, provider="tbank")
