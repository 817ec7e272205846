"""End-to-end payment flows of both banks through the real clients and the sandbox over loopback."""

from __future__ import annotations

import pytest
import requests
from gw_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_NO_FUNDS,
    CARD_OK,
    CARD_OTHER,
    SBER_PASSWORD,
    SBER_USER,
    TB_PASSWORD,
    TB_TERMINAL,
    Sandbox,
    make,
    order_number,
)

from cashier_app.services.gateways.base import GatewayRejected
from cashier_app.services.gateways.tbank import make_token

BANKS = ["sberbank", "tbank"]


@pytest.mark.parametrize("bank", BANKS)
def test_paid(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 150_050, "Интернет, договор 1001")
    assert created.bank_order_id and created.payment_url and created.payment_url.startswith(sandbox.url)
    assert client.status(number, created.bank_order_id).state == "pending"
    paid = sandbox.pay(created.bank_order_id)
    assert paid["status"] == "PAID" and paid["card_mask"] == "220138******0013"
    st = client.status(number, created.bank_order_id)
    assert st.state == "paid"
    assert st.amount_kopecks == st.deposited_kopecks == 150_050
    assert st.bank_order_id == created.bank_order_id
    # By number alone (the recovery path) the same answer comes back.
    again = client.status(number, None)
    assert (again.state, again.bank_order_id) == ("paid", created.bank_order_id)
    if bank == "sberbank":
        assert st.card_mask == "220138**0013"


@pytest.mark.parametrize(
    ("bank", "card", "code", "text"),
    [
        ("sberbank", CARD_DECLINED, "107", "отклонил"),
        ("tbank", CARD_DECLINED, "1005", "отклонил"),
        ("sberbank", CARD_NO_FUNDS, "116", "Недостаточно средств"),
        ("tbank", CARD_NO_FUNDS, "1051", "Недостаточно средств"),
        ("sberbank", CARD_OTHER, "100", "не поддерживается"),
        ("tbank", CARD_OTHER, "1078", "не поддерживается"),
    ],
)
def test_declined_cards(sandbox: Sandbox, bank: str, card: str, code: str, text: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 50_000, "Туры")
    assert sandbox.pay(created.bank_order_id or "", card)["status"] == "DECLINED"
    st = client.status(number, created.bank_order_id)
    assert st.state == "declined"
    assert st.reason_code == code
    assert st.reason_text_ru and text in st.reason_text_ru
    assert st.deposited_kopecks == 0


@pytest.mark.parametrize("bank", BANKS)
def test_three_ds_challenge_via_control_api(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 70_000, "Связь")
    answer = sandbox.pay(created.bank_order_id or "", CARD_3DS)
    assert answer["status"] == "3DS" and answer["acs_url"]
    st = client.status(number, created.bank_order_id)
    assert st.state == "pending"
    assert st.raw_status == ("5" if bank == "sberbank" else "3DS_CHECKING")
    assert sandbox.pay(created.bank_order_id or "", CARD_3DS, three_ds_code="123456")["status"] == "PAID"
    assert client.status(number, created.bank_order_id).state == "paid"


@pytest.mark.parametrize("bank", BANKS)
def test_three_ds_wrong_code_declines(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 70_000, "Связь")
    sandbox.pay(created.bank_order_id or "", CARD_3DS, three_ds_code="000000")
    st = client.status(number, created.bank_order_id)
    assert st.state == "declined"
    assert st.reason_text_ru and "3-D Secure" in st.reason_text_ru


