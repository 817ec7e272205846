"""Issue 10 §8: the T-Bank sandbox is as strict as the official OpenAPI spec, and the client follows the spec.

Every test talks to the real sandbox over loopback; the ``sandbox`` fixture also
asserts that no answer the sandbox gave broke the spec.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from gw_helpers import CARD_OK, TB_PASSWORD, TB_TERMINAL, Sandbox, order_number, tbank

from cashier_app.emulators.bank import spec
from cashier_app.services.gateways import tbank as tbank_module
from cashier_app.services.gateways.base import GatewayRejected
from cashier_app.services.gateways.tbank import make_token

OFFICIAL = Path(os.environ.get("CASHIER_TBANK_SPEC") or
                Path(__file__).resolve().parents[3] / "shared" / "reference" / spec.SPEC_FILE_NAME)


def call(sandbox: Sandbox, method: str, body: dict[str, Any], *, sign: bool = True) -> dict[str, Any]:
    """A raw T-Bank request, signed with the spec's Token; the answer is checked against the spec."""
    body = {"TerminalKey": TB_TERMINAL, **body}
    if sign:
        body["Token"] = spec.spec_token(body, TB_PASSWORD)
    answer = requests.post(f"{sandbox.url}/v2/{method}", json=body, timeout=5).json()
    assert spec.answer_problems(method, answer) == [], answer
    return answer  # type: ignore[no-any-return]


def init(sandbox: Sandbox, amount: int = 100_000, **extra: Any) -> dict[str, Any]:
    return call(sandbox, "Init", {"Amount": amount, "OrderId": order_number(), **extra})


def due(minutes: int = 20) -> str:
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)).isoformat()


# --- the spec itself ---------------------------------------------------------------------------------------

def test_the_shipped_subset_is_what_the_official_spec_says() -> None:
    assert OFFICIAL.is_file(), f"the official spec is expected at {OFFICIAL} (or CASHIER_TBANK_SPEC)"
    assert spec.extract_file(OFFICIAL) == spec.subset()


def test_token_is_the_specs_own_examples() -> None:
    # «Токен» section: the Init example, and the notification example (booleans as "true").
    init_example = {"TerminalKey": "MerchantTerminalKey", "Amount": 19200, "OrderId": "21090",
                    "Description": "Подарочная карта на 1000 рублей", "DATA": {"Phone": "+71234567890"},
                    "Receipt": {"Email": "a@test.ru", "Items": [{"Price": 10000}]}}
    assert spec.spec_token(init_example, "usaf8fw8fsw21g") == \
        "0024a00af7c350a3a67ca168ce06502aa72772456662e38696d48b56ee9c97d9"
    note = {"TerminalKey": "1321054611234DEMO", "OrderId": "201709", "Success": True, "Status": "AUTHORIZED",
            "PaymentId": 8742591, "ErrorCode": "0", "Amount": 9855, "CardId": 322264, "Pan": "430000******0777",
            "ExpDate": "1122", "RebillId": 101709}
    assert spec.spec_token(note, "Dfsfh56dgKl") == "b906d28e76c6428e37b25fcf86c0adc52c63d503013fdd632e300593d165766b"


@pytest.mark.parametrize(
    ("bug", "why"),
    [
        (lambda p, pw: make_token(p, ""), "the Password pair left out"),
        (lambda p, pw: make_token({k: v for k, v in p.items() if k != "Description"}, pw), "a field left out"),
        (lambda p, pw: make_token({**p, "PayType": p.get("PayType", "O").lower()}, pw), "a value changed"),
    ],
)
def test_a_client_token_bug_is_caught_by_the_sandbox(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch,
                                                     bug: Any, why: str) -> None:
    # The sandbox checks the Token with its own implementation: patching the client's make_token
    # (which the sandbox once called itself) must not make a wrong Token pass.
    monkeypatch.setattr(tbank_module, "make_token", bug)
    with pytest.raises(GatewayRejected) as exc:
        tbank(sandbox.url).create_order(order_number(), 10_000, "Интернет")
    assert exc.value.code == "204", why


# --- requests that break the spec get the bank's error ----------------------------------------------------------

@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"Description": "д" * 141}, "213"),
        ({"OrderId": "x" * 37}, "212"),
        ({"PayType": "X"}, "1"),
        ({"Language": "rus"}, "1"),
        ({"Amount": "100000"}, "247"),
        ({"Amount": 12345678901}, "247"),
        ({"RedirectDueDate": "2030-01-01T12:00:00"}, "12"),  # no +GMT offset
        ({"RedirectDueDate": "2030-01-01T12:00:00.123+03:00"}, "12"),
        ({"RedirectDueDate": "01.01.2030 12:00"}, "12"),
        ({"SuccessURL": "not a url"}, "1"),
        ({"DATA": {f"k{i}": "v" for i in range(21)}}, "207"),
        ({"DATA": {"k" * 21: "v"}}, "208"),
        ({"DATA": {"k": "v" * 101}}, "209"),
        ({"DATA": "строка"}, "250"),
        ({"Receipt": {"Items": [], "Taxation": "vat"}}, "1"),
        ({"TerminalKey": "T" * 21}, "210"),
    ],
)
def test_init_breaking_the_spec_is_refused(sandbox: Sandbox, extra: dict[str, Any], code: str) -> None:
    answer = call(sandbox, "Init", {"Amount": 100_000, "OrderId": order_number(), **extra})
    assert (answer["Success"], answer["ErrorCode"]) == (False, code), answer
    assert sandbox.orders(bank="tbank") == []  # nothing was registered


