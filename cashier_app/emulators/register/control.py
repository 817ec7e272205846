"""The register emulator's control API (``/_control/*``): documents, faults, state, clock, reset.

JSON only, like the bank sandbox's: a web page can POST a form or text/plain to 127.0.0.1
without asking, but a JSON content type makes the browser ask first (a CORS preflight), which
the emulator never grants.  Mixed into the request handler of ``server``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from cashier_app.emulators.common import Fault, ok_json

FAULT_KINDS = ("drop_after_processing", "drop_before_processing", "delay", "http500", "wait", "paper_out",
               "offline")
_STATE_KEYS = {"paper", "offline", "unsent", "shift_opened_at", "shift_open"}


def _parse_time(value: Any) -> float:
    """An ISO date-time (an offset is required: the register's clock is not the test's) → epoch."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("shift_opened_at: укажите смещение часового пояса (…+03:00)")
    return moment.timestamp()


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
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                ok_json(self, {"error": "тело запроса — не JSON"}, 400)  # type: ignore[arg-type]
                return
            if not isinstance(data, dict):
                ok_json(self, {"error": "тело запроса — не JSON-объект"}, 400)  # type: ignore[arg-type]
                return
        name = path.removeprefix("/_control/").strip("/")
        handler: Callable[[str, dict[str, str], dict[str, Any]], tuple[int, Any]] | None = {
            "documents": self._c_documents,
            "faults": self._c_faults,
            "state": self._c_state,
            "clock": self._c_clock,
            "reset": self._c_reset,
        }.get(name)
        if handler is None:
            ok_json(self, {"error": f"нет такого метода: {name}"}, 404)  # type: ignore[arg-type]
            return
        qs = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            status, payload = handler(verb, qs, data)
        except (KeyError, ValueError, TypeError) as exc:
            status, payload = 400, {"error": f"{type(exc).__name__}: {exc}"}
        ok_json(self, payload, status)  # type: ignore[arg-type]

    def _c_documents(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"documents": self.emulator.store.documents(qs.get("key"))}

    def _c_faults(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        faults = self.emulator.faults
        if verb == "DELETE":
            faults.clear()
            return 200, {"faults": []}
        if verb == "POST":
            kind = str(data.get("kind", ""))
            if kind not in FAULT_KINDS:
                return 400, {"error": f"kind: одно из {', '.join(FAULT_KINDS)}"}
            count = int(data.get("count", 1))
            if count < 1:
                return 400, {"error": "count: не меньше 1"}
            fault = faults.add(Fault(
                endpoint=str(data.get("endpoint") or "*"),
                kind=kind,
                count=count,
                delay_secs=float(data.get("delay_secs", 1.0)),
                after=max(0, int(data.get("after", 0))),
            ))
            return 200, {"id": fault.id}
        with faults.lock:
            return 200, {"faults": [{k: v for k, v in vars(f).items()} for f in faults.items]}

    def _c_state(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        """``{"paper": false, "offline": true, "unsent": 3, "shift_opened_at": iso, "shift_open": bool}``."""
        emulator = self.emulator
        store = emulator.store
        if verb == "POST":
            unknown = set(data) - _STATE_KEYS
            if unknown:
                return 400, {"error": f"неизвестный ключ: {sorted(unknown)[0]}; есть {', '.join(sorted(_STATE_KEYS))}"}
            for name in ("paper", "offline"):
                if name in data:
                    if not isinstance(data[name], bool):
                        return 400, {"error": f"{name}: true или false"}
                    store.set(**{name: data[name]})
            if "unsent" in data:
                unsent = data["unsent"]
                if isinstance(unsent, bool) or not isinstance(unsent, int) or unsent < 0:
                    return 400, {"error": "unsent: целое число ≥ 0"}
                store.set(unsent=unsent)
            if "shift_open" in data and data["shift_open"] is False:
                emulator.register.force_shift(open_=False)
            elif data.get("shift_open") is True or "shift_opened_at" in data:
                opened = _parse_time(data["shift_opened_at"]) if data.get("shift_opened_at") is not None else None
                emulator.register.force_shift(opened_at=opened, open_=True)
        return 200, self._state_answer()

    def _state_answer(self) -> dict[str, Any]:
        emulator = self.emulator
        state = emulator.store.state()
        opened = state.get("shift_opened_at")
        return {
            "fn_number": state["fn_number"],
            "registration_number": state["registration_number"],
            "paper": state["paper"],
            "offline": state["offline"],
            "unsent": state["unsent"],
            "shift": emulator.register.shift_status(),
            "shift_opened_at": datetime.fromtimestamp(opened, UTC).isoformat() if opened else None,
            "cash_minor": state["cash_minor"],
            "last_fd_number": emulator.store.next_fd_number() - 1,
        }

    def _c_clock(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        store = self.emulator.store
        if verb == "POST":
            if "advance_secs" in data:
                store.advance_clock(float(data["advance_secs"]))
            elif "offset_secs" in data:
                store.set_clock_offset(float(data["offset_secs"]))
            else:
                return 400, {"error": "advance_secs или offset_secs"}
        return 200, {"now": datetime.fromtimestamp(store.now(), UTC).isoformat(),
                     "offset_secs": float(store.get("clock_offset") or 0.0)}

    def _c_reset(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        """Faults, clock, paper, offline, unsent back to normal; documents and the shift stay (an FN forgets nothing)."""
        self.emulator.faults.clear()
        self.emulator.store.set(clock_offset=0.0, paper=True, offline=False, unsent=0)
        return 200, {"ok": True}
