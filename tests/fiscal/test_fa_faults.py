"""Every fault kind of the register emulator on both protocols, and the register's own bad states."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from cashier_app.emulators.register.server import RegisterServer
from tests.fiscal.fa_helpers import (
    OPERATOR,
    new_uuid,
    online_body,
    online_post,
    online_report,
    open_shift,
    register,
    sell_task,
    token,
    web_get,
    web_one,
    web_post,
)

__all__ = ["register"]


def _sells(srv: RegisterServer) -> list[dict[str, object]]:
    return [d for d in srv.documents() if d["type"] == "sell"]


# -- ATOL Web Server ------------------------------------------------------------------------------

def test_drop_after_processing_makes_the_receipt_and_loses_the_answer(register: RegisterServer) -> None:
    open_shift(register)
    register.fault("sell", "drop_after_processing")
    key = new_uuid()
    with pytest.raises(requests.ConnectionError):
        web_post(register, sell_task(), key)
    assert len(register.documents(key)) == 1
    # The uuid is the way back: the lookup says it is done, a resubmission is refused.
    assert web_get(register, key).json()["results"][0]["status"] == "ready"
    assert web_post(register, sell_task(), key)[1].status_code == 409
    assert len(_sells(register)) == 1


def test_drop_before_processing_makes_nothing(register: RegisterServer) -> None:
    open_shift(register)
    register.fault("requests", "drop_before_processing")
    key = new_uuid()
    with pytest.raises(requests.ConnectionError):
        web_post(register, sell_task(), key)
    assert web_get(register, key).status_code == 404
    assert web_post(register, sell_task(), key)[1].status_code == 201
    assert len(register.documents(key)) == 1


def test_offline_fault_and_offline_state(register: RegisterServer) -> None:
    register.fault("*", "offline")
    with pytest.raises(requests.ConnectionError):
        web_post(register, {"type": "getShiftStatus"})
    assert web_one(register, {"type": "getShiftStatus"})["status"] == "ready"
    register.set_state(offline=True)
    with pytest.raises(requests.ConnectionError):
        web_post(register, {"type": "openShift", "operator": OPERATOR})
    with pytest.raises(requests.ConnectionError):
        token(register)
    assert register.state()["offline"] is True  # the control API still answers
    register.set_state(offline=False)
    open_shift(register)


def test_http500_and_delay(register: RegisterServer) -> None:
    open_shift(register)
    register.fault("sell", "http500")
    key, answer = web_post(register, sell_task())
    assert answer.status_code == 500
    assert web_get(register, key).status_code == 404 and len(_sells(register)) == 0
    register.fault("sell", "delay", delay_secs=0.5)
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{register.web_url}/api/v2/requests", json={"uuid": key, "request": [sell_task()]},
                      timeout=0.1)
    # A slow register still did the work (the client just stopped waiting for it).
    for _ in range(200):
        if register.documents(key):
            break
        time.sleep(0.025)
    assert len(register.documents(key)) == 1


def test_wait_holds_the_result_for_count_polls(register: RegisterServer) -> None:
    open_shift(register)
    register.fault("sell", "wait", count=2)
    key, answer = web_post(register, sell_task())
    assert answer.status_code == 201
    assert register.documents(key) == []  # queued, not yet printed
    assert [web_get(register, key).json()["results"][0]["status"] for _ in range(2)] == ["wait", "wait"]
    assert web_get(register, key).json()["results"][0]["status"] == "ready"
    assert len(register.documents(key)) == 1
    # A wait armed on the poll itself.
    register.fault("results", "wait", count=1)
    assert web_get(register, key).json()["results"][0]["status"] == "wait"
    assert web_get(register, key).json()["results"][0]["status"] == "ready"


def test_paper_out_fault_and_paper_state(register: RegisterServer) -> None:
    open_shift(register)
    register.fault("sell", "paper_out")
    result = web_one(register, sell_task())
    assert result["status"] == "error" and result["errorCode"] == 44 and "бумаги" in result["errorDescription"]
    assert _sells(register) == []
    assert web_one(register, sell_task())["status"] == "ready"
    register.set_state(paper=False)
    assert web_one(register, sell_task())["errorCode"] == 44
    assert web_one(register, {"type": "continuePrint"})["errorCode"] == 44
    assert web_one(register, {"type": "getDeviceStatus"})["result"]["deviceStatus"]["paperPresent"] is False
    electronic = sell_task(pay="electronically", electronically=True, clientInfo={"emailOrPhone": "a@b.ru"})
    assert web_one(register, electronic)["status"] == "ready"  # nothing to print
    register.set_state(paper=True)
    assert web_one(register, {"type": "continuePrint"})["status"] == "ready"
    assert len(_sells(register)) == 2


def test_after_lets_calls_through_first(register: RegisterServer) -> None:
    open_shift(register)
    register.fault("sell", "http500", after=1)
    assert web_post(register, sell_task())[1].status_code == 201
    assert web_post(register, sell_task())[1].status_code == 500
    assert web_post(register, sell_task())[1].status_code == 201
    assert len(_sells(register)) == 2


def test_a_fault_for_another_task_leaves_this_one_alone(register: RegisterServer) -> None:
    register.fault("sellReturn", "http500")
    assert web_post(register, {"type": "openShift", "operator": OPERATOR})[1].status_code == 201
    assert web_post(register, sell_task())[1].status_code == 201
    assert web_post(register, sell_task(kind="sellReturn"))[1].status_code == 500


def test_shift_past_24_hours_is_refused(register: RegisterServer) -> None:
    open_shift(register)
    register.clock(advance_secs=24 * 3600 + 60)
    status = web_one(register, {"type": "getShiftStatus"})["result"]["shiftStatus"]
    assert status["state"] == "expired"
    result = web_one(register, sell_task())
    assert result["errorCode"] == 68 and "24 час" in result["errorDescription"]
    assert web_one(register, {"type": "cashIn", "cashSum": 10.0, "operator": OPERATOR})["errorCode"] == 68
    assert web_one(register, {"type": "closeShift", "operator": OPERATOR})["status"] == "ready"
    open_shift(register)
    assert web_one(register, sell_task())["status"] == "ready"


def test_shift_opened_at_by_control(register: RegisterServer) -> None:
    long_ago = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    state = register.set_state(shift_opened_at=long_ago)
    assert state["shift"]["state"] == "expired" and state["shift"]["number"] == 1
    assert web_one(register, sell_task())["errorCode"] == 68
    assert register.documents() == []  # put there by the test, not by a document
    assert register.set_state(shift_open=False)["shift"]["state"] == "closed"
    with pytest.raises(ValueError, match="смещение"):
        register.set_state(shift_opened_at="2026-12-03T10:00:00")
    with pytest.raises(ValueError):
        register.set_state(papr=False)


# -- ATOL Online ----------------------------------------------------------------------------------

def test_online_drop_after_processing_then_duplicate_gives_the_uuid(register: RegisterServer) -> None:
    tok = token(register)
    register.fault("sell", "drop_after_processing")
    with pytest.raises(requests.ConnectionError):
        online_post(register, tok, online_body("P-10"))
    assert len(register.documents("P-10")) == 1
    again = online_post(register, tok, online_body("P-10")).json()
    assert again["error"]["code"] == 33
    assert online_report(register, tok, again["uuid"]).json()["status"] == "done"
    assert len(register.documents("P-10")) == 1


def test_online_wait_paper_and_report_faults(register: RegisterServer) -> None:
    tok = token(register)
    register.fault("sell_refund", "wait", count=1)
    uuid_ = online_post(register, tok, online_body("P-11", operation="sell_refund"), "sell_refund").json()["uuid"]
    assert online_report(register, tok, uuid_).json()["status"] == "wait"
    assert online_report(register, tok, uuid_).json()["status"] == "done"
    register.fault("sell", "paper_out")
    failed = online_post(register, tok, online_body("P-12")).json()["uuid"]
    report = online_report(register, tok, failed).json()
    assert report["status"] == "fail" and report["error"]["code"] == 44 and report["payload"] is None
    assert register.documents("P-12") == []
    register.fault("report", "http500")
    assert online_report(register, tok, uuid_).status_code == 500
    register.fault("report", "drop_before_processing")
    with pytest.raises(requests.ConnectionError):
        online_report(register, tok, uuid_)
    register.fault("getToken", "delay", delay_secs=0.05)
    assert token(register)


def test_faults_list_and_clear(register: RegisterServer) -> None:
    register.fault("sell", "http500", count=3)
    assert [f["kind"] for f in register.control("GET", "faults")["faults"]] == ["http500"]
    register.clear_faults()
    assert register.control("GET", "faults")["faults"] == []
    with pytest.raises(ValueError, match="kind"):
        register.fault("sell", "explode")
    register.fault("sell", "http500")
    register.set_state(paper=False, unsent=5)
    register.clock(advance_secs=3600)
    register.reset()
    state = register.state()
    assert state["paper"] is True and state["unsent"] == 0
    assert register.control("GET", "faults")["faults"] == []
    assert register.clock()["offset_secs"] == 0.0
