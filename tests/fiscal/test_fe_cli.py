"""``cashier-app fiscal …`` and the receipt in ``pay-cash`` / ``pay-card``'s JSON line, authenticated, against
the register emulator over loopback.  A bad ``--contact`` is refused naming the option before money moves.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from cashier_app import cli as cli_main
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.fiscal.fc_helpers import account, docs_for, register, row_of, set_fiscal
from tests.test_card_helpers import bank, office
from tests.test_cli import cli

__all__ = ["bank", "office", "register"]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_USER", "manager")
    monkeypatch.setenv("CASHIER_PASSWORD", "manager")
    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "1,1")


def run(capsys: pytest.CaptureFixture[str], db: Database, *args: str) -> tuple[int, str, str]:
    """In the test's process (the same argv, parser and authentication as the command; faster)."""
    capsys.readouterr()
    rc = cli_main.main([*args, "--db", str(db.engine.url)])
    out, err = capsys.readouterr()
    return rc, out, err


def payments(db: Database) -> int:
    with db.read() as uow:
        return int(uow.session.execute(select(func.count()).select_from(m.Payment)).scalar_one())


def _office(db: Database, srv: Any, capsys: pytest.CaptureFixture[str], mode: str = "atol_web") -> None:
    set_fiscal(db, srv, mode)
    rc, _out, err = run(capsys, db, "shift", "open", "--float", "1000")
    assert rc == 0, err


def test_pay_cash_json_carries_the_receipt(fresh_db: Database, register: Any) -> None:
    """The real command in its own process: the JSON line has the fiscal data once the receipt is done."""
    set_fiscal(fresh_db, register, "atol_web")
    url = str(fresh_db.engine.url)
    opened = cli("shift", "open", "--float", "1000", "--db", url, user="manager")
    assert opened.returncode == 0, opened.stderr
    p = cli("pay-cash", "--account", account(fresh_db), "--amount", "1234,50", "--contact", "buyer@example.ru",
            "--json", "--db", url, user="manager")
    assert p.returncode == 0, p.stderr
    line = json.loads(p.stdout)
    fiscal = line["fiscal"]
    r = row_of(fresh_db, line["payment"])
    assert fiscal["state"] == "done" and fiscal["key"] == r.key and fiscal["contact"] == "buyer@example.ru"
    assert (fiscal["fd_number"], fiscal["fiscal_sign"], fiscal["fn_number"]) == (r.fd_number, r.fiscal_sign,
                                                                                 r.fn_number)
    assert f"s=1234.50&fn={r.fn_number}&i={r.fd_number}&fp={r.fiscal_sign}&n=1" in fiscal["qr"]
    assert len(docs_for(register, r.key)) == 1


@pytest.mark.parametrize(("extra", "option"), [
    (("--contact", "ivanov@"), "--contact"),
    (("--contact", "8-800"), "--contact"),
    (("--contact", "a" * 5000 + "@example.ru"), "--contact"),
    (("--contact", "buyer@exa\nmple.ru"), "--contact"),
    (("--contact", "+7912\x003456789"), "--contact"),
    (("--contact", "٩١٢٣٤٥٦٧٨٩٠"), "--contact"),
    (("--paperless",), "--paperless"),
])
def test_bad_receipt_options_are_refused_before_money_moves(fresh_db: Database, register: Any,
                                                            capsys: pytest.CaptureFixture[str],
                                                            extra: tuple[str, ...], option: str) -> None:
    _office(fresh_db, register, capsys)
    before = payments(fresh_db)
    rc, out, err = run(capsys, fresh_db, "pay-cash", "--account", account(fresh_db), "--amount", "100", *extra)
    assert rc == 2 and err.startswith(f"cashier-app: {option}:"), err
    assert len(err.strip().splitlines()) == 1 and out == ""
    assert payments(fresh_db) == before


