"""The sandbox's control API (tests and demos drive the customer's side and the bank's faults) and faults.

``/_control/*`` takes JSON only (issue 10 §6): a web page can POST a form or
text/plain to 127.0.0.1 without asking, but a JSON content type makes the browser
ask first (a CORS preflight), which the sandbox never grants.  Mixed into the
request handler of ``sandbox.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from cashier_app.emulators.bank.store import (
    MSK,
    NEW,
    THREE_DS,
    CardError,
    order_public,
    parse_card,
)
from cashier_app.emulators.common import Fault, ok_json, send

FAULT_KINDS = ("delay", "http500", "malformed_json", "drop_after_processing", "drop_before_processing",
               "in_progress",  # a T-Bank Cancel is accepted and finishes later (REFUNDING)
               "delay_after_processing")  # the work is done at once, the answer comes delay_secs later


# Shared with the register emulator (``emulators.common``); the old names stay for the bank's modules.
_ok_json, _send = ok_json, send


class ControlApi:
    """The ``/_control/*`` handlers; ``self`` is the sandbox's request handler."""

    bank: Any
    headers: Any

    def _public_base(self) -> str:  # provided by the handler
        raise NotImplementedError

    def _control(self, verb: str, path: str, query: str, body: bytes) -> None:
        data: Any = {}
        if verb != "GET":
            # JSON only: a web page can POST a form or text/plain to 127.0.0.1 without asking; a JSON
            # content type makes the browser ask first (CORS preflight), which the sandbox never grants.
            ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if ctype != "application/json":
                _ok_json(self, {"error": "управление песочницей принимает только application/json"}, 415)
                return
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                _ok_json(self, {"error": "тело запроса — не JSON"}, 400)
                return
            if not isinstance(data, dict):
                _ok_json(self, {"error": "тело запроса — не JSON-объект"}, 400)
                return
        name = path.removeprefix("/_control/").strip("/")
        handler: Callable[[str, dict[str, str], dict[str, Any]], tuple[int, Any]] | None = {
            "pay": self._c_pay,
            "faults": self._c_faults,
            "clock": self._c_clock,
            "orders": self._c_orders,
            "reset": self._c_reset,
            "terminal": self._c_terminal,
            "spec": self._c_spec,
        }.get(name)
        if handler is None:
            _ok_json(self, {"error": f"нет такого метода: {name}"}, 404)
            return
        qs = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            status, payload = handler(verb, qs, data)
        except (KeyError, ValueError, TypeError) as exc:
            status, payload = 400, {"error": f"{type(exc).__name__}: {exc}"}
        _ok_json(self, payload, status)

    def _c_pay(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        store = self.bank.store
        order = None
        if data.get("bank_order_id"):
            order = store.get(str(data["bank_order_id"]))
        elif data.get("order_number"):
            bank = data.get("bank")
            found = store.list_orders(bank, str(data["order_number"]))
            if len(found) > 1:
                return 400, {"error": "номер заказа есть у нескольких банков — укажите bank"}
            order = found[0] if found else None
        if order is None:
            return 404, {"error": "заказ не найден"}
        if order["status"] == NEW and data.get("method") == "sbp":
            order = store.pay_sbp(order["id"])  # a QR scanned in the customer's banking app: no card
        if order["status"] == NEW:
            now = datetime.fromtimestamp(store.now(), MSK)
            exp = str(data.get("exp") or f"12/{(now.year + 3) % 100:02d}")
            try:
                card = parse_card(str(data.get("card", "")), exp, str(data.get("cvc", "123")))
            except CardError as exc:
                return 400, {"error": str(exc)}
            order = store.pay(order["id"], card)
        if order["status"] == THREE_DS and data.get("three_ds_code") is not None:
            order = store.submit_3ds(order["id"], str(data["three_ds_code"]))
        answer = {
            "bank_order_id": order["id"],
            "status": order["status"],
            "card_mask": order["card_mask"],
            "reason": order["reason"],
            "reason_ru": self.bank.reason_ru(order),
        }
        if order["status"] == THREE_DS:
            answer["acs_url"] = f"{self._public_base()}/acs/{order['page_code']}"
        return 200, answer

    def _c_faults(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        faults = self.bank.faults
        if verb == "DELETE":
            faults.clear()
            return 200, {"faults": []}
        if verb == "POST":
            kind = str(data.get("kind", ""))
            if kind not in FAULT_KINDS:
                return 400, {"error": f"kind: одно из {', '.join(FAULT_KINDS)}"}
            fault = faults.add(
                Fault(
                    endpoint=str(data.get("endpoint") or "*"),
                    kind=kind,
                    count=int(data.get("count", 1)),
                    delay_secs=float(data.get("delay_secs", 1.0)),
                    after=max(0, int(data.get("after", 0))),
                )
            )
            return 200, {"id": fault.id}
        with faults.lock:
            return 200, {"faults": [vars(f).copy() for f in faults.items]}

    def _c_clock(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        store = self.bank.store
        if verb == "POST":
            if "advance_secs" in data:
                store.advance_clock(float(data["advance_secs"]))
            elif "offset_secs" in data:
                store.set_clock_offset(float(data["offset_secs"]))
        now = store.now()
        return 200, {"now": datetime.fromtimestamp(now, UTC).isoformat(), "offset_secs": store.clock_offset()}

    def _c_orders(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        orders = self.bank.store.list_orders(qs.get("bank"), qs.get("order_number"))
        return 200, {"orders": [order_public(o) for o in orders]}

    def _c_terminal(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        """``{"online_kassa": true}``: the T-Bank terminal uses the bank's online cash register."""
        if verb == "POST" and "online_kassa" in data:
            self.bank.online_kassa = bool(data["online_kassa"])
        return 200, {"online_kassa": self.bank.online_kassa}

    def _c_spec(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        """Answers of the sandbox that broke the T-Bank spec (each one a sandbox bug)."""
        return 200, {"violations": list(self.bank.spec_violations)}

    def _c_reset(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        self.bank.faults.clear()
        self.bank.store.set_clock_offset(0)
        return 200, {"ok": True}
