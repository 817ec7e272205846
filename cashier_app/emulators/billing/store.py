"""The emulated billing's memory: subscribers' accounts and the payments it accepted, in one sqlite file.

``:memory:`` unless the sandbox is given ``--state FILE`` (then a restart loses nothing and ``prv_txn``
goes on from where it was).  Every change runs in :meth:`BillingStore.transaction`: one lock and one
sqlite transaction, so a payment is recorded together with the balance it moves or not at all, and
two requests with one ``txn_id`` cannot both record it.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cashier_app.emulators.common import LockedSqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    number TEXT PRIMARY KEY,
    full_name TEXT NOT NULL DEFAULT '',
    balance_minor INTEGER NOT NULL DEFAULT 0,
    blocked INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS payments (
    prv_txn INTEGER PRIMARY KEY AUTOINCREMENT,
    txn_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    sum_minor INTEGER NOT NULL,
    txn_date TEXT NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    cancelled_at TEXT
)
"""
# The billing's own payment ids start high so a test cannot mistake one for a row id of the app.
FIRST_PRV_TXN = 700001
_TRUE = {"1", "да", "yes", "y", "true", "t", "blocked", "заблокирован", "closed", "закрыт", "+"}
_FALSE = {"", "0", "нет", "no", "n", "false", "f", "active", "активен", "-"}
_AMOUNT = re.compile(r"-?[0-9]+(?:[.,][0-9]{1,2})?")


