"""The billing emulator itself: state across restarts, accounts from generic CSVs, registry, control API, CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from cashier_app.emulators.billing.server import BillingControl, BillingServer, RemoteBindRefused
from cashier_app.emulators.billing.store import FIRST_PRV_TXN, read_accounts_csv, rubles_to_minor
from cashier_app.services.billing.osmp import OsmpClient
from tests.billing_emu.conftest import ACCOUNTS, DATE

GENERIC = ("number;contract;login;full_name;phone;address;tariff;monthly_charge;balance;blocked\n"
           "000123;Д-1;ivanov;Иванов Иван;+79001234567;ул. Ленина, д. 1;Базовый;500;-12,30;0\n"
           "271556;Д-2;petrova;Петрова Анна;;;Базовый;500;1 234,50;да\n")


def _pay(c: OsmpClient, txn_id: str, sum_minor: int = 10000, account: str = "000123", date: str = DATE):  # type: ignore[no-untyped-def]
    return c.pay(txn_id=txn_id, account=account, sum_minor=sum_minor, txn_date=date)


@pytest.mark.parametrize("dialect", ["abills", "ubilling"])
def test_state_survives_a_restart(tmp_path: Path, dialect: str) -> None:
    state = tmp_path / "billing.sqlite3"
    with BillingServer(dialect, state=state) as first:
        first.load_accounts(ACCOUNTS)
        c = OsmpClient(first.osmp_url, dialect, timeout=2)
        paid = _pay(c, "1001")
        if dialect == "abills":
            assert c.cancel(prv_txn=paid.prv_txn or "", txn_id="1001").result == 0
        _pay(c, "1002", 2500)
        before = first.payments()
        balance = first.accounts()
    with BillingServer(dialect, state=state) as second:  # another port, the same billing
        assert second.payments() == before
        assert second.accounts() == balance
        c = OsmpClient(second.osmp_url, dialect, timeout=2)
        repeat = _pay(c, "1002", 2500)
        assert repeat.result == (0 if dialect == "abills" else 300)
        assert _pay(c, "1003").prv_txn == str(FIRST_PRV_TXN + 2)  # numbering goes on
    assert state.exists()


def test_prv_txn_keeps_counting_after_a_wipe() -> None:
    with BillingServer("abills") as server:
        server.load_accounts(ACCOUNTS)
        c = OsmpClient(server.osmp_url, "abills", timeout=2)
        assert _pay(c, "1").prv_txn == str(FIRST_PRV_TXN)
        server.fault("pay", "http500")
        c.check(txn_id="chk", account="000123")
        server.reset()
        assert server.requests() == {"check": 0, "pay": 0, "cancel": 0}
        assert server.control("GET", "faults")["faults"] == []
        assert len(server.payments()) == 1  # a plain reset keeps what the billing knows
        server.reset(everything=True)
        assert server.payments() == [] and server.accounts() == []
        server.load_accounts(ACCOUNTS)
        assert _pay(c, "1").prv_txn == str(FIRST_PRV_TXN + 1)  # an id is never given twice


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ";"), ("utf-8-sig", ","), ("cp1251", "\t"),
                                                     ("cp1251", "|")])
def test_accounts_from_a_generic_import_csv(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = tmp_path / "accounts.csv"
    text = GENERIC.replace(";", delimiter)
    if delimiter == ",":
        text = text.replace("ул. Ленина, д. 1", '"ул. Ленина, д. 1"').replace("-12,30", '"-12,30"')
        text = text.replace("1 234,50", '"1 234,50"')
    path.write_bytes(text.encode(encoding))
    with BillingServer("abills") as server:
        assert server.load_accounts(path) == 2
        assert server.accounts() == [
            {"number": "000123", "full_name": "Иванов Иван", "balance_minor": -1230, "blocked": False, "closed": False},
            {"number": "271556", "full_name": "Петрова Анна", "balance_minor": 123450, "blocked": True, "closed": False},
        ]
        # Upsert by number: a second list changes what it names and keeps the rest.
        server.load_accounts([{"number": "271556", "full_name": "Петрова А.", "balance_minor": 0}])
        assert [a["full_name"] for a in server.accounts()] == ["Иванов Иван", "Петрова А."]
        server.load_accounts([{"number": "9", "balance": "1"}], replace=True)
        assert [a["number"] for a in server.accounts()] == ["9"]


def test_header_names_are_case_insensitive_and_bad_rows_are_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("\ufeffNUMBER ; Full_Name ;BALANCE\n1;A;5\n", encoding="utf-8")
    assert read_accounts_csv(path) == [{"number": "1", "full_name": "A", "balance": "5"}]
    path.write_text("login;balance\nx;5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="number"):
        read_accounts_csv(path)
    with BillingServer("abills") as server:
        server.load_accounts([{"number": "1", "balance": "1"}])
        with pytest.raises(ValueError, match="строка 3"):
            server.load_accounts([{"number": "2", "balance": "1"}, {"number": "3", "balance": "12,345"}])
        with pytest.raises(ValueError, match="blocked"):
            server.load_accounts([{"number": "4", "blocked": "maybe"}])
        assert [a["number"] for a in server.accounts()] == ["1"]  # nothing of a refused list


@pytest.mark.parametrize(("text", "minor"), [("1 234,50", 123450), ("1234.5", 123450), ("-12,3", -1230),
                                             ("5", 500), ("0", 0), ("1\u00a0000", 100000)])
def test_balance_text(text: str, minor: int) -> None:
    assert rubles_to_minor(text) == minor


@pytest.mark.parametrize("text", ["12,345", "1e3", "NaN", "1.2.3", "abc", "1,2,3"])
def test_balance_text_refused(text: str) -> None:
    with pytest.raises(ValueError):
        rubles_to_minor(text)


def test_registry_lists_accepted_payments_of_a_day() -> None:
    with BillingServer("abills") as server:
        server.load_accounts(ACCOUNTS)
        c = OsmpClient(server.osmp_url, "abills", timeout=2)
        _pay(c, "1", 123450, date="20261203235959")
        cancelled = _pay(c, "2", 100, date="20261203100000")
        c.cancel(prv_txn=cancelled.prv_txn or "", txn_id="2")
        _pay(c, "3", 5, account="271556", date="20261204000000")
        day = server.registry("2026-12-03")
        assert day == f"txn_id;prv_txn;account;sum;date\r\n1;{FIRST_PRV_TXN};000123;1234.50;2026-12-03 23:59:59\r\n"
        assert server.registry("2026-12-04").splitlines()[1:] == [f"3;{FIRST_PRV_TXN + 2};271556;0.05;2026-12-04 00:00:00"]
        assert len(server.registry().splitlines()) == 3  # all days, the cancelled one left out
        raw = requests.get(f"{server.url}/_control/registry", params={"date": "2026-12-03"}, timeout=5)
        assert raw.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert requests.get(f"{server.url}/_control/registry", params={"date": "03.12.2026"}, timeout=5).status_code == 400


def test_control_api_takes_json_only_and_names_bad_faults() -> None:
    with BillingServer("ubilling") as server:
        plain = requests.post(f"{server.url}/_control/faults", data='{"command": "pay", "kind": "http500"}',
                              headers={"Content-Type": "text/plain"}, timeout=5)
        assert plain.status_code == 415
        for bad in ({"command": "pay", "kind": "explode"}, {"command": "refund", "kind": "http500"},
                    {"command": "pay", "kind": "result=x"}, {"command": "pay", "kind": "slow", "seconds": -1},
                    {"command": "pay", "kind": "http500", "count": 0}):
            with pytest.raises(ValueError, match="400"):
                server.control("POST", "faults", bad)
        with pytest.raises(ValueError, match="400"):
            server.control("POST", "accounts", {"rows": "nope"})
        assert server.control("GET", "faults")["faults"] == []  # nothing was armed by the refused calls
        assert requests.get(f"{server.url}/_control/nothing", timeout=5).status_code == 404
        assert requests.get(f"{server.url}/elsewhere", timeout=5).status_code == 404
        fid = server.fault("check", "slow", count=2, seconds=0.1)
        assert server.control("GET", "faults")["faults"] == [
            {"id": fid, "command": "check", "kind": "slow", "count": 2, "after": 0, "seconds": 0.1}]
        assert server.control("GET", "state")["dialect"] == "ubilling"


def test_the_real_billings_paths_answer_too() -> None:
    with BillingServer("ubilling") as server:
        server.load_accounts(ACCOUNTS)
        for path in ("/openpayz/frontend/qiwi/", "/paysys_check.cgi"):
            c = OsmpClient(server.url + path, "ubilling", timeout=2)
            assert c.check(txn_id="chk", account="000123").result == 0
        bad = requests.get(server.osmp_url, params={"command": "pay", "txn_id": "1", "account": "000123",
                                                    "sum": "10,00", "txn_date": DATE}, timeout=5)
        assert "<result>300</result>" in bad.text and "bad sum" in bad.text
        assert "<result>300</result>" in requests.get(server.osmp_url, params={"command": "drop"}, timeout=5).text
        assert server.requests()["other"] == 1


def test_remote_address_needs_allow_remote(tmp_path: Path) -> None:
    with pytest.raises(RemoteBindRefused, match="allow-remote"):
        BillingServer("abills", host="0.0.0.0")
    with pytest.raises(ValueError, match="dialect"):
        BillingServer("lanbilling")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_sandbox_starts_answers_and_keeps_its_state(tmp_path: Path) -> None:
    port = _free_port()
    state, accounts = tmp_path / "b.sqlite3", tmp_path / "accounts.csv"
    accounts.write_bytes(GENERIC.encode("cp1251"))
    env = {**os.environ, "CASHIER_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cashier_app", "billing-sandbox", "--port", str(port), "--dialect", "ubilling",
         "--accounts", str(accounts), "--state", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        assert "2" in proc.stdout.readline()  # «Загружено лицевых счетов: 2»
        banner = proc.stdout.readline()  # printed once the port is bound
        assert f"http://127.0.0.1:{port}/osmp" in banner, banner + (proc.stderr.read() if proc.poll() else "")
        remote = BillingControl(f"http://127.0.0.1:{port}")
        c = OsmpClient(remote.osmp_url, "ubilling", timeout=2)
        assert c.check(txn_id="chk", account="000123").full_name == "Иванов Иван"
        assert _pay(c, "77").result == 0
        assert _pay(c, "77").duplicate
        assert [p["txn_id"] for p in remote.payments()] == ["77"]
    finally:
        proc.send_signal(signal.SIGTERM)  # how run.sh's background sandbox is stopped
        proc.wait(timeout=10)
    assert proc.returncode == 0  # a clean stop, not killed by the signal
    with BillingServer("ubilling", state=state) as again:
        assert [p["txn_id"] for p in again.payments()] == ["77"]


def test_cli_refuses_a_remote_address_and_a_bad_accounts_file(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from cashier_app.cli import main

    # In this process (the subprocess test above covers a real start): the same parser and handler.
    assert main(["billing-sandbox", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("login;balance\nx;1\n", encoding="utf-8")
    assert main(["billing-sandbox", "--port", "0", "--accounts", str(bad)]) == 2
    assert "number" in capsys.readouterr().err
