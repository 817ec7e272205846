"""The sandbox as a browser and an operator see it: pages, restart, control API, no card data kept."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest
import requests
from gw_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_NO_FUNDS,
    CARD_OK,
    CARD_OTHER,
    SBER_PASSWORD,
    TB_PASSWORD,
    Sandbox,
    make,
    order_number,
)

from cashier_app.emulators.bank.server import SandboxServer, main

BANKS = ["sberbank", "tbank"]
FUTURE_EXP = "12/39"


def _form_action(html: str) -> str:
    match = re.search(r"<form method='post' action='([^']+)'", html)
    assert match, html
    return match.group(1).replace("&amp;", "&")


def _browser_pay(base: str, payment_url: str, card: str, cvc: str = "123", exp: str = FUTURE_EXP) -> str:
    """GET the page, POST the card form as a browser would; returns the HTML answered."""
    browser = requests.Session()
    page = browser.get(payment_url, timeout=5)
    assert page.status_code == 200 and "Номер карты" in page.text
    answer = browser.post(
        base + _form_action(page.text), data={"pan": card, "exp": exp, "cvc": cvc}, timeout=5
    )
    assert answer.status_code == 200
    return answer.text


@pytest.mark.parametrize("bank", BANKS)
def test_browser_pays_on_the_page(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 99_900, "Интернет «Дом»", return_url="https://shop.example/back")
    html = _browser_pay(sandbox.url, created.payment_url or "", "2201 3820 0000 0013")
    assert "data-status='paid'" in html and "https://shop.example/back" in html
    assert CARD_OK not in html
    assert client.status(number, created.bank_order_id).state == "paid"
    # Opening the link again shows the result, not a second form.
    assert "data-status='paid'" in requests.get(created.payment_url or "", timeout=5).text


@pytest.mark.parametrize("bank", BANKS)
def test_browser_three_ds_challenge(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Связь")
    html = _browser_pay(sandbox.url, created.payment_url or "", CARD_3DS)
    assert "3-D Secure" in html
    code = re.search(r"<b id='demo-code'>(\d+)</b>", html)
    assert code and code.group(1) == "123456"
    assert client.status(number, None).state == "pending"
    done = requests.post(sandbox.url + _form_action(html), data={"code": code.group(1)}, timeout=5)
    assert "data-status='paid'" in done.text
    assert client.status(number, None).state == "paid"


@pytest.mark.parametrize("bank", BANKS)
def test_browser_declined_and_form_errors(sandbox: Sandbox, bank: str) -> None:
    client = make(bank, sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Связь")
    retry = _browser_pay(sandbox.url, created.payment_url or "", CARD_OK, cvc="12")
    assert "CVC" in retry and "class='err'" in retry
    st = client.status(number, created.bank_order_id)
    assert st.state == "pending"
    if bank == "tbank":
        assert st.raw_status == "FORM_SHOWED"
    html = _browser_pay(sandbox.url, created.payment_url or "", CARD_NO_FUNDS)
    assert "data-status='declined'" in html and "Недостаточно средств" in html
    assert client.status(number, created.bank_order_id).state == "declined"


def test_expired_card_is_declined(sandbox: Sandbox) -> None:
    client = make("tbank", sandbox.url)
    number = order_number()
    created = client.create_order(number, 10_000, "Связь")
    html = _browser_pay(sandbox.url, created.payment_url or "", CARD_OK, exp="01/20")
    assert "Истёк срок действия карты" in html
    assert client.status(number, None).reason_code == "1054"


def test_restart_keeps_orders_and_clock(tmp_path: Path) -> None:
    db = tmp_path / "bank.sqlite3"
    with SandboxServer(db) as first:
        sber, tb = make("sberbank", first.url), make("tbank", first.url)
        s_num, t_num = order_number(), order_number()
        s = sber.create_order(s_num, 10_000, "Интернет")
        t = tb.create_order(t_num, 20_000, "Интернет")
        requests.post(
            f"{first.url}/_control/pay", json={"bank_order_id": s.bank_order_id, "card": CARD_OK}, timeout=5
        )
        requests.post(f"{first.url}/_control/clock", json={"advance_secs": 600}, timeout=5)
    with SandboxServer(db) as second:
        assert second.url != ""
        sber, tb = make("sberbank", second.url), make("tbank", second.url)
        assert sber.status(s_num, None).state == "paid"
        assert tb.status(t_num, t.bank_order_id).state == "pending"
        assert requests.get(f"{second.url}/_control/clock", timeout=5).json()["offset_secs"] == 600
        with pytest.raises(Exception) as dup:
            tb.create_order(t_num, 20_000, "Интернет")
        assert getattr(dup.value, "duplicate", False)
        # 600 s already passed before the restart: 700 more cross the 20-minute deadline.
        requests.post(f"{second.url}/_control/clock", json={"advance_secs": 700}, timeout=5)
        assert tb.status(t_num, None).state == "expired"
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_no_card_data_or_secrets_in_db_or_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "bank.sqlite3"
    cvc = "739"
    cards = [CARD_OK, CARD_3DS, CARD_DECLINED, CARD_NO_FUNDS, CARD_OTHER]
    with SandboxServer(db) as server:
        for bank in BANKS:
            client = make(bank, server.url)
            for card in cards:
                created = client.create_order(order_number(), 10_000, "Интернет")
                html = _browser_pay(server.url, created.payment_url or "", card, cvc=cvc)
                if card == CARD_3DS:
                    requests.post(server.url + _form_action(html), data={"code": "123456"}, timeout=5)
            created = client.create_order(order_number(), 10_000, "Интернет")
            requests.post(
                f"{server.url}/_control/pay",
                timeout=5,
                json={
                    "bank_order_id": created.bank_order_id,
                    "card": CARD_3DS,
                    "cvc": cvc,
                    "three_ds_code": "123456",
                },
            )
            client.status("nope", None)
        masks = {
            o["card_mask"] for o in requests.get(f"{server.url}/_control/orders", timeout=5).json()["orders"]
        }
    assert "220138******0013" in masks and len(masks) == 5
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("bank.sqlite3"))
    for card in cards:
        for form in (card, f"{card[:4]} {card[4:8]} {card[8:12]} {card[12:]}"):
            assert form.encode() not in raw, f"PAN {form} stored"
    con = sqlite3.connect(db)
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
        assert not [c for c in columns if c in ("pan", "cvc", "cvv", "card_number")]
        for row in con.execute(f"SELECT * FROM {table}"):
            assert cvc not in [str(v) for v in row], f"CVC stored in {table}"
    logs = caplog.text
    assert "register.do" in logs and "/v2/Init" in logs  # the capture does see the traffic
    for secret in [*cards, SBER_PASSWORD + "&", "password=", TB_PASSWORD, f"cvc={cvc}", "pan="]:
        assert secret not in logs, f"{secret!r} leaked into logs"


def test_control_api_contract(sandbox: Sandbox) -> None:
    assert (
        requests.post(f"{sandbox.url}/_control/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    )
    assert (
        requests.post(f"{sandbox.url}/_control/pay", json={"order_number": "none"}, timeout=5).status_code
        == 404
    )
    assert requests.get(f"{sandbox.url}/_control/unknown", timeout=5).status_code == 404
    sandbox.fault("Init", "delay", count=3, delay_secs=0.1)
    [fault] = sandbox.control("faults", method="GET")["faults"]
    assert (fault["endpoint"], fault["kind"], fault["count"]) == ("Init", "delay", 3)
    assert sandbox.control("faults", method="DELETE")["faults"] == []
    sandbox.advance(100)
    assert sandbox.control("reset")["ok"] is True
    assert sandbox.control("clock", method="GET")["offset_secs"] == 0
    number = order_number()
    make("sberbank", sandbox.url).create_order(number, 500, "x")
    make("tbank", sandbox.url).create_order(number, 500, "x")
    both = requests.post(
        f"{sandbox.url}/_control/pay", json={"order_number": number, "card": CARD_OK}, timeout=5
    )
    assert both.status_code == 400  # ambiguous without "bank"
    one = sandbox.control("pay", {"order_number": number, "bank": "tbank", "card": CARD_OK})
    assert one["status"] == "PAID"
    assert [o["bank"] for o in sandbox.orders(order_number=number, bank="tbank")] == ["tbank"]


def test_unknown_page_links(sandbox: Sandbox) -> None:
    assert requests.get(f"{sandbox.url}/new/doesnotexist", timeout=5).status_code == 404
    assert (
        requests.get(
            f"{sandbox.url}/payment/merchants/sandbox/payment_ru.html?mdOrder=x", timeout=5
        ).status_code
        == 404
    )


def test_main_rejects_bad_arguments() -> None:
    with pytest.raises(SystemExit):
        main(["--port", "not-a-number"])