def rubles_to_minor(value: Any) -> int:
    """A balance as a billing's export writes it (``1 234,50``, ``-12.3``, ``5``) → kopecks; ValueError else."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int | Decimal):
        scaled = Decimal(value) * 100
        if scaled != scaled.to_integral_value():
            raise ValueError(f"not whole kopecks: {value!r}")
        return int(scaled)
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value or "0"))
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"not an amount: {value!r}")
    try:
        return int(Decimal(text.replace(",", ".")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise ValueError(f"not an amount: {value!r}") from None


def _flag(value: Any, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{column}: не понимаю «{value}» (1/0, да/нет)")


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1251")  # what Russian billings export when it is not UTF-8


def read_accounts_csv(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a **generic import CSV** (``number, full_name, balance, blocked`` and optional ``closed``).

    UTF-8 (with or without BOM) or windows-1251; ``;`` ``,`` tab or ``|`` between columns (the one the
    header has most of); header names case-insensitive.  Other columns of the generic layout are ignored.
    """
    text = _decode(Path(path).read_bytes())
    header = text.split("\n", 1)[0]
    delimiter = max(";,\t|", key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        columns = [c.strip().lstrip("\ufeff").lower() for c in next(reader)]
    except StopIteration:
        return []
    if "number" not in columns:
        raise ValueError(f"{path}: нет колонки number (нужен CSV generic-импорта: number;full_name;balance;blocked)")
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        rows.append({name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(columns)})
    return rows


def _account_row(row: Mapping[str, Any], line: int) -> tuple[str, str, int, bool, bool]:
    number = str(row.get("number") or "").strip()
    if not number:
        raise ValueError(f"строка {line}: пустой number")
    try:
        if row.get("balance_minor") is not None:
            balance = int(row["balance_minor"])
        else:
            balance = rubles_to_minor(row.get("balance") or "0")
        blocked = _flag(row.get("blocked"), "blocked")
        closed = _flag(row.get("closed"), "closed")
    except ValueError as exc:
        raise ValueError(f"строка {line} ({number}): {exc}") from None
    return number, str(row.get("full_name") or "").strip(), balance, blocked, closed


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class BillingStore(LockedSqlite):
    """The state of one emulated billing."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")  # a billing never forgets a payment it answered
        with self.transaction() as conn:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'payments'").fetchone()
            if seq is None:
                conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('payments', ?)", (FIRST_PRV_TXN - 1,))


    # -- accounts ---------------------------------------------------------------------------------

    def load_accounts(self, rows: Iterable[Mapping[str, Any]], *, replace: bool = False,
                      only_new: bool = False) -> int:
        """Upsert accounts by number, all rows or none; → how many rows were written.

        ``replace``: forget the other accounts first.  ``only_new``: add the numbers the billing does
        not know and leave the others as they are (their balance is the billing's own by now).
        """
        parsed = [_account_row(row, i) for i, row in enumerate(rows, start=2)]
        conflict = ("DO NOTHING" if only_new else
                    "DO UPDATE SET full_name = excluded.full_name, balance_minor = excluded.balance_minor,"
                    " blocked = excluded.blocked, closed = excluded.closed")
        with self.transaction() as conn:
            if replace:
                conn.execute("DELETE FROM accounts")
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO accounts (number, full_name, balance_minor, blocked, closed) VALUES (?, ?, ?, ?, ?)"
                f" ON CONFLICT(number) {conflict}",
                [(n, f, b, int(bl), int(c)) for n, f, b, bl, c in parsed],
            )
            written = conn.total_changes - before
        return written

    def account(self, number: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM accounts WHERE number = ?", (number,)).fetchone()
        return _account_dict(row) if row else None

    def accounts(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute("SELECT * FROM accounts ORDER BY number").fetchall()
        return [_account_dict(r) for r in rows]

    # -- payments ---------------------------------------------------------------------------------

    def payment_by_txn(self, txn_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM payments WHERE txn_id = ?", (txn_id,)).fetchone()
        return _payment_dict(row) if row else None

    def payment_by_prv(self, prv_txn: int) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM payments WHERE prv_txn = ?", (prv_txn,)).fetchone()
        return _payment_dict(row) if row else None

    def record_payment(self, txn_id: str, account: str, sum_minor: int, txn_date: str) -> dict[str, Any]:
        """Record a new payment and credit its account (call inside :meth:`transaction`, txn_id checked)."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO payments (txn_id, account, sum_minor, txn_date, received_at) VALUES (?, ?, ?, ?, ?)",
                (txn_id, account, sum_minor, txn_date, _now_iso()),
            )
            conn.execute("UPDATE accounts SET balance_minor = balance_minor + ? WHERE number = ?", (sum_minor, account))
            row = conn.execute("SELECT * FROM payments WHERE prv_txn = ?", (cur.lastrowid,)).fetchone()
        return _payment_dict(row)

    def cancel_payment(self, prv_txn: int) -> dict[str, Any]:
        """Mark a payment cancelled and take its sum back from the balance; a second cancel changes nothing."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM payments WHERE prv_txn = ?", (prv_txn,)).fetchone()
            if row is None:
                raise KeyError(prv_txn)
            if not row["cancelled"]:
                conn.execute("UPDATE payments SET cancelled = 1, cancelled_at = ? WHERE prv_txn = ?",
                             (_now_iso(), prv_txn))
                conn.execute("UPDATE accounts SET balance_minor = balance_minor - ? WHERE number = ?",
                             (row["sum_minor"], row["account"]))
                row = conn.execute("SELECT * FROM payments WHERE prv_txn = ?", (prv_txn,)).fetchone()
        return _payment_dict(row)

    def payments(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute("SELECT * FROM payments ORDER BY prv_txn").fetchall()
        return [_payment_dict(r) for r in rows]

    def wipe(self) -> None:
        """Forget accounts and payments; ``prv_txn`` keeps counting up (a billing never reuses its ids)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM payments")
            conn.execute("DELETE FROM accounts")


def _account_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {"number": row["number"], "full_name": row["full_name"], "balance_minor": int(row["balance_minor"]),
            "blocked": bool(row["blocked"]), "closed": bool(row["closed"])}


def _payment_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {"txn_id": row["txn_id"], "prv_txn": str(row["prv_txn"]), "account": row["account"],
            "sum_minor": int(row["sum_minor"]), "txn_date": row["txn_date"], "cancelled": bool(row["cancelled"]),
            "received_at": row["received_at"], "cancelled_at": row["cancelled_at"]}
