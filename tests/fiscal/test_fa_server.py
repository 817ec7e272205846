"""The register emulator as a server: restart keeps the FN and numbering, the control API, the guard, the CLI."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from cashier_app.emulators.register.server import RegisterServer, RemoteBindRefused
from tests.fiscal.fa_helpers import (
    online_body,
    online_post,
    online_report,
    open_shift,
    sell_task,
    token,
    web_get,
    web_one,
    web_post,
)


def test_restart_keeps_the_fn_the_shift_and_the_numbering(tmp_path: Path) -> None:
    state = tmp_path / "register.sqlite"
    with RegisterServer(state_path=state) as first:
        open_shift(first)
        key, answer = web_post(first, sell_task())
        assert answer.status_code == 201
        tok = token(first)
        uuid_ = online_post(first, tok, online_body("P-20")).json()["uuid"]
        before = first.documents()
        fn = first.state()["fn_number"]
        rn = first.state()["registration_number"]
    with RegisterServer(state_path=state) as second:
        assert second.state()["fn_number"] == fn and second.state()["registration_number"] == rn
        assert second.documents() == before
        assert web_one(second, {"type": "getShiftStatus"})["result"]["shiftStatus"]["state"] == "opened"
        # The requests are remembered: a lookup answers, a resubmission is refused, no second receipt.
        assert web_get(second, key).json()["results"][0]["status"] == "ready"
        assert web_post(second, sell_task(), key)[1].status_code == 409
        assert online_report(second, tok, uuid_).json()["status"] == "done"  # the token survived too
        assert online_post(second, tok, online_body("P-20")).json()["uuid"] == uuid_
        result = web_one(second, sell_task())
        assert result["result"]["fiscalParams"]["fiscalDocumentNumber"] == before[-1]["fd_number"] + 1
        assert result["result"]["fiscalParams"]["fiscalReceiptNumber"] == 3
        assert result["result"]["fiscalParams"]["fnNumber"] == fn
        # The fiscal sign is the FN's: the same document signs the same after a restart.
        assert second.documents()[:len(before)] == before


def test_a_new_state_file_is_a_new_register(tmp_path: Path) -> None:
    with RegisterServer(state_path=tmp_path / "a.sqlite") as a, RegisterServer(state_path=tmp_path / "b.sqlite") as b:
        assert a.state()["fn_number"] != b.state()["fn_number"]
        assert re.fullmatch(r"\d{16}", a.state()["fn_number"])
        assert a.port != b.port and a.url == f"http://127.0.0.1:{a.port}"
        assert a.online_url == f"{a.url}/possystem/v5" and a.web_url == a.url


def test_control_api_takes_json_only(tmp_path: Path) -> None:
    with RegisterServer(state_path=tmp_path / "r.sqlite") as srv:
        for name in ("faults", "state", "clock", "reset"):
            form = requests.post(f"{srv.url}/_control/{name}", data={"kind": "http500", "endpoint": "sell"},
                                 timeout=5)
            assert form.status_code == 415, name
            plain = requests.post(f"{srv.url}/_control/{name}", data='{"kind": "http500"}',
                                  headers={"Content-Type": "text/plain"}, timeout=5)
            assert plain.status_code == 415, name
        broken = requests.post(f"{srv.url}/_control/faults", data="{", headers={"Content-Type": "application/json"},
                               timeout=5)
        assert broken.status_code == 400
        listed = requests.post(f"{srv.url}/_control/faults", data="[]", headers={"Content-Type": "application/json"},
                               timeout=5)
        assert listed.status_code == 400
        assert requests.get(f"{srv.url}/_control/nothing", timeout=5).status_code == 404
        assert srv.control("GET", "faults")["faults"] == []  # nothing was armed by the refused calls
        assert requests.get(f"{srv.url}/elsewhere", timeout=5).status_code == 404


def test_remote_address_needs_allow_remote(tmp_path: Path) -> None:
    with pytest.raises(RemoteBindRefused, match="allow-remote"):
        RegisterServer(host="0.0.0.0", state_path=tmp_path / "r.sqlite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_starts_serves_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    state = tmp_path / "cli.sqlite"
    env = {**os.environ, "CASHIER_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cashier_app", "fiscal-sandbox", "--port", str(port), "--state", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()  # printed once the port is bound
        assert f"http://127.0.0.1:{port}" in banner, banner + (proc.stderr.read() if proc.poll() else "")
        srv = RegisterServer.__new__(RegisterServer)
        srv.url = f"http://127.0.0.1:{port}"
        open_shift(srv)
        assert web_one(srv, sell_task())["status"] == "ready"
        assert [d["type"] for d in srv.documents()] == ["openShift", "sell"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert state.exists()


def test_cli_refuses_a_remote_address(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cashier_app", "fiscal-sandbox", "--host", "0.0.0.0", "--state",
         str(tmp_path / "x.sqlite")],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "CASHIER_DATA_DIR": str(tmp_path / "data")},
    )
    assert done.returncode == 2 and "--allow-remote" in done.stderr
    assert not (tmp_path / "x.sqlite").exists()
