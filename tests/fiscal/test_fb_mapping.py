"""Receipt → ATOL Web Server task and → ATOL Online v5 body; exact money in JSON; the client factory."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import ValidationError
from cashier_app.services.registers import factory
from cashier_app.services.registers.atol_online import AtolOnlineClient, online_body, vat_minor
from cashier_app.services.registers.atol_web import AtolWebClient, camel, web_task
from cashier_app.services.registers.http import decode, encode, to_minor

PHONES = {"agent_phone": "+79123456789", "operator_phone": "+74951234567", "supplier_phone": "+74951112233"}


def receipt(**kw: object) -> fr.Receipt:
    rules = fr.default_rules("isp", "ООО «Интерра»", "4027001231", **PHONES)
    args: dict[str, object] = {"operation": "sell", "amount_minor": 123450, "payment_type": "cash", "item_name": None,
                               "operator_name": "Иванова Анна", "operator_inn": "500100732259", "contact": None,
                               "electronically": False}
    args.update(kw)
    return fr.build_receipt(rules, **args)  # type: ignore[arg-type]


def test_exact_decimal_json() -> None:
    body = encode({"a": Decimal("1234.50"), "b": [Decimal("0.01"), Decimal("1")], "c": "@x@1.00@x@"})
    assert body == b'{"a": 1234.50, "b": [0.01, 1], "c": "@x@1.00@x@"}'
    assert decode(body)["a"] == Decimal("1234.50")
    with pytest.raises(TypeError):
        encode({"a": 1.5})
    assert to_minor(Decimal("1234.5")) == 123450 and to_minor(7) == 700
    for bad in (Decimal("0.001"), True, None, "x", Decimal("NaN")):
        with pytest.raises(ValueError):
            to_minor(bad)


def test_hostile_text_cannot_forge_a_number() -> None:
    # A name that looks like whatever marker might be used stays a string.
    name = '@deadbeefdeadbeef@1.00@deadbeefdeadbeef@"'
    assert json.loads(encode({"n": name, "s": Decimal("2.00")})) == {"n": name, "s": 2.0}


def test_web_task_names() -> None:
    task = web_task(receipt(contact="a@b.ru"))
    assert task["type"] == "sell" and task["taxationType"] == "usnIncome" and task["electronically"] is False
    assert task["operator"] == {"name": "Иванова Анна", "vatin": "500100732259"}
    assert task["clientInfo"] == {"emailOrPhone": "a@b.ru"}
    (item,) = task["items"]
    assert item["type"] == "position" and item["paymentMethod"] == "fullPrepayment"
    assert item["paymentObject"] == "payment" and item["tax"] == {"type": "none"}
    assert item["agentInfo"] == {"agents": ["payingAgent"], "payingAgent": {"phones": ["+79123456789"]},
                                 "receivePaymentsOperator": {"phones": ["+74951234567"]}}
    assert item["supplierInfo"] == {"name": "ООО «Интерра»", "vatin": "4027001231", "phones": ["+74951112233"]}
    assert task["payments"] == [{"type": "cash", "sum": Decimal("1234.50")}]
    assert b'"total": 1234.50' in encode(task) and b'"price": 1234.50' in encode(task)
    assert camel("usn_income_outcome") == "usnIncomeOutcome" and camel("agent_commission") == "agentCommission"


def test_web_task_operations_and_correction() -> None:
    assert web_task(receipt(operation="sell_return"))["type"] == "sellReturn"
    corr = web_task(receipt(operation="sell_correction", correction=fr.Correction("self", "01.12.2026", "17")))
    assert (corr["type"], corr["correctionType"], corr["correctionBaseDate"], corr["correctionBaseNumber"]) == (
        "sellCorrection", "self", "2026.12.01", "17")
    assert "clientInfo" not in web_task(receipt())


def test_online_body() -> None:
    at = datetime(2026, 12, 3, 14, 5, 9)
    body = online_body("P-1-sell-abc", receipt(contact="+79123456789"), at=at, company_inn="7707083893",
                       company_email="kassa@office.ru", payment_address="https://office.ru")
    assert body["external_id"] == "P-1-sell-abc" and body["timestamp"] == "03.12.2026 14:05:09"
    doc = body["receipt"]
    assert doc["client"] == {"phone": "+79123456789"}
    assert doc["company"] == {"email": "kassa@office.ru", "sno": "usn_income", "inn": "7707083893",
                              "payment_address": "https://office.ru"}
    (item,) = doc["items"]
    assert item["payment_object"] == 10 and item["payment_method"] == "full_prepayment" and item["measure"] == 0
    assert item["agent_info"] == {"type": "paying_agent", "paying_agent": {"phones": ["+79123456789"]},
                                  "receive_payments_operator": {"phones": ["+74951234567"]}}
    assert item["supplier_info"] == {"name": "ООО «Интерра»", "inn": "4027001231", "phones": ["+74951112233"]}
    assert doc["payments"] == [{"type": 0, "sum": Decimal("1234.50")}]
    assert doc["vats"] == [{"type": "none", "sum": Decimal("0.00")}]
    assert (doc["cashier"], doc["cashier_inn"]) == ("Иванова Анна", "500100732259")
    assert "service" not in body


def test_online_body_correction_and_fallback_client() -> None:
    r = receipt(operation="sell_correction", payment_type="electronically",
                correction=fr.Correction("instruction", "01.12.2026", "ПР-5"))
    body = online_body("k", r, at=datetime(2026, 12, 3), company_inn="7707083893", company_email="kassa@office.ru",
                       payment_address="x")
    assert "receipt" not in body
    assert body["correction"]["correction_info"] == {"type": "instruction", "base_date": "01.12.2026",
                                                     "base_number": "ПР-5"}
    assert body["correction"]["payments"] == [{"type": 1, "sum": Decimal("1234.50")}]
    # No buyer contact: the receipt goes to the company's mailbox (ATOL Online needs one of them).
    assert body["correction"]["client"] == {"email": "kassa@office.ru"}


def test_vat_inside_the_price() -> None:
    assert vat_minor("vat20", 12000) == 2000 and vat_minor("vat120", 100) == 17
    assert vat_minor("vat10", 110) == 10 and vat_minor("none", 5000) == 0 and vat_minor("vat0", 5000) == 0
    assert vat_minor("vat5", 10500) == 500


# --- the factory ----------------------------------------------------------------------------------

def online_rules(**kw: object) -> fr.FiscalRules:
    rules = fr.FiscalRules(mode="atol_online", url="https://online.atol.ru", group_code="g1", login="office",
                           company_inn="7707083893", company_email="kassa@office.ru", place="https://office.ru")
    return replace(rules, **kw)


def test_client_for_each_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASHIER_FISCAL_TIMEOUTS", raising=False)
    web = factory.client_for(fr.FiscalRules(mode="atol_web", url="http://10.0.0.5:16732/"), None)
    assert isinstance(web, AtolWebClient) and web.base_url == "http://10.0.0.5:16732" and web.supports_shifts
    assert web.http.timeout == (3.0, 10.0)
    over = factory.client_for(fr.FiscalRules(mode="atol_web"), None, url_override="http://127.0.0.1:1")
    assert isinstance(over, AtolWebClient) and over.base_url == "http://127.0.0.1:1"
    online = factory.client_for(online_rules(), "secret")
    assert isinstance(online, AtolOnlineClient) and not online.supports_shifts
    assert online.base_url == "https://online.atol.ru/possystem/v5"
    assert (online.group_code, online.login, online.company_inn) == ("g1", "office", "7707083893")
    with pytest.raises(ValidationError) as err:
        factory.client_for(fr.FiscalRules(mode="none"), None)
    assert err.value.field == "Режим ККТ"


def test_demo_password_only_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    assert factory.demo_secret_for("http://127.0.0.1:16732/possystem/v5") == "demo-pass"
    assert factory.demo_secret_for("http://localhost:1") == "demo-pass"
    assert factory.demo_secret_for("https://online.atol.ru/possystem/v5") is None
    assert factory.demo_secret_for("http://127.0.0.1.evil.ru/") is None
    with pytest.raises(ValidationError) as err:
        factory.client_for(online_rules(), None)
    assert err.value.field == "Пароль АТОЛ Онлайн"
    demo = factory.client_for(online_rules(url="http://127.0.0.1:9/possystem/v5", login=None, group_code=None), None)
    assert isinstance(demo, AtolOnlineClient)
    assert (demo.login, demo.group_code, demo._password) == ("demo-login", "demo-group", "demo-pass")


def test_timeouts_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "0.5,2")
    assert factory.client_for(fr.FiscalRules(mode="atol_web"), None).http.timeout == (0.5, 2.0)  # type: ignore[attr-defined]
    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "junk")
    assert factory.timeouts() == (3.0, 10.0)
