"""What the emulators of outside systems (bank, register, billing) share: faults and replies.

A fault is armed through an emulator's control API and consumed by the next matching
call, so a test can say "lose the answer of the second sell" and nothing else changes.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any


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
