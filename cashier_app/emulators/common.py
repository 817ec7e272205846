"""What the emulators of outside systems (bank, register, billing) share: faults and replies.

A fault is armed through an emulator's control API and consumed by the next matching
call, so a test can say "lose the answer of the second sell" and nothing else changes.
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self


class EmulatorHandler(BaseHTTPRequestHandler):
    """What every emulator's request handler shares: its log, a dropped connection, verbs to ``_dispatch``."""

    logger = logging.getLogger("cashier_app.emulators")

    def log_message(self, format: str, *args: Any) -> None:
        self.logger.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        self.logger.warning("%s %s", self.address_string(), format % args)

    def _drop(self) -> None:
        """Close the socket without a byte of answer: the client cannot know what happened."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, verb: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")



class LockedSqlite:
    """An emulator's state file: one lock and one sqlite transaction at a time (nested calls join it).

    The subclass sets ``self._conn`` (autocommit: ``isolation_level=None``), ``self.lock`` (an RLock)
    and ``self._depth = 0``.
    """

    _conn: sqlite3.Connection
    lock: threading.RLock
    _depth: int

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


@dataclass
class Fault:
    endpoint: str
    kind: str
    count: int = 1
    delay_secs: float = 1.0
    id: int = 0
    # Let this many matching calls through first: "the status check before a refund works, the ones after fail".
    after: int = 0

    def matches(self, path: str) -> bool:
        if self.endpoint == "*":
            return True
        last = path.rstrip("/").rsplit("/", 1)[-1]
        return self.endpoint in (path, last)


@dataclass
class Faults:
    items: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            fault.id = self.next_id
            self.next_id += 1
            self.items.append(fault)
            return fault

    def take(self, path: str) -> Fault | None:
        """The first matching fault, consuming one of its uses."""
        with self.lock:
            for fault in self.items:
                if fault.matches(path):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    fault.count -= 1
                    if fault.count <= 0:
                        self.items.remove(fault)
                    return fault
            return None

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def ok_json(handler: BaseHTTPRequestHandler, payload: Any, status: int = 200) -> None:
    send(handler, status, dumps(payload), "application/json; charset=utf-8")


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Cache-Control", "no-store")
    handler.end_headers()
    handler.wfile.write(body)


class ServerThread:
    """Start, serve and stop an emulator's HTTP server; the subclass builds it (``_build``).

    ``store`` (closed on stop) is whatever the emulator keeps its state in; ``thread_name`` and
    ``label`` name it in threads and the log.
    """

    thread_name = "emulator"
    label = "emulator"
    url = ""
    store: Any = None
    _server: Any = None
    _thread: threading.Thread | None = None

    def _build(self) -> Any:
        raise NotImplementedError

    def start(self) -> str:
        self._server = self._build()
        # A short poll interval makes stop() quick (tests start and stop an emulator per test).
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        logging.getLogger(f"cashier_app.{self.thread_name}").info("%s listening on %s", self.label, self.url)
        return self.url

    def serve_forever(self) -> None:
        self._server = self._build()
        logging.getLogger(f"cashier_app.{self.thread_name}").info("%s listening on %s", self.label, self.url)
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            if self.store:
                self.store.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
