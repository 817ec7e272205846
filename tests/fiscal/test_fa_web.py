"""The register emulator over ATOL Web Server v2: every task, the 409, and a real register's refusals."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from cashier_app.emulators.register.server import RegisterServer
from tests.fiscal.fa_helpers import (
    OPERATOR,
    open_shift,
    position,
    register,
    sell_task,
    shared_register,
    web_get,
    web_one,
    web_post,
    web_run,
)

__all__ = ["register", "shared_register"]


def test_sell_gives_fiscal_params_and_a_document(register: RegisterServer) -> None:
    opened = open_shift(register)["result"]["fiscalParams"]
    result = web_one(register, sell_task(500.0, paid=1000.0))
    assert result["status"] == "ready" and result["errorCode"] == 0
    params = result["result"]["fiscalParams"]
    assert params["fiscalDocumentNumber"] == opened["fiscalDocumentNumber"] + 1
    assert re.fullmatch(r"\d{10}", params["fiscalDocumentSign"])
    assert re.fullmatch(r"\d{16}", params["fnNumber"]) and re.fullmatch(r"\d{16}", params["registrationNumber"])
    assert params["shiftNumber"] == opened["shiftNumber"] == 1
    assert params["fiscalReceiptNumber"] == 1 and params["total"] == 500.0
    assert params["fnsUrl"] == "www.nalog.gov.ru"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\+03:00", params["fiscalDocumentDateTime"])
    datetime.fromisoformat(params["fiscalDocumentDateTime"])
    [doc] = [d for d in register.documents() if d["type"] == "sell"]
    assert doc["fd_number"] == params["fiscalDocumentNumber"]
    assert doc["fiscal_sign"] == params["fiscalDocumentSign"]
    assert doc["total_minor"] == 50000 and doc["payments"] == [{"type": "cash", "sum_minor": 100000}]
    assert doc["protocol"] == "web" and doc["operator"] == OPERATOR and doc["client"] is None
    assert doc["items"][0]["supplierInfo"]["vatin"] == "7707083893"
    assert register.state()["cash_minor"] == 50000  # 1000 taken, 500 change


def test_sell_return_and_correction(register: RegisterServer) -> None:
    open_shift(register)
    assert web_one(register, sell_task(300.0))["status"] == "ready"
    back = web_one(register, sell_task(300.0, kind="sellReturn"))
    assert back["status"] == "ready", back
    fix = web_one(register, sell_task(300.0, kind="sellCorrection", pay="electronically",
                                      correctionType="instruction", correctionBaseNumber="12-к"))
    assert fix["status"] == "ready", fix
    types = [d["type"] for d in register.documents()]
    assert types == ["openShift", "sell", "sellReturn", "sellCorrection"]
    assert register.documents()[-1]["correction"] == {"type": "instruction", "base_date": "2026.12.01",
                                                      "base_number": "12-к"}
    assert register.state()["cash_minor"] == 0


def test_electronic_receipt_keeps_the_contact(register: RegisterServer) -> None:
    open_shift(register)
    task = sell_task(100.0, pay="electronically", electronically=True,
                     clientInfo={"emailOrPhone": "+79161234567"})
    assert web_one(register, task)["status"] == "ready"
    doc = register.documents()[-1]
    assert doc["electronically"] is True and doc["client"] == {"emailOrPhone": "+79161234567"}
    no_contact = web_one(register, sell_task(100.0, pay="electronically", electronically=True))
    assert no_contact["status"] == "error" and "clientInfo.emailOrPhone" in no_contact["errorDescription"]


def test_shift_cycle_cash_and_reports(register: RegisterServer) -> None:
    status = web_one(register, {"type": "getShiftStatus"})["result"]["shiftStatus"]
    assert status["state"] == "closed" and status["number"] == 0
    open_shift(register)
    again = web_one(register, {"type": "openShift", "operator": OPERATOR})
    assert again["status"] == "error" and again["errorCode"] == 65
    cash_in = web_one(register, {"type": "cashIn", "cashSum": 1000.0, "operator": OPERATOR})
    assert cash_in["result"] == {"counters": {"cashSum": 1000.0}}
    web_one(register, sell_task(250.0))
    out = web_one(register, {"type": "cashOut", "cashSum": 200.0, "operator": OPERATOR})
    assert out["result"] == {"counters": {"cashSum": 1050.0}}
    too_much = web_one(register, {"type": "cashOut", "cashSum": 5000.0, "operator": OPERATOR})
    assert too_much["status"] == "error" and too_much["errorCode"] == 82
    assert web_one(register, {"type": "reportX", "operator": OPERATOR})["status"] == "ready"
    status = web_one(register, {"type": "getShiftStatus"})["result"]["shiftStatus"]
    assert status["state"] == "opened" and status["number"] == 1
    closed = web_one(register, {"type": "closeShift", "operator": OPERATOR})
    assert closed["status"] == "ready"
    assert closed["result"]["fiscalParams"]["receiptsCount"] == 1
    assert closed["result"]["fiscalParams"]["shiftNumber"] == 1
    z = register.documents()[-1]
    assert z["type"] == "closeShift"
    assert z["totals"] == {"sell": 25000, "cashIn": 100000, "cashOut": 20000, "receipts": 1, "cash_minor": 105000}
    assert [d["type"] for d in register.documents()] == ["openShift", "cashIn", "sell", "cashOut", "reportX",
                                                         "closeShift"]
    assert web_one(register, {"type": "closeShift", "operator": OPERATOR})["errorCode"] == 66
    open_shift(register)
    assert web_one(register, {"type": "getShiftStatus"})["result"]["shiftStatus"]["number"] == 2


def test_device_ofd_and_continue_print(register: RegisterServer) -> None:
    device = web_one(register, {"type": "getDeviceStatus"})["result"]["deviceStatus"]
    assert device["paperPresent"] is True and device["shift"] == "closed"
    assert device["fnNumber"] == register.state()["fn_number"]
    open_shift(register)
    web_one(register, sell_task())
    register.set_state(unsent=2)
    ofd = web_one(register, {"type": "ofdExchangeStatus"})["result"]["status"]
    assert ofd["notSentCount"] == 2 and ofd["notSentFirstDocNumber"] == 1
    assert ofd["notSentFirstDocDateTime"] == register.documents()[0]["at"]
    assert web_one(register, {"type": "continuePrint"})["status"] == "ready"
    assert web_one(register, {"type": "printLastReceiptCopy"})["status"] == "ready"


def test_reused_uuid_is_409_and_makes_nothing(register: RegisterServer) -> None:
    open_shift(register)
    key, first = web_post(register, sell_task())
    assert first.status_code == 201
    _, again = web_post(register, sell_task(), key)
    assert again.status_code == 409 and key in again.json()["error"]["description"]
    _, other = web_post(register, {"type": "getShiftStatus"}, key)
    assert other.status_code == 409
    assert len(register.documents(key)) == 1
    assert web_get(register, key).json()["results"][0]["status"] == "ready"


def test_unknown_uuid_is_404(register: RegisterServer) -> None:
    assert web_get(register, "no-such-request").status_code == 404


def test_closed_shift_refuses_a_sell(register: RegisterServer) -> None:
    result = web_one(register, sell_task())
    assert result["status"] == "error" and result["errorCode"] == 66
    assert "Смена закрыта" in result["errorDescription"]
    assert register.documents() == []


def test_a_failed_task_interrupts_the_rest(register: RegisterServer) -> None:
    results = web_run(register, [{"type": "openShift", "operator": OPERATOR}, sell_task(total=999.0),
                                 sell_task()])
    assert [r["status"] for r in results] == ["ready", "error", "interrupted"]
    key_docs = [d["type"] for d in register.documents()]
    assert key_docs == ["openShift"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total": 400.0}, "total"),
        ({"payments": [{"type": "cash", "sum": 100.0}]}, "payments"),
        ({"payments": [{"type": "electronically", "sum": 600.0}]}, "payments"),
        ({"items": [position(500.0, amount=400.0)]}, "items[0].amount"),
        ({"items": [position(500.0, price="500")]}, "items[0].price"),
        ({"items": [position(500.0, quantity=0)]}, "items[0].quantity"),
        ({"items": [position(500.0, tax={"type": "vat18"})]}, "items[0].tax.type"),
        ({"items": [position(500.0, paymentObject="платёж")]}, "items[0].paymentObject"),
        ({"items": [position(500.0, supplierInfo=None)]}, "items[0].supplierInfo"),
        ({"items": [position(500.0, supplierInfo={"name": "ООО", "vatin": "77070838", "phones": ["+74951234567"]})]},
         "items[0].supplierInfo.vatin"),
        ({"items": [position(500.0, supplierInfo={"name": "ООО", "vatin": "7707083893"})]},
         "items[0].supplierInfo.phones"),
        ({"items": [position(500.0, agentInfo={"agents": ["payingAgent"]})]}, "items[0].agentInfo.payingAgent"),
        ({"items": [position(500.0, agentInfo={"agents": ["agent"]})]}, "items[0].agentInfo.agents[0]"),
        ({"items": [position(500.0, agent=False, supplierInfo={"name": "ООО", "vatin": "7707083893"})]},
         "items[0].supplierInfo"),
        ({"items": [position(500.0, amout=500.0)]}, "items[0].amout"),
        ({"items": []}, "items"),
        ({"operator": {"name": ""}}, "operator.name"),
        ({"operator": {"name": "Иванова", "vatin": "7707083893"}}, "operator.vatin"),
        ({"taxationType": "usn"}, "taxationType"),
        ({"electronically": "yes"}, "electronically"),
        ({"Total": 500.0}, "Total"),
    ],
)
def test_receipts_a_real_register_refuses(shared_register: RegisterServer, change: dict[str, object],
                                         field: str) -> None:
    register = shared_register
    if register.state()["shift"]["state"] == "closed":
        open_shift(register)
    before = register.documents()
    task = sell_task(500.0)
    task.update(change)
    result = web_one(register, task)
    assert result["status"] == "error", result
    assert result["errorCode"] == 180 and field in result["errorDescription"], result
    assert register.documents() == before


def test_commission_agent_needs_no_phones(register: RegisterServer) -> None:
    open_shift(register)
    item = position(1000.0, agentInfo={"agents": ["commissionAgent"]},
                    supplierInfo={"name": "ООО «Туроператор»", "vatin": "7707083893"})
    assert web_one(register, sell_task(1000.0, items=[item]))["status"] == "ready"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"request": [{"type": "sell"}]}',
        b'{"uuid": 5, "request": [{"type": "getShiftStatus"}]}',
        b'{"uuid": "a", "request": []}',
        b'{"uuid": "a", "request": ["sell"]}',
        b'{"uuid": "a", "request": [{"type": "sale"}]}',
        b'{"uuid": "a", "request": [{"kind": "sell"}]}',
        b'{"uuid": "a", "tasks": [{"type": "getShiftStatus"}]}',
    ],
)
def test_malformed_requests_are_400(shared_register: RegisterServer, body: bytes) -> None:
    import requests

    register = shared_register
    before = register.documents()
    answer = requests.post(f"{register.web_url}/api/v2/requests", data=body,
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["description"]
    assert register.documents() == before


def test_documents_of_a_multi_task_request_are_found_by_its_uuid(register: RegisterServer) -> None:
    key, answer = web_post(register, [{"type": "openShift", "operator": OPERATOR}, sell_task(), sell_task(20.0)])
    assert answer.status_code == 201
    docs = register.documents(key)
    assert [d["type"] for d in docs] == ["openShift", "sell", "sell"]
    assert [d["key"] for d in docs] == [f"{key}#0", f"{key}#1", f"{key}#2"]
    assert register.documents(f"{key}#1") == [docs[1]]
    assert register.documents(key[:-1]) == []


def test_same_uuid_from_eight_threads_makes_one_receipt(register: RegisterServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    open_shift(register)
    key = "P-race-sell"
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(lambda _: web_post(register, sell_task(), key)[1].status_code, range(8)))
    assert codes == [201] + [409] * 7
    assert len(register.documents(key)) == 1
