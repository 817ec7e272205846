"""``pay-card`` after a lost register answer (issue 10 §3): the link is printed — recovered, or the order is
cancelled and replaced — or the cashier is told plainly why not; the «link lost» note survives every poll.

Runs the real ``cashier-app pay-card`` against the sandbox with faults injected at the bank.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cashier_app.services import audit, card_payments
from cashier_app.storage import models as m
from tests.test_card_helpers import (
    CREATE,
    PAYEE_OF_BANK,
    Office,
    account_of,
    balance,
    bank,
    ctx_for,
    office,
    order_state,
)

__all__ = ["bank", "office"]
ROOT = Path(__file__).resolve().parent.parent
BANKS = ["sberbank", "tbank"]
CANCEL = {"sberbank": "decline.do", "tbank": "Cancel"}
AMOUNT, AMOUNT_MINOR = "456,00", 45_600


def _pay_card(office: Office, account: str, wait: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CASHIER_GW_TIMEOUTS": "1,0.5", "CASHIER_CARD_POLL_SECS": "0.1",
           "CASHIER_USER": "cashier", "CASHIER_PASSWORD": "cashier"}
    return subprocess.Popen(
        [sys.executable, "-m", "cashier_app", "pay-card", "--account", account, "--amount", AMOUNT, "--no-browser",
         "--wait", wait, "--db", str(office.db.engine.url)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


def _credited(office: Office, account: str) -> int:
    with office.db.read() as uow:
        s = uow.session
        aid = s.execute(select(m.Account.id).where(m.Account.number == account)).scalar_one()
        return int(s.execute(select(func.count()).select_from(m.Payment).where(
            m.Payment.account_id == aid, m.Payment.method == "card", m.Payment.credited.is_(True))).scalar_one())


def _bank_orders(office: Office, bank_name: str, account: str) -> list[dict]:
    return [o for o in office.bank.orders(bank=bank_name)
            if o["amount"] == AMOUNT_MINOR and o["description"] == f"Л/с {account}"]


@pytest.mark.parametrize("bank_name", BANKS)
def test_lost_answer_of_a_registered_order_cancels_it_and_prints_a_new_link(office: Office, bank_name: str) -> None:
    account = account_of(office.db, PAYEE_OF_BANK[bank_name], 5)
    before, credited = balance(office.db, account), _credited(office, account)
    office.bank.fault(CREATE[bank_name], "drop_after_processing")  # the bank registers it, the answer is lost
    proc = _pay_card(office, account, "20")
    assert proc.stdout is not None
    number, url = proc.stdout.readline().strip(), proc.stdout.readline().strip()
    assert url.startswith("http"), (number, url, proc.stderr.read() if proc.stderr else "")
    office.bank.pay(number, bank_name)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = json.loads(out.strip().splitlines()[-1])
    first = [o for o in _bank_orders(office, bank_name, account) if o["order_number"] != number]
    assert len(first) == 1 and first[0]["status"] == "CANCELED"  # nobody can pay the link we never saw
    old = first[0]["order_number"]
    # Said which: the first order was found and cancelled, the link is the new order's.
    assert old in err and "отменён" in err and number in err, err
    assert final["recovery"] and old in final["recovery"] and final["state"] == "paid"
    assert order_state(office.db, old) == ("cancelled", "cancelled", False)
    assert [o["status"] for o in office.bank.orders(order_number=number)] == ["PAID"]
    assert balance(office.db, account) == before + AMOUNT_MINOR
    assert _credited(office, account) == credited + 1
    assert audit.verify(office.db).ok


@pytest.mark.parametrize("bank_name", BANKS)
def test_lost_answer_before_the_bank_registers_again_and_prints_the_link(office: Office, bank_name: str) -> None:
    account = account_of(office.db, PAYEE_OF_BANK[bank_name], 6)
    before = balance(office.db, account)
    office.bank.fault(CREATE[bank_name], "http500")  # the bank never processed it
    proc = _pay_card(office, account, "20")
    assert proc.stdout is not None
    number, url = proc.stdout.readline().strip(), proc.stdout.readline().strip()
    assert url.startswith("http"), (number, url, proc.stderr.read() if proc.stderr else "")
    office.bank.pay(number, bank_name)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "зарегистрирован повторно" in err, err
    assert [o["order_number"] for o in _bank_orders(office, bank_name, account)] == [number]
    assert balance(office.db, account) == before + AMOUNT_MINOR


@pytest.mark.parametrize("bank_name", BANKS)
def test_lost_link_that_cannot_be_cancelled_is_said_and_the_note_survives_polling(
        office: Office, bank_name: str) -> None:
    account = account_of(office.db, PAYEE_OF_BANK[bank_name], 7)
    before = balance(office.db, account)
    office.bank.fault(CREATE[bank_name], "drop_after_processing")
    office.bank.fault(CANCEL[bank_name], "http500", count=20)
    proc = _pay_card(office, account, "1")
    out, err = proc.communicate(timeout=60)
    lines = out.splitlines()
    number, url = lines[0].strip(), lines[1].strip()
    assert url == "" and proc.returncode == 3, (out, err)  # still pending: never «failed»
    assert "отменить его не удалось" in err and "Не принимайте оплату" in err, err
    final = json.loads(lines[-1])
    assert "ссылка на оплату потерялась" in final["status"], final  # after many polls, still said
    assert "отменить его не удалось" in final["recovery"]
    again = card_payments.check(ctx_for(office.db), number)
    assert "ссылка на оплату потерялась" in again.status_text and again.state in ("registered", "pending")
    # One order at the bank, ours, unpaid; if the customer pays it anyway, it is credited once.
    assert [o["order_number"] for o in _bank_orders(office, bank_name, account)] == [number]
    office.bank.pay(number, bank_name)
    card_payments.reconcile(ctx_for(office.db, "admin"))
    card_payments.reconcile(ctx_for(office.db, "admin"))
    assert balance(office.db, account) == before + AMOUNT_MINOR
    assert order_state(office.db, number) == ("paid", "paid", True)