def test_paperless_with_contact(fresh_db: Database, register: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _office(fresh_db, register, capsys)
    rc, out, err = run(capsys, fresh_db, "pay-cash", "--account", account(fresh_db), "--amount", "100",
                       "--contact", "+7 912 345-67-89", "--paperless", "--json")
    assert rc == 0, err
    line = json.loads(out)
    assert line["fiscal"]["electronically"] is True and line["fiscal"]["contact"] == "+79123456789"
    [doc] = docs_for(register, line["fiscal"]["key"])
    assert doc["electronically"] is True


def test_receipts_and_retry_of_a_lost_answer(fresh_db: Database, register: Any,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _office(fresh_db, register, capsys)
    register.fault("sell", "drop_after_processing")  # the receipt is made, its answer lost
    rc, out, err = run(capsys, fresh_db, "pay-cash", "--account", account(fresh_db), "--amount", "200", "--json")
    assert rc == 0, err
    line = json.loads(out)
    payment, key = line["payment"], line["fiscal"]["key"]
    assert line["fiscal"]["state"] == "sent" and "qr" not in line["fiscal"]

    rc, out, _ = run(capsys, fresh_db, "fiscal", "receipts", "--payment", payment, "--json")
    [view] = json.loads(out)
    assert rc == 0 and view["state"] == "sent" and view["payment_number"] == payment and view["key"] == key
    rc, out, _ = run(capsys, fresh_db, "fiscal", "receipts", "--payment", payment)
    assert rc == 0 and payment in out and "ждёт ответа" in out

    rc, out, err = run(capsys, fresh_db, "fiscal", "retry", payment)
    assert rc == 0, (out, err)
    assert "пробит" in out and "ФД" in out and "QR t=" in out
    assert len(docs_for(register, key)) == 1  # asked first: the lost receipt adopted, not made again
    rc, out, err = run(capsys, fresh_db, "fiscal", "retry", payment)
    assert rc == 2 and "уже пробит" in err and len(docs_for(register, key)) == 1
    rc, out, _ = run(capsys, fresh_db, "fiscal", "reconcile", "--json")
    assert rc == 0 and json.loads(out)["unfinished"] == 0


def test_retry_of_a_refused_receipt_makes_it_once_under_a_new_key(fresh_db: Database, register: Any,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Paper out: nothing was made under the first key (the register keeps its refusal for ever);
    once paper is in, «retry» sends the same receipt under a new key — one sale, not two."""
    _office(fresh_db, register, capsys)
    register.fault("sell", "paper_out")
    rc, out, _ = run(capsys, fresh_db, "pay-cash", "--account", account(fresh_db), "--amount", "300", "--json")
    line = json.loads(out)
    assert rc == 0 and line["fiscal"]["state"] == "failed" and line["fiscal"]["error"]
    rc, out, _ = run(capsys, fresh_db, "fiscal", "retry", line["payment"], "--json")
    assert rc == 0, out
    row = row_of(fresh_db, line["payment"])
    assert row.state == "done" and row.key != line["fiscal"]["key"]
    assert docs_for(register, line["fiscal"]["key"]) == [] and len(docs_for(register, row.key)) == 1
    rc, out, err = run(capsys, fresh_db, "fiscal", "retry", line["payment"])
    assert rc != 0 and "уже пробит" in (out + err) and len(docs_for(register, row.key)) == 1


def test_retry_while_the_register_is_away_exits_3(fresh_db: Database, register: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _office(fresh_db, register, capsys)
    register.fault("sell", "drop_after_processing")
    rc, out, _ = run(capsys, fresh_db, "pay-cash", "--account", account(fresh_db), "--amount", "300", "--json")
    payment, key = json.loads(out)["payment"], json.loads(out)["fiscal"]["key"]
    register.set_state(offline=True)
    rc, out, err = run(capsys, fresh_db, "fiscal", "retry", payment)
    assert rc == 3 and "повторно он не пробьётся" in err
    register.set_state(offline=False)
    rc, out, _ = run(capsys, fresh_db, "fiscal", "reconcile", "--json")
    assert rc == 0 and json.loads(out)["done"] == 1 and json.loads(out)["unfinished"] == 0
    assert len(docs_for(register, key)) == 1


def test_correct_a_failed_sale(fresh_db: Database, register: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _office(fresh_db, register, capsys)
    register.fault("sell", "paper_out")
    rc, out, _ = run(capsys, fresh_db, "pay-cash", "--account", account(fresh_db), "--amount", "400", "--json")
    payment = json.loads(out)["payment"]
    rc, out, err = run(capsys, fresh_db, "fiscal", "correct", payment, "--reason", "чек не пробит: нет бумаги",
                       "--json")
    assert rc == 0, err
    [view] = json.loads(out)
    assert view["operation"] == "sell_correction" and view["state"] == "done"
    kinds = [d["type"] for d in register.documents() if d["type"].startswith("sell")]
    assert kinds == ["sellCorrection"]  # never a second sale
    rc, _out, err = run(capsys, fresh_db, "fiscal", "correct", payment, "--reason", "ещё раз")
    assert rc == 2 and "уже оформлен" in err


def test_status_and_x(fresh_db: Database, register: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _office(fresh_db, register, capsys)
    rc, out, _ = run(capsys, fresh_db, "fiscal", "status", "--json")
    st = json.loads(out)
    assert rc == 0 and st["state"] == "ready" and st["shift_state"] == "opened", st
    rc, out, _ = run(capsys, fresh_db, "fiscal", "x", "--json")
    x = json.loads(out)
    assert rc == 0 and x["register_ok"] is True, x
    assert [d for d in register.documents() if d["type"] == "reportX"]
    register.set_state(paper=False)
    rc, out, _ = run(capsys, fresh_db, "fiscal", "status")
    assert rc == 0 and "нет бумаги" in out
    register.stop()
    rc, out, _ = run(capsys, fresh_db, "fiscal", "status", "--json")
    assert rc == 0 and json.loads(out)["state"] == "offline"


def test_fiscal_commands_authenticate(fresh_db: Database, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_PASSWORD", "wrong")
    rc, out, err = run(capsys, fresh_db, "fiscal", "receipts")
    assert rc == 2 and out == "" and "Traceback" not in err


def test_pay_card_json_carries_the_receipt(office: Any, register: Any) -> None:
    """pay-card in its own process: the customer pays at the bank, the receipt is made, the JSON line says so."""
    import os
    import subprocess
    import sys

    from tests.fiscal.fc_helpers import open_register_shift
    from tests.test_card_helpers import PAYEE_OF_BANK, account_of

    set_fiscal(office.db, register, "atol_web")
    open_register_shift(register)
    number = account_of(office.db, PAYEE_OF_BANK["tbank"])
    env = {**os.environ, "CASHIER_USER": "cashier", "CASHIER_PASSWORD": "cashier", "CASHIER_CARD_POLL_SECS": "0.1",
           "CASHIER_GW_TIMEOUTS": "1,0.5", "CASHIER_FISCAL_TIMEOUTS": "1,1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cashier_app", "pay-card", "--account", number, "--amount", "450,00", "--no-browser",
         "--wait", "30", "--contact", "8 912 345 67 89", "--db", str(office.db.engine.url)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    order = proc.stdout.readline().strip()
    assert order.startswith("CA-"), proc.stderr.read()
    proc.stdout.readline()  # the payment link
    office.bank.pay(order, "tbank")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    line = json.loads(out.strip().splitlines()[-1])
    fiscal = line["fiscal"]
    assert fiscal["state"] == "done" and fiscal["contact"] == "+79123456789", fiscal
    r = row_of(office.db, line["payment_number"])
    [doc] = docs_for(register, r.key)
    assert doc["payments"] == [{"type": "electronically", "sum_minor": 45_000}] or \
        doc["payments"][0]["sum_minor"] == 45_000
    assert fiscal["fd_number"] == r.fd_number == doc["fd_number"] and f"i={r.fd_number}" in fiscal["qr"]
