"""The emulated register's memory: one sqlite file (WAL) holding what a real register keeps.

The fiscal storage (FN number, its key, the registration number), the shift, the numbered
fiscal documents, and the requests both protocols accepted (ATOL Web Server by ``uuid``,
ATOL Online by ``uuid`` and ``external_id``), so a restart loses nothing and the numbering
goes on.  Everything that changes state runs inside :meth:`RegisterStore.transaction`: one
lock (a register does one thing at a time) and one sqlite transaction (a document is made
together with the answer that reports it, or not at all).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from cashier_app.emulators.common import LockedSqlite, dumps

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    fd_number INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    protocol TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_key ON documents(key);
CREATE TABLE IF NOT EXISTS web_requests (
    uuid TEXT PRIMARY KEY,
    tasks TEXT NOT NULL,
    results TEXT,
    wait_polls INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS online_requests (
    uuid TEXT PRIMARY KEY,
    group_code TEXT NOT NULL,
    external_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT,
    error TEXT,
    fd_number INTEGER,
    wait_polls INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    UNIQUE (group_code, external_id)
);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, login TEXT NOT NULL, issued_at REAL NOT NULL);
"""

# The register's state besides its documents; the defaults make a fresh register with a closed shift.
_DEFAULTS: dict[str, Any] = {
    "shift_number": 0,
    "shift_open": False,
    "shift_opened_at": None,
    "receipts_in_shift": 0,
    "shift_totals": {},
    "cash_minor": 0,
    "paper": True,
    "offline": False,
    "unsent": 0,
    "clock_offset": 0.0,
}


def _new_fn_number() -> str:
    # 16 digits as printed on an FN: the maker's prefix, then a serial.
    return "99990789" + "".join(secrets.choice("0123456789") for _ in range(8))


def _new_registration_number() -> str:
    # 16 digits; the real one ends in a check part, which no client checks.
    return "000000" + "".join(secrets.choice("0123456789") for _ in range(10))