def test_within_the_limits_is_accepted(sandbox: Sandbox) -> None:
    answer = init(sandbox, Description="д" * 140, RedirectDueDate=due(), PayType="O", Language="ru",
                  SuccessURL="https://office.example/paid",
                  DATA={**{f"k{i}": "v" for i in range(19)}, "k" * 20: "v" * 100})
    assert (answer["Success"], answer["Status"]) == (True, "NEW"), answer


@pytest.mark.parametrize(
    ("method", "body", "code"),
    [
        ("GetState", {"PaymentId": 3000000001}, "1"),  # a number where the spec says string
        ("GetState", {}, "2"),
        ("Cancel", {"PaymentId": "3000000001", "Amount": "100"}, "247"),
        ("Cancel", {"PaymentId": "3000000001", "Route": "XYZ"}, "1"),
        ("CheckOrder", {}, "2"),
    ],
)
def test_other_methods_breaking_the_spec_are_refused(sandbox: Sandbox, method: str, body: dict[str, Any],
                                                     code: str) -> None:
    answer = call(sandbox, method, body)
    assert (answer["Success"], answer["ErrorCode"]) == (False, code), answer


def test_missing_token_is_refused(sandbox: Sandbox) -> None:
    answer = call(sandbox, "Init", {"Amount": 100_000, "OrderId": order_number()}, sign=False)
    assert (answer["Success"], answer["ErrorCode"]) == (False, "2")


def test_the_validator_catches_an_answer_that_breaks_the_spec() -> None:
    good = {"TerminalKey": "T", "OrderId": "1", "Success": True, "Status": "REFUNDED", "PaymentId": 1,
            "ErrorCode": "0", "OriginalAmount": 100, "NewAmount": 0}
    assert spec.answer_problems("Cancel", good) == []
    assert {p.kind for p in spec.answer_problems("Cancel", {**good, "PaymentId": "1"})} == {"type"}
    assert [p.path for p in spec.answer_problems("Cancel", {k: v for k, v in good.items() if k != "NewAmount"})] == \
        ["NewAmount"]
    assert spec.answer_problems("GetState", {"Success": False, "ErrorCode": "255", "Message": "Платеж не найден"}) == []


# --- Cancel answers as the spec says; the client reads it right --------------------------------------------------

def test_cancel_original_amount_is_before_this_cancel(sandbox: Sandbox) -> None:
    created = init(sandbox)
    sandbox.pay(created["PaymentId"])
    pid = created["PaymentId"]
    first = call(sandbox, "Cancel", {"PaymentId": pid, "Amount": 30_000})
    second = call(sandbox, "Cancel", {"PaymentId": pid, "Amount": 20_000})
    third = call(sandbox, "Cancel", {"PaymentId": pid})
    assert [(a["OriginalAmount"], a["NewAmount"], a["Status"]) for a in (first, second, third)] == [
        (100_000, 70_000, "PARTIAL_REFUNDED"), (70_000, 50_000, "PARTIAL_REFUNDED"), (50_000, 0, "REFUNDED")]


def test_client_refunded_total_over_three_partial_refunds(sandbox: Sandbox) -> None:
    client = tbank(sandbox.url)
    number = order_number()
    created = client.create_order(number, 100_000, "Интернет", timeout_secs=1200)
    sandbox.pay(created.bank_order_id or "")
    totals = [client.refund(number, created.bank_order_id, amount, f"{number}-R{i}")
              for i, amount in enumerate((30_000, 29_900, 100), 1)]
    assert [(st.refunded_kopecks, st.operation_kopecks) for st in totals] == [
        (30_000, 30_000), (59_900, 29_900), (60_000, 100)]
    assert sandbox.orders(order_number=number)[0]["refunded"] == 60_000


def test_repeated_external_request_id_answers_the_state(sandbox: Sandbox) -> None:
    client = tbank(sandbox.url)
    number = order_number()
    created = client.create_order(number, 100_000, "Интернет")
    sandbox.pay(created.bank_order_id or "")
    client.refund(number, created.bank_order_id, 10_000, "K1")
    again = client.refund(number, created.bank_order_id, 10_000, "K1")
    assert (again.refunded_kopecks, again.operation_kopecks) == (10_000, 0)
    assert sandbox.orders(order_number=number)[0]["refunded"] == 10_000


# --- statuses in progress and final ------------------------------------------------------------------------------------

