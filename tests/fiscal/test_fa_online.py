"""The register emulator over ATOL Online v5: token, the three receipts, report, duplicate external_id."""

from __future__ import annotations

import re

import pytest
import requests

from cashier_app.emulators.register.server import RegisterServer
from tests.fiscal.fa_helpers import (
    new_uuid,
    online_body,
    online_item,
    online_post,
    online_report,
    open_shift,
    register,
    sell_task,
    shared_register,
    token,
    web_one,
)

__all__ = ["register", "shared_register"]


def test_get_token_checks_the_login(register: RegisterServer) -> None:
    bad = requests.post(f"{register.online_url}/getToken", json={"login": "demo-login", "pass": "nope"}, timeout=10)
    assert bad.status_code == 401
    assert bad.json()["token"] is None and bad.json()["error"]["code"] == 12
    good = requests.post(f"{register.online_url}/getToken", json={"login": "demo-login", "pass": "demo-pass"},
                         timeout=10)
    assert good.status_code == 200 and good.json()["error"] is None
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", good.json()["timestamp"])


def test_sell_then_report_done(register: RegisterServer) -> None:
    tok = token(register)
    accepted = online_post(register, tok, online_body("P-1-sell-abc"))
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "wait" and body["error"] is None and body["uuid"]
    report = online_report(register, tok, body["uuid"]).json()
    assert report["status"] == "done" and report["error"] is None
    assert report["external_id"] == "P-1-sell-abc" and report["group_code"] == "demo-group"
    payload = report["payload"]
    [doc] = register.documents("P-1-sell-abc")
    assert register.documents(body["uuid"]) == [doc]
    assert payload["fiscal_document_number"] == doc["fd_number"]
    assert payload["fiscal_document_attribute"] == int(doc["fiscal_sign"])
    assert payload["fn_number"] == doc["fn_number"] and len(payload["fn_number"]) == 16
    assert payload["ecr_registration_number"] == doc["registration_number"]
    assert payload["shift_number"] == doc["shift_number"] == 1
    assert payload["fiscal_receipt_number"] == 1 and payload["total"] == 500.0
    assert payload["fns_site"] == "www.nalog.gov.ru"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:00", payload["receipt_datetime"])
    assert doc["protocol"] == "online" and doc["electronically"] is True
    assert doc["client"] == {"email": "buyer@example.ru"} and doc["operator"]["vatin"] == "500100732259"
    assert doc["payments"] == [{"type": "electronically", "sum_minor": 50000}]
    # The cloud register opened its own shift first.
    assert [d["type"] for d in register.documents()] == ["openShift", "sell"]


def test_refund_and_correction(register: RegisterServer) -> None:
    tok = token(register)
    for external_id, operation in (("P-2-sell", "sell"), ("P-2-ret", "sell_refund"), ("P-2-fix", "sell_correction")):
        accepted = online_post(register, tok, online_body(external_id, 120.5, operation=operation), operation)
        assert accepted.status_code == 200, accepted.text
        assert online_report(register, tok, accepted.json()["uuid"]).json()["status"] == "done"
    assert [d["type"] for d in register.documents()] == ["openShift", "sell", "sellReturn", "sellCorrection"]
    assert register.documents("P-2-fix")[0]["correction"]["type"] == "self"
    wrong_root = online_body("P-2-fix2", operation="sell")  # "receipt" where the correction needs "correction"
    assert online_post(register, tok, wrong_root, "sell_correction").status_code == 400


def test_duplicate_external_id_answers_the_existing_uuid(register: RegisterServer) -> None:
    tok = token(register)
    first = online_post(register, tok, online_body("P-3-sell")).json()
    again = online_post(register, tok, online_body("P-3-sell", 999.0))
    assert again.status_code == 200
    body = again.json()
    assert body["uuid"] == first["uuid"]
    assert body["error"]["code"] == 33
    assert body["error"]["text"].startswith("В системе существует чек с external_id")
    assert len(register.documents("P-3-sell")) == 1
    assert [d["type"] for d in register.documents()].count("sell") == 1


def test_token_required_and_expires(register: RegisterServer) -> None:
    none = online_post(register, "", online_body("P-4"))
    assert none.status_code == 401 and none.json()["error"]["code"] == 11
    assert online_post(register, "forged", online_body("P-4")).status_code == 401
    tok = token(register)
    register.clock(advance_secs=25 * 3600)
    expired = online_post(register, tok, online_body("P-4"))
    assert expired.status_code == 401
    assert online_post(register, token(register), online_body("P-4")).status_code == 200
    assert len(register.documents("P-4")) == 1


