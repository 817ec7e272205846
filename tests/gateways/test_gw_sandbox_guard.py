"""Issue 10 §6: the sandbox listens only on this computer unless told otherwise; its control API takes JSON only.

Anyone who reaches the sandbox can «pay» any order through ``/_control/pay``; a web
page can POST a form or text/plain to 127.0.0.1 without asking, but a JSON body
makes the browser ask first (a CORS preflight the sandbox never grants).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from gw_helpers import Sandbox, order_number, tbank

from cashier_app.emulators.bank.server import RemoteBindRefused, SandboxServer, main
from cashier_app.emulators.server_args import is_loopback_host


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.5.6.7", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("", False), ("::", False), ("192.168.1.10", False), ("10.0.0.1", False),
])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_a_non_loopback_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RemoteBindRefused, match="--allow-remote"):
        SandboxServer(tmp_path / "bank.sqlite3", host="0.0.0.0", port=0)
    assert not (tmp_path / "bank.sqlite3").exists()  # refused before anything was opened


def test_allow_remote_lets_it_listen_everywhere(tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "bank.sqlite3", host="0.0.0.0", port=0, allow_remote=True)
    server.start()
    try:
        port = server.url.rsplit(":", 1)[1]
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    finally:
        server.stop()


def test_the_command_refuses_a_non_loopback_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0", "--db", str(tmp_path / "bank.sqlite3")]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert not (tmp_path / "bank.sqlite3").exists()


def _new_order(sandbox: Sandbox) -> str:
    created = tbank(sandbox.url).create_order(order_number(), 10_000, "Интернет")
    return created.bank_order_id or ""


@pytest.mark.parametrize(("headers", "body"), [
    ({"Content-Type": "application/x-www-form-urlencoded"}, "bank_order_id={id}&card=2201382000000013"),
    ({"Content-Type": "text/plain"}, '{{"bank_order_id": "{id}", "card": "2201382000000013"}}'),
    ({"Content-Type": "multipart/form-data; boundary=x"}, "--x--"),
    ({}, ""),
])
def test_control_api_refuses_what_is_not_json(sandbox: Sandbox, headers: dict[str, str], body: str) -> None:
    pid = _new_order(sandbox)
    resp = requests.post(f"{sandbox.url}/_control/pay", data=body.format(id=pid).encode(), headers=headers, timeout=5)
    assert resp.status_code == 415
    assert sandbox.orders(bank="tbank")[0]["status"] == "NEW"  # nobody paid
    assert requests.delete(f"{sandbox.url}/_control/faults", timeout=5).status_code == 415


def test_control_api_takes_a_json_object(sandbox: Sandbox) -> None:
    pid = _new_order(sandbox)
    url = f"{sandbox.url}/_control/pay"
    assert requests.post(url, data="[1, 2]", headers={"Content-Type": "application/json"}, timeout=5).status_code \
        == 400
    assert requests.post(url, data="{", headers={"Content-Type": "application/json"}, timeout=5).status_code == 400
    paid = requests.post(url, json={"bank_order_id": pid, "card": "2201382000000013"}, timeout=5)
    assert paid.status_code == 200 and paid.json()["status"] == "PAID"
    assert requests.get(f"{sandbox.url}/_control/orders", timeout=5).status_code == 200  # reading needs no body
