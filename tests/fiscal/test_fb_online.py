"""AtolOnlineClient against the register emulator's ATOL Online v5 over loopback."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.services.registers import factory
from cashier_app.services.registers.atol_online import AtolOnlineClient
from cashier_app.services.registers.base import RegisterRefused, RegisterUnavailable
from tests.fiscal.fb_helpers import (
    CASHIER,
    dead_url,
    docs,
    isp_receipt,
    online,
    receipts_of,
    register,
    travel_receipt,
)

__all__ = ["register"]


def test_sell_is_made_once_and_read_by_its_uuid(register: Any) -> None:
    client = online(register)
    lk = client.submit("P-1-sell-a", isp_receipt(123450, contact="anna@mail.ru"))
    assert lk.state == "done" and lk.fiscal is not None and lk.remote_uuid
    (doc,) = receipts_of(register, "P-1-sell-a")
    f = lk.fiscal
    assert (doc["type"], doc["protocol"], doc["total_minor"]) == ("sell", "online", 123450)
    assert (f.fd_number, f.fiscal_sign, f.fn_number, f.total_minor) == (
        doc["fd_number"], doc["fiscal_sign"], doc["fn_number"], 123450)
    assert f.at.tzinfo is not None and f.registration_number and f.fns_url and f.shift_number
    item = doc["items"][0]
    assert item["agent_info"]["type"] == "paying_agent" and item["payment_object"] == 10
    assert item["supplier_info"] == {"name": "ООО «Интерра»", "inn": "4027001231", "phones": ["+74951112233"]}
    assert doc["client"] == {"email": "anna@mail.ru"}
    assert doc["operator"] == {"name": CASHIER.name, "vatin": CASHIER.inn}
    assert client.lookup("P-1-sell-a", lk.remote_uuid) == lk


def test_the_same_external_id_is_the_same_receipt(register: Any) -> None:
    first = online(register).submit("P-2-sell", isp_receipt())
    again = online(register).submit("P-2-sell", isp_receipt())  # «В системе существует чек с external_id»
    assert again == first
    assert len(receipts_of(register, "P-2-sell")) == 1


def test_lookup_without_the_uuid_is_absent_and_submit_then_finds_it(register: Any) -> None:
    client = online(register)
    assert client.lookup("P-3-sell").state == "absent"
    assert client.lookup("P-3-sell", "00000000-0000-0000-0000-000000000000").state == "absent"
    done = client.submit("P-3-sell", isp_receipt())
    # A lost uuid: the lookup cannot ask by external_id, but sending again cannot make a second receipt.
    assert client.lookup("P-3-sell").state == "absent"
    assert client.submit("P-3-sell", isp_receipt()) == done
    assert len(receipts_of(register, "P-3-sell")) == 1


def test_refund_correction_and_travel(register: Any) -> None:
    client = online(register)
    sold = client.submit("T-1-sell", travel_receipt(5_000_000))
    ret = client.submit("T-1-ret", travel_receipt(1_000_000, operation="sell_return"))
    corr = client.submit("T-1-corr", isp_receipt(500, operation="sell_correction",
                                                 correction=fr.Correction("instruction", "01.12.2026", "ПР-5")))
    corr_self = client.submit("T-1-corr2", isp_receipt(700, operation="sell_return_correction",
                                                       correction=fr.Correction("self", "01.12.2026", "")))
    by_key = {d["key"]: d for d in docs(register)}
    assert by_key["T-1-sell"]["items"][0]["agent_info"]["type"] == "another"
    assert by_key["T-1-sell"]["payments"] == [{"type": "electronically", "sum_minor": 5_000_000}]
    assert (by_key["T-1-ret"]["type"], by_key["T-1-ret"]["total_minor"]) == ("sellReturn", 1_000_000)
    assert by_key["T-1-corr"]["type"] == "sellCorrection"
    assert by_key["T-1-corr"]["correction"]["base_number"] == "ПР-5"
    assert by_key["T-1-corr2"]["type"] == "sellReturnCorrection"
    assert all(lk.state == "done" for lk in (sold, ret, corr, corr_self))


def test_no_buyer_contact_goes_to_the_company_mailbox(register: Any) -> None:
    online(register).submit("P-4-sell", isp_receipt(contact=None))
    assert receipts_of(register, "P-4-sell")[0]["client"] == {"email": "kassa@office.ru"}


@pytest.mark.parametrize("amount", [1, 99, 123456789, 9_999_999_999])
def test_amounts_are_exact(register: Any, amount: int) -> None:
    lk = online(register).submit(f"amt-{amount}", isp_receipt(amount))
    assert lk.fiscal is not None and lk.fiscal.total_minor == amount
    assert receipts_of(register, f"amt-{amount}")[0]["total_minor"] == amount


def test_lost_answer_then_the_same_key_finds_it(register: Any) -> None:
    register.fault("sell", "drop_after_processing")
    client = online(register)
    with pytest.raises(RegisterUnavailable):
        client.submit("P-5-sell", isp_receipt())
    assert len(receipts_of(register, "P-5-sell")) == 1  # it was made
    lk = client.submit("P-5-sell", isp_receipt())
    assert lk.state == "done" and lk.remote_uuid
    assert len(receipts_of(register, "P-5-sell")) == 1


def test_http500_on_the_report_then_it_is_read(register: Any) -> None:
    client = online(register)
    register.fault("report", "http500")
    with pytest.raises(RegisterUnavailable):
        client.submit("P-6-sell", isp_receipt())
    lk = client.submit("P-6-sell", isp_receipt())
    assert lk.state == "done" and len(receipts_of(register, "P-6-sell")) == 1
    assert client.lookup("P-6-sell", lk.remote_uuid).state == "done"


def test_http500_on_sell(register: Any) -> None:
    register.fault("sell", "http500")
    client = online(register)
    with pytest.raises(RegisterUnavailable):
        client.submit("P-7-sell", isp_receipt())
    assert client.submit("P-7-sell", isp_receipt()).state == "done"
    assert len(receipts_of(register, "P-7-sell")) == 1


def test_wait_is_polled_within_a_bound(register: Any) -> None:
    register.fault("sell", "wait", count=3)
    assert online(register, poll_secs=5.0).submit("P-8-sell", isp_receipt()).state == "done"
    register.fault("sell", "wait", count=1000)
    slow = online(register, poll_secs=0.3)
    lk = slow.submit("P-9-sell", isp_receipt())
    assert lk.state == "wait" and lk.remote_uuid
    assert slow.lookup("P-9-sell", lk.remote_uuid).state == "wait"


def test_refused_receipt_names_the_field(register: Any) -> None:
    bad = replace(isp_receipt(contact="anna@mail.ru"), company_inn="")
    client = AtolOnlineClient(register.online_url, "demo-group", "demo-login", "demo-pass",
                              payment_address="https://office.ru", timeout=(1.0, 3.0))
    with pytest.raises(RegisterRefused) as err:
        client.submit("P-10-sell", bad)
    assert "company.inn" in str(err.value)
    assert receipts_of(register, "P-10-sell") == []


def test_paper_out_in_the_cloud_fails_the_receipt(register: Any) -> None:
    register.fault("sell", "paper_out")
    client = online(register)
    with pytest.raises(RegisterRefused) as err:
        client.submit("P-11-sell", isp_receipt())
    assert "бумаг" in str(err.value).lower()


def test_wrong_password_and_group(register: Any) -> None:
    with pytest.raises(RegisterRefused) as err:
        online(register, password="wrong").submit("P-12-sell", isp_receipt())
    assert "логин" in str(err.value).lower()
    stranger = AtolOnlineClient(register.online_url, "other-group", "demo-login", "demo-pass",
                                company_inn="7707083893", payment_address="x", timeout=(1.0, 3.0))
    with pytest.raises(RegisterRefused):
        stranger.submit("P-13-sell", isp_receipt())


def test_token_is_cached_and_fetched_again_when_it_expires(register: Any) -> None:
    client = online(register)
    client.submit("K-1", isp_receipt())
    register.fault("getToken", "http500", count=5)
    client.submit("K-2", isp_receipt())  # the cached token: getToken is not called
    online(register).submit("K-3", isp_receipt())  # shared by every client of that account
    register.clear_faults()
    register.clock(advance_secs=25 * 3600)  # the register's clock: the token is past its 24 h
    assert online(register).submit("K-4", isp_receipt()).state == "done"
    assert all(len(receipts_of(register, k)) == 1 for k in ("K-1", "K-2", "K-3", "K-4"))


def test_no_token_service_is_unavailable(register: Any) -> None:
    register.fault("getToken", "drop_before_processing")
    with pytest.raises(RegisterUnavailable):
        online(register).submit("K-5", isp_receipt())
    assert receipts_of(register, "K-5") == []


def test_device_and_shifts(register: Any) -> None:
    client = online(register)
    assert client.supports_shifts is False
    assert client.device_state().online is True
    assert client.shift_state().state == "opened"
    for call in (lambda: client.open_shift("s", CASHIER), lambda: client.close_shift("s", CASHIER),
                 lambda: client.report_x("s", CASHIER), lambda: client.cash_in("s", 100, CASHIER),
                 lambda: client.cash_out("s", 100, CASHIER)):
        with pytest.raises(RegisterRefused) as err:
            call()
        assert err.value.code == "unsupported"
    register.set_state(offline=True)
    assert client.device_state().online is False
    with pytest.raises(RegisterUnavailable):
        client.submit("O-1", isp_receipt())


def test_nobody_listening() -> None:
    client = AtolOnlineClient(dead_url() + "/possystem/v5", "g", "l", "p", timeout=(0.5, 0.5))
    assert client.device_state().online is False
    with pytest.raises(RegisterUnavailable):
        client.submit("N-1", isp_receipt())


def test_factory_client_reaches_the_sandbox_with_demo_credentials(register: Any) -> None:
    rules = fr.FiscalRules(mode="atol_online", url=register.url, company_inn="7707083893",
                           company_email="kassa@office.ru", place="https://office.ru")
    client = factory.client_for(rules, None)
    assert client.submit("F-1", isp_receipt()).state == "done"
    web = factory.client_for(replace(rules, mode="atol_web"), None)
    assert web.shift_state().state == "opened"  # the cloud's receipt opened the one register's shift