def test_unknown_group_and_uuid(register: RegisterServer) -> None:
    tok = token(register)
    assert online_post(register, tok, online_body("P-5"), group="other-group").status_code == 400
    missing = online_report(register, tok, "00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 34
    assert requests.post(f"{register.online_url}/demo-group/buy", json={}, headers={"Token": tok},
                         timeout=10).status_code == 404


def test_cloud_register_renews_an_expired_shift(register: RegisterServer) -> None:
    tok = token(register)
    online_post(register, tok, online_body("P-6-a"))
    register.clock(advance_secs=25 * 3600)
    tok = token(register)
    accepted = online_post(register, tok, online_body("P-6-b")).json()
    assert online_report(register, tok, accepted["uuid"]).json()["status"] == "done"
    assert [d["type"] for d in register.documents()] == ["openShift", "sell", "closeShift", "openShift", "sell"]
    assert register.documents("P-6-b")[0]["shift_number"] == 2


def test_both_protocols_share_one_register(register: RegisterServer) -> None:
    open_shift(register)
    web_one(register, sell_task())
    tok = token(register)
    online_post(register, tok, online_body("P-7"))
    docs = register.documents()
    assert [d["fd_number"] for d in docs] == [1, 2, 3]
    assert {d["fn_number"] for d in docs} == {register.state()["fn_number"]}
    assert docs[-1]["shift_number"] == 1 and docs[-1]["receipt_number"] == 2


def _bad(body: dict[str, object], path: list[str | int], value: object) -> dict[str, object]:
    node: object = body
    for key in path[:-1]:
        node = node[key]  # type: ignore[index]
    if value is KeyError:
        del node[path[-1]]  # type: ignore[attr-defined]
    else:
        node[path[-1]] = value  # type: ignore[index]
    return body


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["external_id"], KeyError, "external_id"),
        (["external_id"], "x" * 129, "external_id"),
        (["timestamp"], "2026-12-03 14:05:00", "timestamp"),
        (["receipt", "total"], 400.0, "receipt.total"),
        (["receipt", "total"], "500", "receipt.total"),
        (["receipt", "payments", 0, "sum"], 100.0, "receipt.payments"),
        (["receipt", "payments", 0, "type"], "card", "receipt.payments[0].type"),
        (["receipt", "client"], {}, "receipt.client"),
        (["receipt", "client"], {"email": "not-an-email"}, "receipt.client.email"),
        (["receipt", "company", "inn"], "123", "receipt.company.inn"),
        (["receipt", "company", "payment_address"], KeyError, "receipt.company.payment_address"),
        (["receipt", "items", 0, "payment_object"], "service", "receipt.items[0].payment_object"),
        (["receipt", "items", 0, "measure"], "шт", "receipt.items[0].measure"),
        (["receipt", "items", 0, "sum"], 499.0, "receipt.items[0].sum"),
        (["receipt", "items", 0, "vat"], KeyError, "receipt.items[0].vat"),
        (["receipt", "items", 0, "supplier_info"], KeyError, "receipt.items[0].supplier_info"),
        (["receipt", "items", 0, "supplier_info", "inn"], "77070838931", "receipt.items[0].supplier_info.inn"),
        (["receipt", "items", 0, "agent_info", "type"], "agent", "receipt.items[0].agent_info.type"),
        (["receipt", "items", 0, "agent_info", "receive_payments_operator"], KeyError,
         "receipt.items[0].agent_info.receive_payments_operator"),
        (["receipt", "cashier_inn"], "7707083893", "receipt.cashier_inn"),
    ],
)
def test_bodies_the_cloud_refuses(shared_register: RegisterServer, path: list[str | int], value: object,
                                  field: str) -> None:
    register = shared_register
    tok = token(register)
    external_id = new_uuid()
    before = register.documents()
    answer = online_post(register, tok, _bad(online_body(external_id), path, value))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == 32 and field in error["text"], error
    assert answer.json()["uuid"] is None
    assert register.documents() == before
    if path != ["external_id"]:
        # Refused, so the external_id is still free.
        assert online_post(register, tok, online_body(external_id)).json()["error"] is None


def test_commission_agent_online(register: RegisterServer) -> None:
    tok = token(register)
    body = online_body("P-9", 1000.0)
    item = online_item(1000.0)
    item["agent_info"] = {"type": "commission_agent"}
    item["supplier_info"] = {"name": "ООО «Туроператор»", "inn": "7707083893"}
    body["receipt"]["items"] = [item]  # type: ignore[index]
    assert online_post(register, tok, body).status_code == 200


def test_same_external_id_from_eight_threads_makes_one_receipt(register: RegisterServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    tok = token(register)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: online_post(register, tok, online_body("P-race")).json(), range(8)))
    assert len({a["uuid"] for a in answers}) == 1
    assert sorted((a["error"] or {}).get("code", 0) for a in answers) == [0] + [33] * 7
    assert len(register.documents("P-race")) == 1


def test_get_token_by_query(register: RegisterServer) -> None:
    answer = requests.get(f"{register.online_url}/getToken", params={"login": "demo-login", "pass": "demo-pass"},
                          timeout=10)
    assert answer.status_code == 200 and answer.json()["token"]
    report = requests.get(f"{register.online_url}/demo-group/report/x", params={"token": answer.json()["token"]},
                          timeout=10)
    assert report.status_code == 404  # authorised, just no such receipt