class RegisterStore(LockedSqlite):
    """The state file of one emulated register."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        with self.lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")  # a register never forgets a document
            # One transaction for the schema and a new FN's identity: one sync to disk, not twenty.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._conn.execute(statement)
                self._init_identity()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _init_identity(self) -> None:
        rows = {r["k"] for r in self._conn.execute("SELECT k FROM meta")}
        fresh = {
            "fn_number": _new_fn_number(),
            "registration_number": _new_registration_number(),
            "serial_number": "00106" + "".join(secrets.choice("0123456789") for _ in range(9)),
            "fn_key": secrets.token_hex(32),
            **_DEFAULTS,
        }
        for key, value in fresh.items():
            if key not in rows:
                self._conn.execute("INSERT INTO meta (k, v) VALUES (?, ?)", (key, json.dumps(value)))


    # -- state ----------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        with self.lock:
            row = self._conn.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return json.loads(row["v"]) if row else _DEFAULTS.get(key)

    def set(self, **values: Any) -> None:
        with self.transaction() as conn:
            for key, value in values.items():
                conn.execute(
                    "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                    (key, json.dumps(value)),
                )

    def state(self) -> dict[str, Any]:
        with self.lock:
            rows = self._conn.execute("SELECT k, v FROM meta").fetchall()
        data = {r["k"]: json.loads(r["v"]) for r in rows}
        data.pop("fn_key", None)  # the FN's secret never leaves it
        return data

    def fn_key(self) -> bytes:
        return bytes.fromhex(str(self.get("fn_key")))

    # -- clock ----------------------------------------------------------------------------------

    def now(self) -> float:
        """The register's clock: the computer's plus the offset tests set (``/_control/clock``)."""
        return time.time() + float(self.get("clock_offset") or 0.0)

    def set_clock_offset(self, secs: float) -> None:
        self.set(clock_offset=float(secs))

    def advance_clock(self, secs: float) -> None:
        with self.transaction():
            self.set(clock_offset=float(self.get("clock_offset") or 0.0) + float(secs))

    # -- documents ------------------------------------------------------------------------------

    def next_fd_number(self) -> int:
        with self.lock:
            row = self._conn.execute("SELECT MAX(fd_number) AS n FROM documents").fetchone()
        return int(row["n"] or 0) + 1

    def add_document(self, doc: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO documents (fd_number, type, key, protocol, data) VALUES (?, ?, ?, ?, ?)",
                (doc["fd_number"], doc["type"], doc["key"], doc["protocol"], dumps(doc).decode("utf-8")),
            )

    def documents(self, key: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            if key is None:
                rows = self._conn.execute("SELECT data FROM documents ORDER BY fd_number").fetchall()
            else:
                # A request of several tasks keys its documents "<uuid>#<n>": the uuid finds them all.
                rows = self._conn.execute(
                    "SELECT data FROM documents WHERE key = ? OR substr(key, 1, ?) = ?"
                    " OR json_extract(data, '$.uuid') = ? ORDER BY fd_number",
                    (key, len(key) + 1, key + "#", key),
                ).fetchall()
        return [json.loads(r["data"]) for r in rows]

    def document(self, fd_number: int) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT data FROM documents WHERE fd_number = ?", (fd_number,)).fetchone()
        return json.loads(row["data"]) if row else None

    # -- ATOL Web Server requests ---------------------------------------------------------------

    def web_request(self, uuid: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM web_requests WHERE uuid = ?", (uuid,)).fetchone()
        if row is None:
            return None
        return {
            "uuid": row["uuid"],
            "tasks": json.loads(row["tasks"]),
            "results": json.loads(row["results"]) if row["results"] else None,
            "wait_polls": int(row["wait_polls"]),
            "created_at": float(row["created_at"]),
        }

    def add_web_request(self, uuid: str, tasks: list[dict[str, Any]], wait_polls: int) -> bool:
        """Store a new request; False if the uuid is taken (the caller answers 409)."""
        with self.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO web_requests (uuid, tasks, wait_polls, created_at) VALUES (?, ?, ?, ?)",
                    (uuid, dumps(tasks).decode("utf-8"), wait_polls, self.now()),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    def update_web_request(self, uuid: str, *, results: list[dict[str, Any]] | None = None,
                           wait_polls: int | None = None) -> None:
        with self.transaction() as conn:
            if results is not None:
                conn.execute("UPDATE web_requests SET results = ? WHERE uuid = ?",
                             (dumps(results).decode("utf-8"), uuid))
            if wait_polls is not None:
                conn.execute("UPDATE web_requests SET wait_polls = ? WHERE uuid = ?", (wait_polls, uuid))

    # -- ATOL Online requests -------------------------------------------------------------------

    def online_request(self, uuid: str | None = None, *, group_code: str | None = None,
                       external_id: str | None = None) -> dict[str, Any] | None:
        with self.lock:
            if uuid is not None:
                row = self._conn.execute("SELECT * FROM online_requests WHERE uuid = ?", (uuid,)).fetchone()
            else:
                row = self._conn.execute(
                    "SELECT * FROM online_requests WHERE group_code = ? AND external_id = ?",
                    (group_code, external_id),
                ).fetchone()
        if row is None:
            return None
        data = dict(row)
        for name in ("body", "payload", "error"):
            data[name] = json.loads(data[name]) if data[name] else None
        return data

    def add_online_request(self, uuid: str, group_code: str, external_id: str, operation: str,
                           body: dict[str, Any], wait_polls: int) -> bool:
        with self.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO online_requests (uuid, group_code, external_id, operation, body, status,"
                    " wait_polls, created_at) VALUES (?, ?, ?, ?, ?, 'wait', ?, ?)",
                    (uuid, group_code, external_id, operation, dumps(body).decode("utf-8"), wait_polls,
                     self.now()),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    def update_online_request(self, uuid: str, **values: Any) -> None:
        allowed = {"status", "payload", "error", "fd_number", "wait_polls"}
        with self.transaction() as conn:
            for name, value in values.items():
                if name not in allowed:
                    raise KeyError(name)
                if name in ("payload", "error") and value is not None:
                    value = dumps(value).decode("utf-8")
                conn.execute(f"UPDATE online_requests SET {name} = ? WHERE uuid = ?", (value, uuid))

    # -- ATOL Online tokens ---------------------------------------------------------------------

    def add_token(self, login: str) -> str:
        token = secrets.token_hex(16)
        with self.transaction() as conn:
            conn.execute("INSERT INTO tokens (token, login, issued_at) VALUES (?, ?, ?)",
                         (token, login, self.now()))
        return token

    def token_issued_at(self, token: str) -> float | None:
        with self.lock:
            row = self._conn.execute("SELECT issued_at FROM tokens WHERE token = ?", (token,)).fetchone()
        return float(row["issued_at"]) if row else None
