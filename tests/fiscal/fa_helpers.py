"""Shared pieces of the register emulator's tests (helper A): a server per test, the two protocols by hand.

(No tests here.)  The requests are written out as the ATOL documents describe them, without the
app's clients, so these tests prove the emulator and not the clients.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cashier_app.emulators.register.server import RegisterServer

OPERATOR = {"name": "Кассир Иванова А. А.", "vatin": "500100732259"}
SUPPLIER_INN = "7707083893"


def new_uuid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def register(tmp_path: Path) -> Iterator[RegisterServer]:
    srv = RegisterServer(host="127.0.0.1", port=0, state_path=tmp_path / "register.sqlite")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def shared_register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegisterServer]:
    """One register for a module's many refusal cases (each leaves no document, so they cannot interfere)."""
    srv = RegisterServer(host="127.0.0.1", port=0,
                         state_path=tmp_path_factory.mktemp("register") / "register.sqlite")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


# -- ATOL Web Server ------------------------------------------------------------------------------

def position(value: float = 500.0, *, agent: bool = True, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "position", "name": "Оплата услуг связи, л/с 271556", "price": value, "quantity": 1,
        "amount": value, "tax": {"type": "none"}, "paymentMethod": "fullPrepayment", "paymentObject": "payment",
    }
    if agent:
        item["agentInfo"] = {
            "agents": ["payingAgent"],
            "payingAgent": {"operation": "Приём платежа", "phones": ["+79990001122"]},
            "receivePaymentsOperator": {"phones": ["+79990001133"]},
        }
        item["supplierInfo"] = {"name": "ООО «Провайдер»", "vatin": SUPPLIER_INN, "phones": ["+74951234567"]}
    item.update(extra)
    return item


def sell_task(amount: float = 500.0, *, kind: str = "sell", pay: str = "cash", paid: float | None = None,
              **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "type": kind, "taxationType": "usnIncome", "operator": OPERATOR,
        "items": [position(amount)],
        "payments": [{"type": pay, "sum": amount if paid is None else paid}],
        "total": amount,
    }
    if "Correction" in kind:
        task.update({"correctionType": "self", "correctionBaseDate": "2026.12.01"})
    task.update(extra)
    return task


def web_post(srv: RegisterServer, tasks: list[dict[str, Any]] | dict[str, Any], key: str | None = None,
             ) -> tuple[str, requests.Response]:
    key = key or new_uuid()
    body = {"uuid": key, "request": tasks if isinstance(tasks, list) else [tasks]}
    return key, requests.post(f"{srv.web_url}/api/v2/requests", json=body, timeout=10)


def web_get(srv: RegisterServer, key: str) -> requests.Response:
    return requests.get(f"{srv.web_url}/api/v2/requests/{key}", timeout=10)


def web_run(srv: RegisterServer, tasks: list[dict[str, Any]] | dict[str, Any],
            key: str | None = None) -> list[dict[str, Any]]:
    """POST the tasks, expect 201, poll once: the results."""
    key, answer = web_post(srv, tasks, key)
    assert answer.status_code == 201, answer.text
    polled = web_get(srv, key)
    assert polled.status_code == 200, polled.text
    results: list[dict[str, Any]] = polled.json()["results"]
    return results


def web_one(srv: RegisterServer, task: dict[str, Any]) -> dict[str, Any]:
    [result] = web_run(srv, task)
    return result


def open_shift(srv: RegisterServer) -> dict[str, Any]:
    result = web_one(srv, {"type": "openShift", "operator": OPERATOR})
    assert result["status"] == "ready", result
    return result


# -- ATOL Online ----------------------------------------------------------------------------------

def token(srv: RegisterServer) -> str:
    answer = requests.post(f"{srv.online_url}/getToken", json={"login": "demo-login", "pass": "demo-pass"},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def online_item(amount: float = 500.0) -> dict[str, Any]:
    return {
        "name": "Оплата услуг связи, л/с 271556", "price": amount, "quantity": 1, "sum": amount, "measure": 0,
        "payment_method": "full_prepayment", "payment_object": 10, "vat": {"type": "none"},
        "agent_info": {"type": "paying_agent",
                       "paying_agent": {"operation": "Приём платежа", "phones": ["+79990001122"]},
                       "receive_payments_operator": {"phones": ["+79990001133"]}},
        "supplier_info": {"name": "ООО «Провайдер»", "inn": SUPPLIER_INN, "phones": ["+74951234567"]},
    }


def online_body(external_id: str, amount: float = 500.0, *, operation: str = "sell", pay: int = 1) -> dict[str, Any]:
    root: dict[str, Any] = {
        "client": {"email": "buyer@example.ru"},
        "company": {"email": "office@example.ru", "sno": "usn_income", "inn": "7707083893",
                    "payment_address": "г. Москва, ул. Примерная, 1"},
        "items": [online_item(amount)],
        "payments": [{"type": pay, "sum": amount}],
        "vats": [{"type": "none"}],
        "total": amount,
        "cashier": OPERATOR["name"],
        "cashier_inn": OPERATOR["vatin"],
    }
    if "correction" in operation:
        root["correction_info"] = {"type": "self", "base_date": "01.12.2026", "base_number": ""}
        return {"external_id": external_id, "timestamp": "03.12.2026 14:05:00", "correction": root}
    return {"external_id": external_id, "timestamp": "03.12.2026 14:05:00", "receipt": root}


def online_post(srv: RegisterServer, tok: str, body: Any, operation: str = "sell",
                group: str = "demo-group") -> requests.Response:
    return requests.post(f"{srv.online_url}/{group}/{operation}", json=body, headers={"Token": tok}, timeout=10)


def online_report(srv: RegisterServer, tok: str, uuid_: str, group: str = "demo-group") -> requests.Response:
    return requests.get(f"{srv.online_url}/{group}/report/{uuid_}", headers={"Token": tok}, timeout=10)


__all__ = ["register", "shared_register"]
