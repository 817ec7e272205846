"""The billing emulator's control API (``/_control/*``): accounts, payments, requests, faults, registry, reset.

JSON bodies only, like the other emulators': a web page can POST a form to 127.0.0.1 without asking,
but a JSON content type makes the browser ask first (a CORS preflight) and the emulator never grants
it.  Mixed into the request handler of ``server``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from cashier_app.emulators.billing.protocol import registry_csv
from cashier_app.emulators.common import Fault, ok_json, send

COMMANDS = ("check", "pay", "cancel")
FAULT_KINDS = ("drop_after", "drop_before", "http500", "timeout", "slow")  # and result=<code>
DEFAULT_SECONDS = {"timeout": 30.0, "slow": 1.0}


def valid_fault_kind(kind: str) -> bool:
    if kind in FAULT_KINDS:
        return True
    head, _, code = kind.partition("=")
    return head == "result" and code.lstrip("-").isdigit()


class ControlApi:
    """The ``/_control/*`` handlers; ``self`` is the emulator's request handler."""

    emulator: Any
    headers: Any

    def _control(self, verb: str, path: str, query: str, body: bytes) -> None:
        data: Any = {}
        if verb != "GET":
            ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if ctype != "application/json":
                ok_json(self, {"error": "управление эмулятором принимает только application/json"}, 415)  # type: ignore[arg-type]
                return
            try:
                data = json.loads(body.decode("utf-8") or "{}")
            except (UnicodeDecodeError, ValueError):
                ok_json(self, {"error": "тело запроса — не JSON"}, 400)  # type: ignore[arg-type]
                return
            if not isinstance(data, dict):
                ok_json(self, {"error": "тело запроса — не JSON-объект"}, 400)  # type: ignore[arg-type]
                return
        name = path.removeprefix("/_control/").strip("/")
        qs = {k: v[0] for k, v in parse_qs(query).items()}
        if name == "registry" and verb == "GET":
            try:
                text = registry_csv(self.emulator.store, qs.get("date"))
            except ValueError:
                ok_json(self, {"error": "date: нужна дата ГГГГ-ММ-ДД"}, 400)  # type: ignore[arg-type]
                return
            send(self, 200, text.encode("utf-8"), "text/csv; charset=utf-8")  # type: ignore[arg-type]
            return
        handler: Callable[[str, dict[str, str], dict[str, Any]], tuple[int, Any]] | None = {
            "accounts": self._c_accounts,
            "payments": self._c_payments,
            "requests": self._c_requests,
            "faults": self._c_faults,
            "reset": self._c_reset,
            "state": self._c_state,
        }.get(name)
        if handler is None:
            ok_json(self, {"error": f"нет такого метода: {name}"}, 404)  # type: ignore[arg-type]
            return
        try:
            status, payload = handler(verb, qs, data)
        except (KeyError, ValueError, TypeError) as exc:
            status, payload = 400, {"error": f"{type(exc).__name__}: {exc}"}
        ok_json(self, payload, status)  # type: ignore[arg-type]

    def _c_accounts(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        store = self.emulator.store
        if verb == "POST":
            rows = data.get("rows")
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                return 400, {"error": "rows: нужен список объектов"}
            return 200, {"count": store.load_accounts(rows, replace=bool(data.get("replace")))}
        return 200, {"accounts": store.accounts()}

    def _c_payments(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"payments": self.emulator.store.payments()}

    def _c_requests(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"requests": self.emulator.request_counts()}

    def _c_state(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        store = self.emulator.store
        return 200, {"dialect": self.emulator.dialect, "accounts": len(store.accounts()),
                     "payments": len(store.payments()), "requests": self.emulator.request_counts()}

    def _c_faults(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        faults = self.emulator.faults
        if verb == "DELETE":
            faults.clear()
            return 200, {"faults": []}
        if verb == "POST":
            command = str(data.get("command", "*"))
            kind = str(data.get("kind", ""))
            if command not in (*COMMANDS, "*"):
                return 400, {"error": f"command: {', '.join(COMMANDS)} или *"}
            if not valid_fault_kind(kind):
                return 400, {"error": "kind: drop_after, drop_before, http500, timeout, slow, result=<код>"}
            count = int(data.get("count", 1))
            if count < 1:
                return 400, {"error": "count: не меньше 1"}
            seconds = float(data.get("seconds", DEFAULT_SECONDS.get(kind, 1.0)))
            if not 0 <= seconds <= 600:
                return 400, {"error": "seconds: от 0 до 600"}
            fault = faults.add(Fault(endpoint=command, kind=kind, count=count, delay_secs=seconds,
                                     after=max(0, int(data.get("after", 0)))))
            return 200, {"id": fault.id}
        with faults.lock:
            items = [{"id": f.id, "command": f.endpoint, "kind": f.kind, "count": f.count, "after": f.after,
                      "seconds": f.delay_secs} for f in faults.items]
        return 200, {"faults": items}

    def _c_reset(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        if verb != "POST":
            return 405, {"error": "POST"}
        self.emulator.reset(bool(data.get("all")))
        return 200, {"ok": True}
