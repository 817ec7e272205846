"""AtolWebClient against the register emulator over loopback: every operation, idempotency, every fault."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.services.registers.atol_web import AtolWebClient
from cashier_app.services.registers.base import RegisterRefused, RegisterUnavailable
from tests.fiscal.fb_helpers import CASHIER, dead_url, docs, isp_receipt, receipts_of, travel_receipt, web

__all__ = ["register"]
from tests.fiscal.fb_helpers import register


@pytest.fixture
def opened(register: Any) -> Any:
    web(register).open_shift("shift-1-open", CASHIER)
    return register


def test_sell_is_made_once_with_the_agent_and_supplier_tags(opened: Any) -> None:
    client = web(opened)
    lk = client.submit("P-1-sell-a", isp_receipt(123450, contact="anna@mail.ru"))
    assert lk.state == "done" and lk.fiscal is not None
    f = lk.fiscal
    (doc,) = receipts_of(opened, "P-1-sell-a")
    assert (doc["type"], doc["protocol"], doc["total_minor"]) == ("sell", "web", 123450)
    assert (f.fd_number, f.fiscal_sign, f.fn_number, f.total_minor) == (
        doc["fd_number"], doc["fiscal_sign"], doc["fn_number"], 123450)
    assert f.shift_number == doc["shift_number"] == 1 and f.receipt_number == 1
    assert f.at.tzinfo is not None and f.registration_number and f.fns_url
    item = doc["items"][0]
    assert item["agentInfo"]["agents"] == ["payingAgent"]
    assert item["supplierInfo"] == {"name": "ООО «Интерра»", "vatin": "4027001231", "phones": ["+74951112233"]}
    assert doc["payments"] == [{"type": "cash", "sum_minor": 123450}]
    assert doc["client"] == {"emailOrPhone": "anna@mail.ru"}
    assert doc["operator"] == {"name": CASHIER.name, "vatin": CASHIER.inn}


def test_submit_again_reads_the_receipt_back(opened: Any) -> None:
    client = web(opened)
    first = client.submit("P-2-sell-a", isp_receipt())
    again = web(opened).submit("P-2-sell-a", isp_receipt())  # 409: read, not made again
    assert again == first
    assert len(receipts_of(opened, "P-2-sell-a")) == 1
    assert client.lookup("P-2-sell-a") == first


def test_lookup_of_an_unknown_key_is_absent(opened: Any) -> None:
    assert web(opened).lookup("never-sent").state == "absent"


@pytest.mark.parametrize("amount", [1, 99, 100, 123456789, 9_999_999_999])
def test_amounts_are_exact(opened: Any, amount: int) -> None:
    lk = web(opened).submit(f"amt-{amount}", isp_receipt(amount))
    assert lk.fiscal is not None and lk.fiscal.total_minor == amount
    assert receipts_of(opened, f"amt-{amount}")[0]["total_minor"] == amount


def test_return_correction_and_e_receipt(opened: Any) -> None:
    client = web(opened)
    client.submit("P-3-sell", travel_receipt(5_000_000))
    ret = client.submit("P-3-ret", travel_receipt(1_000_000, operation="sell_return"))
    corr = client.submit("P-3-corr", isp_receipt(500, operation="sell_correction",
                                                 correction=fr.Correction("self", "01.12.2026", "")))
    paperless = client.submit("P-4-sell", isp_receipt(700, contact="+79123456789", electronically=True))
    types = {d["key"]: d for d in docs(opened) if d["key"].startswith("P-")}
    assert types["P-3-ret"]["type"] == "sellReturn" and types["P-3-ret"]["total_minor"] == 1_000_000
    assert types["P-3-corr"]["type"] == "sellCorrection"
    assert types["P-3-corr"]["correction"]["type"] == "self"
    assert types["P-3-sell"]["items"][0]["agentInfo"]["agents"] == ["another"]
    assert types["P-4-sell"]["electronically"] is True
    assert all(lk.state == "done" for lk in (ret, corr, paperless))


def test_lost_answer_then_lookup_finds_it(opened: Any) -> None:
    opened.fault("sell", "drop_after_processing")
    client = web(opened)
    with pytest.raises(RegisterUnavailable):
        client.submit("P-5-sell", isp_receipt())
    found = client.lookup("P-5-sell")
    assert found.state == "done" and found.fiscal is not None
    assert client.submit("P-5-sell", isp_receipt()) == found  # the retry reads it back
    assert len(receipts_of(opened, "P-5-sell")) == 1


def test_lost_request_is_absent_and_can_be_sent(opened: Any) -> None:
    opened.fault("sell", "drop_before_processing")
    client = web(opened)
    with pytest.raises(RegisterUnavailable):
        client.submit("P-6-sell", isp_receipt())
    assert client.lookup("P-6-sell").state == "absent"
    assert client.submit("P-6-sell", isp_receipt()).state == "done"
    assert len(receipts_of(opened, "P-6-sell")) == 1


@pytest.mark.parametrize("endpoint", ["requests", "results"])
def test_http500_is_unavailable(opened: Any, endpoint: str) -> None:
    opened.fault(endpoint, "http500")
    client = web(opened)
    with pytest.raises(RegisterUnavailable):
        client.submit("P-7-sell", isp_receipt())
    assert client.submit("P-7-sell", isp_receipt()).state == "done"
    assert len(receipts_of(opened, "P-7-sell")) == 1


def test_wait_is_polled_within_a_bound(opened: Any) -> None:
    opened.fault("sell", "wait", count=3)
    assert web(opened, poll_secs=5.0).submit("P-8-sell", isp_receipt()).state == "done"
    opened.fault("sell", "wait", count=1000)
    slow = web(opened, poll_secs=0.3)
    assert slow.submit("P-9-sell", isp_receipt()).state == "wait"
    assert slow.lookup("P-9-sell").state == "wait"
    assert receipts_of(opened, "P-9-sell") == []


def test_delay_beyond_the_read_timeout_is_unavailable_and_found_later(opened: Any) -> None:
    opened.fault("sell", "delay", delay_secs=1.5)
    client = AtolWebClient(opened.web_url, timeout=(1.0, 0.5), poll_secs=2.0)
    with pytest.raises(RegisterUnavailable):
        client.submit("P-10-sell", isp_receipt())
    # The slow register still does the work once the delay is over: the lookup finds it then.
    deadline = time.monotonic() + 10
    while client.lookup("P-10-sell").state == "absent" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert web(opened).lookup("P-10-sell").state == "done"
    assert len(receipts_of(opened, "P-10-sell")) == 1


def test_paper_out_is_a_refusal_with_the_registers_words(opened: Any) -> None:
    opened.fault("sell", "paper_out")
    client = web(opened)
    with pytest.raises(RegisterRefused) as err:
        client.submit("P-11-sell", isp_receipt())
    assert "бумаг" in str(err.value).lower() and err.value.code == "44"
    assert client.lookup("P-11-sell").state == "failed"
    assert receipts_of(opened, "P-11-sell") == []
    opened.set_state(paper=False)
    assert client.device_state().paper_out is True
    with pytest.raises(RegisterRefused):
        client.submit("P-12-sell", isp_receipt())
    # An e-receipt needs no paper.
    assert client.submit("P-13-sell", isp_receipt(contact="a@b.ru", electronically=True)).state == "done"


def test_sale_in_a_closed_or_expired_shift_is_refused(register: Any) -> None:
    client = web(register)
    with pytest.raises(RegisterRefused) as err:
        client.submit("P-14-sell", isp_receipt())
    assert "закрыта" in str(err.value).lower()
    register.set_state(shift_opened_at=(datetime.now(UTC) - timedelta(hours=25)).isoformat())
    assert client.shift_state().state == "expired"
    with pytest.raises(RegisterRefused) as err:
        client.submit("P-15-sell", isp_receipt())
    assert "24" in str(err.value)
    assert receipts_of(register, "P-14-sell") == receipts_of(register, "P-15-sell") == []


def test_a_receipt_the_register_finds_wrong_is_refused_naming_the_field(opened: Any) -> None:
    bad = isp_receipt()
    item = bad.items[0]
    bad = replace(bad, items=(replace(item, supplier=replace(item.supplier, inn="12")),))  # type: ignore[arg-type]
    with pytest.raises(RegisterRefused) as err:
        web(opened).submit("P-16-sell", bad)
    assert "supplierInfo.vatin" in str(err.value)


def test_shift_cycle(register: Any) -> None:
    client = web(register)
    assert client.shift_state().state == "closed"
    st = client.open_shift("S-1-open", CASHIER)
    assert (st.state, st.number) == ("opened", 1) and st.opened_at is not None
    assert client.open_shift("S-1-open", CASHIER).number == 1  # the same key: read back, not a second one
    client.cash_in("S-1-in", 100_000, CASHIER)
    client.cash_in("S-1-in", 100_000, CASHIER)
    client.submit("S-1-sell", isp_receipt(50_000))
    client.cash_out("S-1-out", 30_000, CASHIER)
    client.report_x("S-1-x", CASHIER)
    z = client.close_shift("S-1-close", CASHIER)
    assert z["state"] == "closed" and z["shift_number"] == 1 and z["fd_number"] and z["fiscal_sign"]
    assert z["fn_number"] == register.state()["fn_number"] and z["closed_at"]
    assert client.close_shift("S-1-close", CASHIER) == z
    assert client.lookup("S-1-close").fiscal is not None
    assert client.lookup("S-1-x").state == "done"
    assert client.shift_state().state == "closed"
    kinds = [d["type"] for d in docs(register) if d["key"].startswith("S-1-")]
    assert kinds == ["openShift", "cashIn", "sell", "cashOut", "reportX", "closeShift"]
    cash_in = [d for d in docs(register) if d["type"] == "cashIn"]
    assert cash_in[0]["total_minor"] == 100_000
    with pytest.raises(RegisterRefused):
        client.cash_out("S-1-out-2", 1, CASHIER)  # the shift is closed


def test_open_shift_twice_is_refused(register: Any) -> None:
    client = web(register)
    client.open_shift("S-2-open", CASHIER)
    with pytest.raises(RegisterRefused):
        client.open_shift("S-3-open", CASHIER)


def test_device_state(opened: Any) -> None:
    client = web(opened)
    ready = client.device_state()
    assert ready.online and not ready.paper_out and ready.unsent_documents == 0
    assert ready.shift is not None and ready.shift.state == "opened" and ready.fn_number
    client.submit("D-1-sell", isp_receipt())
    opened.set_state(unsent=1)
    late = client.device_state()
    assert late.unsent_documents == 1 and late.oldest_unsent_at is not None


def test_offline_register(opened: Any) -> None:
    client = web(opened)
    opened.set_state(offline=True)
    assert client.device_state().online is False
    with pytest.raises(RegisterUnavailable):
        client.submit("O-1-sell", isp_receipt())
    with pytest.raises(RegisterUnavailable):
        client.lookup("O-1-sell")
    opened.set_state(offline=False)
    assert client.lookup("O-1-sell").state == "absent"


def test_nobody_listening() -> None:
    client = AtolWebClient(dead_url(), timeout=(0.5, 0.5))
    assert client.device_state().online is False
    with pytest.raises(RegisterUnavailable):
        client.submit("N-1", isp_receipt())
    with pytest.raises(RegisterUnavailable):
        client.shift_state()


def test_the_state_survives_a_restart(tmp_path: Any) -> None:
    from cashier_app.emulators.register.server import RegisterServer

    path = tmp_path / "reg.sqlite"
    with RegisterServer(port=0, state_path=path) as srv:
        web(srv).open_shift("R-open", CASHIER)
        first = web(srv).submit("R-1", isp_receipt())
    with RegisterServer(port=0, state_path=path) as srv:
        assert web(srv).lookup("R-1") == first
        assert web(srv).submit("R-1", isp_receipt()) == first
        assert len(receipts_of(srv, "R-1")) == 1


@pytest.mark.parametrize("key", ["bad/key", "k" * 129])
def test_a_key_the_server_refuses_is_a_refusal_with_its_reason(opened: Any, key: str) -> None:
    with pytest.raises(RegisterRefused) as err:
        web(opened).submit(key, isp_receipt())
    assert "uuid" in str(err.value) and err.value.code == "http400"
