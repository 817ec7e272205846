"""What the emulated billing answers to ``check``, ``pay`` and ``cancel``, in either dialect.

* ``check``: 0 with ``<balance>`` and ``<fio>`` for an open account; 5 unknown; 7 blocked or closed.
* ``pay``: the sum must be > 0 and ≤ 15 000 000.00 (else 241); an unknown account 5, a closed one 7
  (a *blocked* account takes money — that is how a subscriber unblocks himself, in both billings);
  a new ``txn_id`` is recorded (balance += sum) and answered 0 with a new ``prv_txn`` and ``<sum>``.
  A repeated ``txn_id``: **abills** → 0 with the same ``prv_txn`` and the sum first recorded (300
  «txn_id already used with other data» if the account or sum differ); **ubilling** → 300
  «Duplicate transaction», with no ``prv_txn``, whatever the data.
* ``cancel&prv_txn=N`` (abills): marks the payment cancelled, balance -= sum, a second cancel answers
  0 again and changes nothing; ubilling → 300 «command not supported».
* Anything malformed (no txn_id, no account, a sum that is not ``R.KK``, a bad txn_date) → 300.

The answer is ``<?xml …?><response><osmp_txn_id/><prv_txn/><sum/><result/><comment/>
[<balance/><fio/>]</response>`` in UTF-8 (``services/billing/osmp_types.py``).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from cashier_app.emulators.billing.store import BillingStore

DIALECTS = ("abills", "ubilling")
MAX_SUM_MINOR = 15_000_000_00
_SUM = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,2})?")
_TXN_ID = re.compile(r"[0-9A-Za-z_-]{1,40}")


def rubles(minor: int) -> str:
    """Kopecks → ``1234.50`` (the billing's own writer; the client has its own, tests compare them)."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _minor(text: str) -> int | None:
    if not _SUM.fullmatch(text or ""):
        return None
    return int(Decimal(text) * 100)


def answer_xml(result: int, *, osmp_txn_id: str = "", prv_txn: str | None = None, sum_minor: int | None = None,
               comment: str = "", balance_minor: int | None = None, fio: str | None = None) -> bytes:
    parts = [f"<osmp_txn_id>{escape(osmp_txn_id)}</osmp_txn_id>"]
    if prv_txn is not None:
        parts.append(f"<prv_txn>{escape(prv_txn)}</prv_txn>")
    if sum_minor is not None:
        parts.append(f"<sum>{rubles(sum_minor)}</sum>")
    parts.append(f"<result>{result}</result>")
    parts.append(f"<comment>{escape(comment)}</comment>")
    if balance_minor is not None:
        parts.append(f"<balance>{rubles(balance_minor)}</balance>")
    if fio is not None:
        parts.append(f"<fio>{escape(fio)}</fio>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<response>' + "".join(parts) + "</response>\n").encode()


class Answer(dict[str, Any]):
    """The fields of one answer (``answer_xml``'s keywords plus ``result``)."""


def _answer(result: int, **fields: Any) -> Answer:
    return Answer(result=result, **fields)


def handle(store: BillingStore, dialect: str, params: dict[str, str]) -> Answer:
    """One OSMP request → its answer; ``params`` are the query's first values."""
    command = params.get("command", "")
    txn_id = params.get("txn_id", "")
    if command not in ("check", "pay", "cancel"):
        return _answer(300, osmp_txn_id=txn_id, comment="unknown command")
    if command == "cancel":
        return _cancel(store, dialect, params)
    account = params.get("account", "")
    if not _TXN_ID.fullmatch(txn_id):
        return _answer(300, osmp_txn_id=txn_id[:40], comment="bad txn_id")
    if not account:
        return _answer(300, osmp_txn_id=txn_id, comment="no account")
    if command == "check":
        return _check(store, txn_id, account)
    return _pay(store, dialect, params, txn_id, account)


def _check(store: BillingStore, txn_id: str, account: str) -> Answer:
    acc = store.account(account)
    if acc is None:
        return _answer(5, osmp_txn_id=txn_id, comment="account not found")
    if acc["closed"] or acc["blocked"]:
        return _answer(7, osmp_txn_id=txn_id, comment="account closed" if acc["closed"] else "account blocked")
    return _answer(0, osmp_txn_id=txn_id, comment="OK", balance_minor=acc["balance_minor"], fio=acc["full_name"])


def _pay(store: BillingStore, dialect: str, params: dict[str, str], txn_id: str, account: str) -> Answer:
    sum_minor = _minor(params.get("sum", ""))
    if sum_minor is None:
        return _answer(300, osmp_txn_id=txn_id, comment="bad sum")
    txn_date = params.get("txn_date", "")
    try:
        datetime.strptime(txn_date, "%Y%m%d%H%M%S")
    except ValueError:
        return _answer(300, osmp_txn_id=txn_id, comment="bad txn_date")
    # One lock from the look-up to the insert: two requests with one txn_id cannot both record it.
    with store.transaction():
        known = store.payment_by_txn(txn_id)
        if known is not None:
            if dialect == "ubilling":
                return _answer(300, osmp_txn_id=txn_id, comment="Duplicate transaction")
            if known["account"] != account or known["sum_minor"] != sum_minor:
                return _answer(300, osmp_txn_id=txn_id, comment="txn_id already used with other data")
            return _answer(0, osmp_txn_id=txn_id, prv_txn=known["prv_txn"], sum_minor=known["sum_minor"],
                           comment="OK (repeated)")
        if sum_minor <= 0 or sum_minor > MAX_SUM_MINOR:
            return _answer(241, osmp_txn_id=txn_id, comment="sum out of range")
        acc = store.account(account)
        if acc is None:
            return _answer(5, osmp_txn_id=txn_id, comment="account not found")
        if acc["closed"]:
            return _answer(7, osmp_txn_id=txn_id, comment="account closed")
        paid = store.record_payment(txn_id, account, sum_minor, txn_date)
    return _answer(0, osmp_txn_id=txn_id, prv_txn=paid["prv_txn"], sum_minor=paid["sum_minor"], comment="OK")


def _cancel(store: BillingStore, dialect: str, params: dict[str, str]) -> Answer:
    txn_id = params.get("txn_id", "")
    if dialect != "abills":
        return _answer(300, osmp_txn_id=txn_id, comment="command not supported")
    prv = params.get("prv_txn", "")
    if not re.fullmatch(r"[0-9]{1,18}", prv):
        return _answer(300, osmp_txn_id=txn_id, comment="bad prv_txn")
    with store.transaction():
        known = store.payment_by_prv(int(prv))
        if known is None:
            return _answer(300, osmp_txn_id=txn_id, comment="payment not found")
        if txn_id and txn_id != known["txn_id"]:
            return _answer(300, osmp_txn_id=txn_id, comment="prv_txn belongs to another txn_id")
        done = store.cancel_payment(int(prv))
    return _answer(0, osmp_txn_id=txn_id, prv_txn=done["prv_txn"], sum_minor=done["sum_minor"], comment="cancelled")


def registry_csv(store: BillingStore, day: str | None = None) -> str:
    """Accepted (not cancelled) payments as the billing's list: ``txn_id;prv_txn;account;sum;date``.

    ``day`` ``YYYY-MM-DD`` keeps the payments whose ``txn_date`` (the acceptor's clock) falls on it;
    ``date`` is ``YYYY-MM-DD HH:MM:SS`` of that txn_date, ``sum`` ``1234.50``.
    """
    if day is not None:
        datetime.strptime(day, "%Y-%m-%d")  # ValueError → the control API answers 400
    lines = ["txn_id;prv_txn;account;sum;date"]
    for p in store.payments():
        if p["cancelled"]:
            continue
        when = datetime.strptime(p["txn_date"], "%Y%m%d%H%M%S")
        if day is not None and when.strftime("%Y-%m-%d") != day:
            continue
        lines.append(f"{p['txn_id']};{p['prv_txn']};{p['account']};{rubles(p['sum_minor'])};"
                     f"{when.strftime('%Y-%m-%d %H:%M:%S')}")
    return "\r\n".join(lines) + "\r\n"
