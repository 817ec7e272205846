"""The bank's own online register (payee ``card_by_bank``): T-Bank ``Receipt`` in Init and Cancel, Sber
``orderBundle`` in register.do and refund.do — with the payee's agent and supplier data, checked by the
bank sandbox the way the bank's spec describes them, and kept on the order for inspection."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select, update

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import ValidationError
from cashier_app.services import card_payments
from cashier_app.services.gateways.base import GatewayRejected
from cashier_app.services.gateways.sberbank import order_bundle
from cashier_app.services.gateways.tbank import TBankClient, receipt_json
from cashier_app.storage import models as m
from tests.test_card_helpers import PAYEE_OF_BANK, Office, account_of, bank, ctx_for, office

__all__ = ["bank", "office"]
CONTACT = "client@example.ru"


def by_bank(db, code: str, on: bool = True, **values) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        pid = uow.session.execute(select(m.Payee.id).where(m.Payee.code == code)).scalar_one()
        uow.session.execute(update(m.FiscalSettings).where(m.FiscalSettings.payee_id == pid)
                            .values(card_by_bank=on, **values))
        uow.commit()


def rules_of(db, code: str):  # type: ignore[no-untyped-def]
    from cashier_app.services import fiscal_settings

    with db.read() as uow:
        return fiscal_settings.get_rules(uow.session, code)


def sample_receipt(db, code: str = "dem", amount: int = 10_000) -> fr.Receipt:  # type: ignore[no-untyped-def]
    return fr.build_receipt(rules_of(db, code), operation="sell", amount_minor=amount, payment_type="electronically",
                            item_name=None, operator_name="Кассир", operator_inn=None, contact=CONTACT,
                            electronically=True)


def test_tbank_online_kassa_takes_our_receipt_with_agent_and_supplier(office: Office) -> None:
    office.bank.control("terminal", {"online_kassa": True})
    code = PAYEE_OF_BANK["tbank"]
    by_bank(office.db, code)
    acc = account_of(office.db, code)
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000, receipt_contact=" Client@Example.RU ")
    assert order.state == "registered", order.status_text
    receipt = office.bank.orders(order_number=order.order_number)[0]["receipt"]
    rules = rules_of(office.db, code)
    assert receipt["FfdVersion"] == "1.2" and receipt["Taxation"] == rules.tax_system
    assert receipt["Email"] == "Client@example.ru" and receipt["Payments"] == {"Electronic": 10_000}
    (item,) = receipt["Items"]
    assert (item["Price"], item["Quantity"], item["Amount"]) == (10_000, 1, 10_000)
    assert item["PaymentMethod"] == rules.payment_method and item["PaymentObject"] == rules.payment_object
    assert acc in item["Name"]
    assert item["AgentData"] == {"AgentSign": "paying_agent", "Phones": [rules.agent_phone],
                                 "ReceiverPhones": [rules.operator_phone]}
    assert item["SupplierInfo"] == {"Name": rules.supplier_name, "Inn": rules.supplier_inn,
                                    "Phones": [rules.supplier_phone]}
    with office.db.read() as uow:
        p = uow.session.execute(select(m.Payment).where(m.Payment.gateway_order_number == order.order_number)).scalar_one()
        assert p.receipt_contact == "Client@example.ru" and p.receipt_paperless is False


def test_without_card_by_bank_the_online_kassa_terminal_refuses_309(office: Office) -> None:
    office.bank.control("terminal", {"online_kassa": True})
    acc = account_of(office.db, PAYEE_OF_BANK["tbank"])
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000)
    assert order.state == "declined" and "Receipt" in order.status_text
    assert office.bank.orders(order_number=order.order_number) == []


def _init(where: Office, receipt_body: dict, amount: int = 10_000) -> dict:  # type: ignore[type-arg]
    import requests

    from cashier_app.services.gateways.tbank import make_token

    body = {"TerminalKey": "DemoTerminal", "Amount": amount, "OrderId": f"fd-{id(receipt_body)}-{amount}",
            "Description": "x"}
    body["Token"] = make_token(body, "demo-password")
    body["Receipt"] = receipt_body
    return requests.post(f"{where.bank.url}/v2/Init", json=body, timeout=5).json()  # type: ignore[no-any-return]


def test_the_sandbox_checks_agent_and_supplier_as_the_spec_says(office: Office) -> None:
    office.bank.control("terminal", {"online_kassa": True})
    good = receipt_json(sample_receipt(office.db))
    assert _init(office, good)["Success"] is True
    item = good["Items"][0]
    no_supplier = {**good, "Items": [{k: v for k, v in item.items() if k != "SupplierInfo"}]}
    assert _init(office, no_supplier)["ErrorCode"] == "319"
    no_inn = {**good, "Items": [{**item, "SupplierInfo": {"Name": "ООО", "Phones": ["+74950000000"]}}]}
    assert _init(office, no_inn)["ErrorCode"] == "320"
    no_phones = {**good, "Items": [{**item, "AgentData": {"AgentSign": "paying_agent"}}]}
    answer = _init(office, no_phones)
    assert answer["ErrorCode"] == "2" and "AgentData.Phones" in answer["Details"]
    bad_sign = {**good, "Items": [{**item, "AgentData": {"AgentSign": "friend"}}]}
    assert _init(office, bad_sign)["ErrorCode"] == "317"  # the schema has no enum: the error table's 317
    supplier_only = {**good, "Items": [{k: v for k, v in item.items() if k != "AgentData"}]}
    assert _init(office, supplier_only)["ErrorCode"] == "318"
    short_payment = {**good, "Payments": {"Electronic": 9_000}}
    assert _init(office, short_payment)["ErrorCode"] == "308"


def test_the_client_refuses_early_without_any_address_for_the_receipt(office: Office) -> None:
    code = PAYEE_OF_BANK["tbank"]
    by_bank(office.db, code, company_email=None)
    acc = account_of(office.db, code)
    with pytest.raises(ValidationError) as err:
        card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000)
    assert err.value.field == fr.CONTACT_FIELD
    with pytest.raises(ValidationError) as err:
        card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000, receipt_paperless=True)
    assert err.value.field == fr.CONTACT_FIELD
    receipt = dataclasses.replace(sample_receipt(office.db), contact=None, company_email="")
    client = TBankClient(office.bank.url, "DemoTerminal", "demo-password")
    with pytest.raises(Exception, match="e-mail"):
        client.create_order("fd-none-1", 10_000, "x", receipt=receipt)


def test_tbank_partial_refund_sends_the_return_receipt_a_full_one_does_not(office: Office) -> None:
    office.bank.control("terminal", {"online_kassa": True})
    code = PAYEE_OF_BANK["tbank"]
    by_bank(office.db, code)
    acc = account_of(office.db, code)
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=150_000, receipt_contact="+7 912 345-67-89")
    office.bank.pay(order.order_number, "tbank")
    card_payments.check(ctx_for(office.db), order.order_number)
    manager = ctx_for(office.db, "manager")
    card_payments.refund(manager, order.payment_number, amount_minor=50_000, reason="ошибка в сумме")
    bank_order = office.bank.orders(order_number=order.order_number)[0]
    (back,) = bank_order["refund_receipts"]
    assert back["Phone"] == "+79123456789" and back["Items"][0]["Amount"] == 50_000
    assert back["Items"][0]["AgentData"]["AgentSign"] == "paying_agent" and back["Items"][0]["SupplierInfo"]["Inn"]
    card_payments.refund(manager, order.payment_number, reason="отказ")
    bank_order = office.bank.orders(order_number=order.order_number)[0]
    assert bank_order["refunded"] == 150_000 and len(bank_order["refund_receipts"]) == 2  # the rest: partial too


def test_tbank_full_cancel_goes_without_a_receipt(office: Office) -> None:
    office.bank.control("terminal", {"online_kassa": True})
    code = PAYEE_OF_BANK["tbank"]
    by_bank(office.db, code)
    acc = account_of(office.db, code)
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=20_000, receipt_contact=CONTACT)
    office.bank.pay(order.order_number, "tbank")
    card_payments.check(ctx_for(office.db), order.order_number)
    card_payments.refund(ctx_for(office.db, "manager"), order.payment_number, reason="отказ")
    bank_order = office.bank.orders(order_number=order.order_number)[0]
    assert bank_order["refunded"] == 20_000 and bank_order["refund_receipts"] == []


def test_sber_order_bundle_carries_agent_and_supplier_and_the_refund_its_own(office: Office) -> None:
    code = PAYEE_OF_BANK["sberbank"]
    by_bank(office.db, code)
    acc = account_of(office.db, code)
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=30_000, receipt_contact=CONTACT)
    assert order.state == "registered", order.status_text
    kept = office.bank.orders(order_number=order.order_number)[0]["receipt"]
    rules = rules_of(office.db, code)
    assert kept["taxSystem"] == "1"  # usn_income
    bundle = kept["orderBundle"]
    assert bundle["customerDetails"] == {"email": CONTACT}
    (item,) = bundle["cartItems"]["items"]
    assert (item["itemPrice"], item["quantity"]["value"], item["itemAmount"]) == (30_000, 1, 30_000)
    attrs = {a["name"]: a["value"] for a in item["itemAttributes"]["attributes"]}
    assert attrs["agent_info.type"] == "3" and attrs["paymentObject"] == "10" and attrs["paymentMethod"] == "1"
    assert attrs["agent_info.paying.phones"] == rules.agent_phone
    assert attrs["agent_info.paymentsOperator.phones"] == rules.operator_phone
    assert (attrs["supplier_info.name"], attrs["supplier_info.inn"], attrs["supplier_info.phones"]) == (
        rules.supplier_name, rules.supplier_inn, rules.supplier_phone)
    office.bank.pay(order.order_number, "sberbank")
    card_payments.check(ctx_for(office.db), order.order_number)
    card_payments.refund(ctx_for(office.db, "manager"), order.payment_number, amount_minor=10_000, reason="ошибка")
    (back,) = office.bank.orders(order_number=order.order_number)[0]["refund_receipts"]
    assert back["orderBundle"]["cartItems"]["items"][0]["itemAmount"] == 10_000


def test_sber_sandbox_refuses_an_agent_position_without_its_supplier(office: Office) -> None:
    from cashier_app.services.gateways.sberbank import SberbankClient

    receipt = sample_receipt(office.db, PAYEE_OF_BANK["sberbank"])
    bundle = order_bundle(receipt)
    assert any(a["name"] == "supplier_info.inn" for a in bundle["cartItems"]["items"][0]["itemAttributes"]["attributes"])
    stripped = dataclasses.replace(receipt, items=(dataclasses.replace(receipt.items[0], supplier=None),))
    client = SberbankClient(office.bank.url, "demo-api", "demo")
    with pytest.raises(GatewayRejected) as err:
        client.create_order("fd-sber-1", 10_000, "x", receipt=stripped)
    assert "supplier_info" in err.value.bank_message
    assert client.create_order("fd-sber-2", 10_000, "x", receipt=receipt).bank_order_id