def test_refunding_is_in_progress_not_final(sandbox: Sandbox) -> None:
    client = tbank(sandbox.url)
    number = order_number()
    created = client.create_order(number, 100_000, "Интернет")
    sandbox.pay(created.bank_order_id or "")
    sandbox.control("faults", {"endpoint": "Cancel", "kind": "in_progress"})
    st = client.refund(number, created.bank_order_id, 40_000, "R1")
    assert (st.state, st.raw_status, st.refunded_kopecks, st.operation_kopecks) == ("refunding", "REFUNDING", None,
                                                                                    40_000)
    with pytest.raises(GatewayRejected, match="ещё обрабатывается"):  # no second refund on top of it
        client.refund(number, created.bank_order_id, 10_000, "R2")  # (its GetState sees REFUNDING)
    done = client.status(number, created.bank_order_id)  # the sandbox finishes on the second look
    assert (done.state, done.raw_status) == ("partially_refunded", "PARTIAL_REFUNDED")
    assert sandbox.orders(order_number=number)[0]["refunded"] == 40_000


def test_sbp_refund_is_async_refunding(sandbox: Sandbox) -> None:
    client = tbank(sandbox.url)
    number = order_number()
    created = client.create_order(number, 100_000, "Интернет")
    sandbox.pay(created.bank_order_id or "", method="sbp")
    assert client.status(number, created.bank_order_id).payment_method == "sbp"
    st = client.refund(number, created.bank_order_id, 100_000, "R1")
    assert (st.state, st.raw_status) == ("refunding", "ASYNC_REFUNDING")
    assert client.status(number, created.bank_order_id).state == "refunding"
    assert client.status(number, created.bank_order_id).state == "refunded"


def test_sbp_ignores_external_request_id(sandbox: Sandbox) -> None:
    """The spec: ExternalRequestId «не работает для операций по СБП» — the same key refunds again."""
    created = init(sandbox)
    sandbox.pay(created["PaymentId"], method="sbp")
    for _ in range(2):
        call(sandbox, "Cancel", {"PaymentId": created["PaymentId"], "Amount": 10_000, "ExternalRequestId": "same"})
    call(sandbox, "GetState", {"PaymentId": created["PaymentId"]})
    call(sandbox, "GetState", {"PaymentId": created["PaymentId"]})
    assert sandbox.orders(bank="tbank")[0]["refunded"] == 20_000


def test_attempts_expired_is_final(sandbox: Sandbox) -> None:
    client = tbank(sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Интернет")
    for _ in range(6):  # the payment form opened more often than the bank allows
        requests.get(created.payment_url or "", timeout=5)
    st = client.status(number, created.bank_order_id)
    assert (st.state, st.raw_status) == ("expired", "ATTEMPTS_EXPIRED")
    assert st.reason_text_ru and "открывал" in st.reason_text_ru


# --- a terminal with the bank's online cash register ---------------------------------------------------------------------

RECEIPT = {"Email": "client@example.ru", "Taxation": "usn_income",
           "Items": [{"Name": "Интернет, договор 1001", "Price": 100_000, "Quantity": 1, "Amount": 100_000,
                      "Tax": "none", "PaymentMethod": "full_payment", "PaymentObject": "service"}]}


def test_online_kassa_terminal_needs_a_receipt(sandbox: Sandbox) -> None:
    assert sandbox.control("terminal", {"online_kassa": True}) == {"online_kassa": True}
    with pytest.raises(GatewayRejected) as exc:
        tbank(sandbox.url).create_order(order_number(), 100_000, "Интернет")
    assert exc.value.code == "309"
    assert init(sandbox)["ErrorCode"] == "309"
    assert init(sandbox, Receipt=RECEIPT)["Success"] is True
    assert init(sandbox, Receipt={**RECEIPT, "Email": None})["ErrorCode"] == "329"
    assert init(sandbox, 99_900, Receipt=RECEIPT)["ErrorCode"] == "334"
    sandbox.control("terminal", {"online_kassa": False})
    assert init(sandbox)["Success"] is True


def test_every_answer_of_a_whole_flow_passes_the_spec(sandbox: Sandbox) -> None:
    client = tbank(sandbox.url)
    number = order_number()
    created = client.create_order(number, 50_000, "Интернет")
    client.status(number, None)
    sandbox.pay(created.bank_order_id or "", CARD_OK)
    client.find_order(number)
    client.refund(number, created.bank_order_id, 100, "A")
    with pytest.raises(GatewayRejected):
        client.refund(number, created.bank_order_id, 10**6, "B")
    unpaid = order_number()
    made = client.create_order(unpaid, 10_000, "Связь")
    client.cancel(unpaid, made.bank_order_id, None, "C")
    assert client.status("nope", "3999999999").state == "unknown_order"
    violations = requests.get(f"{sandbox.url}/_control/spec", timeout=5).json()["violations"]
    assert violations == []
    assert json.dumps(violations)  # (the fixture asserts the same at teardown)