@pytest.mark.parametrize("bank", BANKS)
def test_expired_after_deadline(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Интернет", timeout_secs=1200)
    sandbox.advance(1100)
    assert client.status(number, created.bank_order_id).state == "pending"
    sandbox.advance(200)
    st = client.status(number, created.bank_order_id)
    assert st.state == "expired"
    assert st.raw_status == ("6" if bank == "sberbank" else "DEADLINE_EXPIRED")
    if bank == "sberbank":
        assert st.reason_code == "-2007"
    # A late card cannot pay an expired order.
    assert sandbox.pay(created.bank_order_id or "")["status"] == "EXPIRED"
    assert client.status(number, None).state == "expired"


@pytest.mark.parametrize("bank", BANKS)
def test_cancel_unpaid_order_is_final_and_repeatable(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Интернет")
    st = client.cancel(number, created.bank_order_id, None, "cancel-1")
    # Sber: decline.do leaves the order Reversed, orderStatus 3, as its docs define; T-Bank: CANCELED.
    final = ("reversed", "3") if bank == "sberbank" else ("declined", "CANCELED")
    assert (st.state, st.raw_status) == final and st.deposited_kopecks == 0
    after = client.status(number, created.bank_order_id)
    assert (after.state, after.reason_text_ru) == (final[0], "Заказ отменён до оплаты")
    assert client.cancel(number, created.bank_order_id, None, "cancel-1").state == final[0]
    assert sandbox.pay(created.bank_order_id or "")["status"] == "CANCELED"


def test_sber_cancel_paid_order_reverses(sandbox: Sandbox) -> None:
    client = make("sberbank", sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Интернет")
    sandbox.pay(created.bank_order_id or "")
    st = client.cancel(number, None, None, "c1")
    assert (st.state, st.deposited_kopecks) == ("reversed", 0)


def test_tbank_cancel_paid_order_refunds_in_full(sandbox: Sandbox) -> None:
    client = make("tbank", sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Интернет")
    sandbox.pay(created.bank_order_id or "")
    st = client.cancel(number, None, None, "c1")
    assert (st.state, st.refunded_kopecks) == ("refunded", 10_000)


@pytest.mark.parametrize("bank", BANKS)
def test_partial_then_full_refund(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 150_000, "Тур")
    sandbox.pay(created.bank_order_id or "")
    st = client.refund(number, created.bank_order_id, 50_000, "refund-1")
    assert (st.state, st.refunded_kopecks) == ("partially_refunded", 50_000)
    with pytest.raises(GatewayRejected) as too_much:
        client.refund(number, created.bank_order_id, 100_001, "refund-2")
    assert not too_much.value.duplicate
    st = client.refund(number, created.bank_order_id, 100_000, "refund-3")
    assert st.state == "refunded"
    assert st.refunded_kopecks == 150_000
    assert client.status(number, created.bank_order_id).state == "refunded"


def test_tbank_refund_with_same_external_request_id_is_done_once(sandbox: Sandbox) -> None:
    client = make("tbank", sandbox.url)
    number = order_number()
    created = client.create_order(number, 150_000, "Тур")
    sandbox.pay(created.bank_order_id or "")
    client.refund(number, created.bank_order_id, 50_000, "same-key")
    again = client.refund(number, created.bank_order_id, 50_000, "same-key")
    assert again.refunded_kopecks == 50_000
    [order] = sandbox.orders(order_number=number)
    assert order["refunded"] == 50_000


@pytest.mark.parametrize(("bank", "code"), [("sberbank", "1"), ("tbank", "20")])
def test_duplicate_order_number(sandbox: Sandbox, bank: str, code: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    client.create_order(number, 10_000, "Интернет")
    with pytest.raises(GatewayRejected) as err:
        client.create_order(number, 10_000, "Интернет")
    assert err.value.duplicate and err.value.code == code
    assert "уже зарегистрирован" in str(err.value)


def test_tbank_duplicate_of_paid_order_is_623(sandbox: Sandbox) -> None:
    client = make("tbank", sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Интернет")
    sandbox.pay(created.bank_order_id or "")
    with pytest.raises(GatewayRejected) as err:
        client.create_order(number, 10_000, "Интернет")
    assert (err.value.code, err.value.duplicate) == ("623", True)


@pytest.mark.parametrize(("bank", "code"), [("sberbank", "5"), ("tbank", "204")])
def test_wrong_password(sandbox: Sandbox, bank: str, code: str) -> None:
    secret = "Wr0ng-Secret-42"
    client = make(bank, sandbox.url, password=secret)
    with pytest.raises(GatewayRejected) as err:
        client.create_order(order_number(), 10_000, "Интернет")
    assert err.value.code == code and not err.value.duplicate
    assert secret not in str(err.value) and secret not in repr(err.value.args)
    assert "парол" in str(err.value) or "подпис" in str(err.value)
    assert secret not in repr(client)
    assert sandbox.orders() == []


def test_sber_missing_parameter_is_error_4(sandbox: Sandbox) -> None:
    data = {
        "userName": SBER_USER,
        "password": SBER_PASSWORD,
        "amount": "1000",
        "returnUrl": "https://x.test/",
    }
    answer = requests.post(f"{sandbox.url}/payment/rest/register.do", data=data, timeout=5).json()
    assert answer["errorCode"] == "4" and "Номер заказа" in answer["errorMessage"]
    del data["returnUrl"]
    data["orderNumber"] = "A1"
    answer = requests.post(f"{sandbox.url}/payment/rest/register.do", data=data, timeout=5).json()
    assert answer["errorCode"] == "4"
    answer = requests.post(
        f"{sandbox.url}/payment/rest/getOrderStatusExtended.do",
        data={"userName": SBER_USER, "password": SBER_PASSWORD},
        timeout=5,
    ).json()
    assert answer["errorCode"] == "4"


def test_tbank_missing_parameter_is_error_2_and_bad_token_204(sandbox: Sandbox) -> None:
    body = {"TerminalKey": TB_TERMINAL, "Amount": 1000}
    body["Token"] = make_token(body, TB_PASSWORD)
    answer = requests.post(f"{sandbox.url}/v2/Init", json=body, timeout=5).json()
    assert answer["Success"] is False and answer["ErrorCode"] == "2" and "OrderId" in answer["Details"]
    body = {"TerminalKey": TB_TERMINAL, "Amount": 1000, "OrderId": "X1"}
    body["Token"] = make_token(body, TB_PASSWORD)
    body["Amount"] = 100000  # tampered after signing
    answer = requests.post(f"{sandbox.url}/v2/Init", json=body, timeout=5).json()
    assert answer["ErrorCode"] == "204"
    body = {"TerminalKey": "Nobody", "Amount": 1000, "OrderId": "X1"}
    body["Token"] = make_token(body, TB_PASSWORD)
    assert requests.post(f"{sandbox.url}/v2/Init", json=body, timeout=5).json()["ErrorCode"] == "205"


@pytest.mark.parametrize(("bank", "code"), [("sberbank", "121"), ("tbank", "1061")])
def test_daily_card_limit_200k(sandbox: Sandbox, bank: str, code: str) -> None:
    client = make(bank, sandbox.url)
    first, second, third = order_number(), order_number(), order_number()
    a = client.create_order(first, 15_000_000, "Тур")  # 150 000 ₽
    b = client.create_order(second, 5_000_001, "Тур")  # 50 000,01 ₽ — one kopeck over the limit
    c = client.create_order(third, 5_000_000, "Тур")  # exactly up to 200 000 ₽
    sandbox.pay(a.bank_order_id or "")
    assert sandbox.pay(b.bank_order_id or "")["status"] == "DECLINED"
    st = client.status(second, None)
    assert (st.state, st.reason_code) == ("declined", code)
    assert st.reason_text_ru and "лимит" in st.reason_text_ru
    # Another card is not affected; the same card reaches exactly 200 000 ₽.
    assert sandbox.pay(c.bank_order_id or "")["status"] == "PAID"
    # Next (sandbox) day the limit is fresh.
    sandbox.advance(24 * 3600)
    d_number = order_number()
    d = client.create_order(d_number, 15_000_000, "Тур")
    assert sandbox.pay(d.bank_order_id or "")["status"] == "PAID"


def test_limit_counts_both_banks_and_ignores_other_cards(sandbox: Sandbox) -> None:
    s_client, t_client = make("sberbank", sandbox.url), make("tbank", sandbox.url)
    s = s_client.create_order(order_number(), 19_000_000, "Тур")
    t = t_client.create_order(order_number(), 2_000_000, "Тур")
    t2 = t_client.create_order(order_number(), 2_000_000, "Тур")
    sandbox.pay(s.bank_order_id or "")
    assert sandbox.pay(t.bank_order_id or "")["reason"] == "limit"
    assert sandbox.pay(t2.bank_order_id or "", CARD_3DS, three_ds_code="123456")["status"] == "PAID"


@pytest.mark.parametrize("bank", BANKS)
def test_unknown_order(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    assert client.status("never-registered", None).state == "unknown_order"
    assert client.find_order("never-registered") is None
    with pytest.raises(GatewayRejected):
        client.cancel("never-registered", None, None, "k")


@pytest.mark.parametrize("bank", BANKS)
def test_amount_must_be_int_kopecks(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    with pytest.raises(TypeError):
        client.create_order(order_number(), 19.99, "x")  # type: ignore[arg-type]


def test_card_ok_constant_is_the_success_card() -> None:
    assert CARD_OK.endswith("0013")


@pytest.mark.parametrize("bank", BANKS)
def test_bank_id_of_another_order_is_refused(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    paid_number, other_number = order_number(), order_number()
    paid = client.create_order(paid_number, 10_000, "Интернет")
    client.create_order(other_number, 10_000, "Интернет")
    sandbox.pay(paid.bank_order_id or "")
    with pytest.raises(GatewayRejected):
        client.status(other_number, paid.bank_order_id)
