"""Injected network faults: the outcome is unknown, the client says so, and recovery by number works."""

from __future__ import annotations

import time

import pytest
from gw_helpers import Sandbox, make, order_number

from cashier_app.services.gateways.base import GatewayNetworkError, GatewayRejected

CREATE = {"sberbank": "register.do", "tbank": "Init"}
STATUS = {"sberbank": "getOrderStatusExtended.do", "tbank": "GetState"}
BANKS = ["sberbank", "tbank"]


def _wait_for_order(client, number: str, seconds: float = 3.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = client.find_order(number)
        if found is not None:
            return found
        time.sleep(0.05)
    return None


@pytest.mark.parametrize("bank", BANKS)
def test_drop_after_processing_then_recover_by_number(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    sandbox.fault(CREATE[bank], "drop_after_processing")
    with pytest.raises(GatewayNetworkError) as err:
        client.create_order(number, 12_345, "Интернет")
    assert "неизвестен" in str(err.value)
    # The bank did register it: recovery by order number finds it...
    found = client.find_order(number)
    assert found is not None and found.bank_order_id
    st = client.status(number, None)
    assert (st.state, st.bank_order_id, st.amount_kopecks) == ("pending", found.bank_order_id, 12_345)
    # ...and a blind retry with the same number is refused as a duplicate, not a second order.
    with pytest.raises(GatewayRejected) as dup:
        client.create_order(number, 12_345, "Интернет")
    assert dup.value.duplicate
    assert len(sandbox.orders(order_number=number)) == 1
    # The recovered order is payable and its payment is seen by number.
    sandbox.pay(found.bank_order_id)
    assert client.status(number, None).state == "paid"


@pytest.mark.parametrize("bank", BANKS)
def test_drop_before_processing_leaves_nothing(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    sandbox.fault(CREATE[bank], "drop_before_processing")
    with pytest.raises(GatewayNetworkError):
        client.create_order(number, 10_000, "Интернет")
    assert client.find_order(number) is None
    assert client.status(number, None).state == "unknown_order"
    assert client.create_order(number, 10_000, "Интернет").bank_order_id


@pytest.mark.parametrize("bank", BANKS)
def test_slow_bank_beyond_read_timeout(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url, read_timeout=0.3)
    number = order_number()
    sandbox.fault(CREATE[bank], "delay", delay_secs=0.8)
    started = time.monotonic()
    with pytest.raises(GatewayNetworkError) as err:
        client.create_order(number, 10_000, "Интернет")
    assert time.monotonic() - started < 0.75  # the client's own read timeout fired
    assert "время ожидания" in str(err.value)
    # A slow bank still does the work: the order appears once the bank finishes.
    assert _wait_for_order(client, number) is not None


@pytest.mark.parametrize("bank", BANKS)
def test_http_500_is_a_network_error_not_a_rejection(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    sandbox.fault(CREATE[bank], "http500")
    with pytest.raises(GatewayNetworkError) as err:
        client.create_order(number, 10_000, "Интернет")
    assert "HTTP 500" in str(err.value)
    assert not isinstance(err.value, GatewayRejected)
    assert client.find_order(number) is None


@pytest.mark.parametrize("bank", BANKS)
def test_malformed_json_on_status_never_looks_like_a_failure(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Интернет")
    sandbox.pay(created.bank_order_id or "")
    sandbox.fault(STATUS[bank], "malformed_json", count=2)
    for _ in range(2):
        with pytest.raises(GatewayNetworkError) as err:
            client.status(number, created.bank_order_id)
        assert "повреждён" in str(err.value)
    assert client.status(number, created.bank_order_id).state == "paid"


@pytest.mark.parametrize("bank", BANKS)
def test_wildcard_fault_hits_any_api_call_but_not_control(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    sandbox.fault("*", "http500")
    assert sandbox.control("faults", method="GET")["faults"][0]["kind"] == "http500"
    with pytest.raises(GatewayNetworkError):
        client.status("whatever", None)
    assert sandbox.control("faults", method="GET")["faults"] == []
    assert client.status("whatever", None).state == "unknown_order"


def test_tbank_refund_answer_lost_then_retried_with_same_key_refunds_once(sandbox: Sandbox) -> None:
    client = make("tbank", sandbox.url)
    number = order_number()
    created = client.create_order(number, 100_000, "Тур")
    sandbox.pay(created.bank_order_id or "")
    sandbox.fault("Cancel", "drop_after_processing")
    with pytest.raises(GatewayNetworkError):
        client.refund(number, created.bank_order_id, 40_000, "refund-7")
    st = client.refund(number, created.bank_order_id, 40_000, "refund-7")
    assert (st.state, st.refunded_kopecks) == ("partially_refunded", 40_000)
    assert sandbox.orders(order_number=number)[0]["refunded"] == 40_000


def test_sber_lost_refund_answer_is_visible_in_status(sandbox: Sandbox) -> None:
    # refund.do has no idempotency key: the caller checks refunded_kopecks before any retry.
    client = make("sberbank", sandbox.url)
    number = order_number()
    created = client.create_order(number, 100_000, "Тур")
    sandbox.pay(created.bank_order_id or "")
    sandbox.fault("refund.do", "drop_after_processing")
    with pytest.raises(GatewayNetworkError):
        client.refund(number, created.bank_order_id, 40_000, "refund-7")
    assert client.status(number, created.bank_order_id).refunded_kopecks == 40_000


def test_connection_refused_is_a_network_error(sandbox: Sandbox) -> None:
    port = sandbox.server.url.rsplit(":", 1)[1]
    sandbox.server.stop()
    client = make("sberbank", f"http://127.0.0.1:{port}")
    with pytest.raises(GatewayNetworkError):
        client.status("x", None)
