"""ATOL Web Server v2 (the driver's HTTP server on the cashier's PC): ``/api/v2/requests``.

``POST /api/v2/requests {"uuid", "request": [task, …]}`` → 201; a uuid seen before → 409
(the uuid is the client's idempotency key).  ``GET /api/v2/requests/<uuid>`` → ``{"results":
[{"status": "wait"|"ready"|"error"|"interrupted", "errorCode", "errorDescription", "result"}]}``.
A malformed envelope or task (not JSON, no uuid, an unknown task type, a field of the wrong
type) is refused with 400 at once, as a strict server would; what the register itself refuses
(closed shift, no paper, a receipt that does not add up) ends the task in ``error`` — and the
tasks after it in ``interrupted``, with nothing made.
"""

from __future__ import annotations

import json
from typing import Any

from cashier_app.emulators.register import validate
from cashier_app.emulators.register.device import (
    ERR_INVALID,
    ERR_NO_PAPER,
    ERR_UNKNOWN_TASK,
    RECEIPT_TYPES,
    Register,
    TaskError,
)

TASK_TYPES = (*RECEIPT_TYPES, "openShift", "closeShift", "reportX", "cashIn", "cashOut", "getShiftStatus",
              "getDeviceStatus", "continuePrint", "printLastReceiptCopy", "ofdExchangeStatus")
# Tasks that print nothing: "no paper" does not stop them.
_SILENT = ("getShiftStatus", "getDeviceStatus", "ofdExchangeStatus")
UUID_MAX = 128


class EnvelopeError(Exception):
    def __init__(self, status: int, code: int, text: str) -> None:
        self.status, self.code, self.text = status, code, text
        super().__init__(text)

    def payload(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "description": self.text}}


def parse_post(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """The uuid and tasks of a POST, or :class:`EnvelopeError` (400)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeError(400, ERR_INVALID, "Тело запроса — не JSON") from None
    if not isinstance(data, dict):
        raise EnvelopeError(400, ERR_INVALID, "Тело запроса — не JSON-объект")
    unknown = set(data) - {"uuid", "request"}
    if unknown:
        raise EnvelopeError(400, ERR_INVALID, f"Неизвестное поле {sorted(unknown)[0]!r}")
    uuid = data.get("uuid")
    if not isinstance(uuid, str) or not uuid.strip() or len(uuid) > UUID_MAX or "/" in uuid:
        raise EnvelopeError(400, ERR_INVALID, "uuid: ожидается непустая строка без «/» до 128 символов")
    tasks = data.get("request")
    if isinstance(tasks, dict):
        tasks = [tasks]  # the server takes one task without the list too
    if not isinstance(tasks, list) or not tasks:
        raise EnvelopeError(400, ERR_INVALID, "request: ожидается непустой список заданий")
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            raise EnvelopeError(400, ERR_INVALID, f"request[{i}]: ожидается объект")
        if task.get("type") not in TASK_TYPES:
            raise EnvelopeError(400, ERR_UNKNOWN_TASK, f"request[{i}].type: неизвестный тип задания "
                                                       f"{task.get('type')!r}")
    return uuid, tasks


def task_types(body: bytes) -> list[str]:
    """The task types of a POST body (for matching faults), best effort."""
    try:
        data = json.loads(body.decode("utf-8"))
        tasks = data.get("request")
        tasks = [tasks] if isinstance(tasks, dict) else tasks
        return [str(t.get("type")) for t in tasks if isinstance(t, dict)]
    except (UnicodeDecodeError, ValueError, AttributeError, TypeError):
        return []


def _rub(minor: int) -> float:
    return round(minor / 100, 2)


def _fiscal_params(doc: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "fiscalDocumentDateTime": doc["at"],
        "fiscalDocumentNumber": doc["fd_number"],
        "fiscalDocumentSign": doc["fiscal_sign"],
        "fnNumber": doc["fn_number"],
        "registrationNumber": doc["registration_number"],
        "shiftNumber": doc["shift_number"],
        "fnsUrl": doc["fns_url"],
    }
    if doc["type"] in RECEIPT_TYPES:
        params["fiscalReceiptNumber"] = doc["receipt_number"]
        params["total"] = _rub(doc["total_minor"])
    if doc["type"] == "closeShift":
        params["receiptsCount"] = doc["totals"]["receipts"]
    return params


class WebApi:
    """The tasks of one register, in ATOL Web Server's words."""

    def __init__(self, register: Register) -> None:
        self.register = register
        self.store = register.store

    def accept(self, body: bytes, *, wait_polls: int = 0, paper_out: bool = False) -> tuple[int, Any]:
        """``POST /api/v2/requests``: store the request; run it now unless a fault keeps it waiting."""
        try:
            uuid, tasks = parse_post(body)
        except EnvelopeError as exc:
            return exc.status, exc.payload()
        with self.store.transaction():
            if not self.store.add_web_request(uuid, tasks, wait_polls):
                return 409, {"error": {"code": 409, "description": f"Задание с uuid {uuid} уже существует"}}
            if wait_polls <= 0:
                self._run(uuid, tasks, paper_out=paper_out)
        return 201, None  # the real server answers 201 with an empty body: a client must not need one

    def poll(self, uuid: str, *, hold: bool = False) -> tuple[int, Any]:
        """``GET /api/v2/requests/<uuid>``; ``hold``: a ``wait`` fault armed on this poll."""
        with self.store.transaction():
            request = self.store.web_request(uuid)
            if request is None:
                return 404, {"error": {"code": 404, "description": f"Задание с uuid {uuid} не найдено"}}
            if hold or request["wait_polls"] > 0:
                if request["wait_polls"] > 0:
                    self.store.update_web_request(uuid, wait_polls=request["wait_polls"] - 1)
                waiting = [{"status": "wait", "errorCode": 0, "errorDescription": "", "result": None}
                           for _ in request["tasks"]]
                return 200, {"results": waiting}
            results = request["results"]
            if results is None:
                results = self._run(uuid, request["tasks"])
        return 200, {"results": results}

    # -- tasks ----------------------------------------------------------------------------------

    def _run(self, uuid: str, tasks: list[dict[str, Any]], *, paper_out: bool = False) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        failed = False
        for i, task in enumerate(tasks):
            if failed:
                results.append({"status": "interrupted", "errorCode": 0, "errorDescription": "",
                                "result": None})
                continue
            key = uuid if len(tasks) == 1 else f"{uuid}#{i}"
            try:
                if paper_out and task["type"] not in _SILENT:
                    raise TaskError(ERR_NO_PAPER)
                result = self._task(task, key)
            except TaskError as exc:
                failed = True
                results.append({"status": "error", "errorCode": exc.code, "errorDescription": exc.text,
                                "result": None})
            except validate.Invalid as exc:
                failed = True
                results.append({"status": "error", "errorCode": ERR_INVALID,
                                "errorDescription": f"Неверное значение {exc.field}: {exc.message}",
                                "result": None})
            else:
                results.append({"status": "ready", "errorCode": 0, "errorDescription": "Ошибок нет",
                                "result": result})
        self.store.update_web_request(uuid, results=results)
        return results

    def _task(self, task: dict[str, Any], key: str) -> dict[str, Any] | None:
        reg = self.register
        kind = task["type"]
        if kind in RECEIPT_TYPES:
            receipt = validate.web_receipt(task)
            return {"fiscalParams": _fiscal_params(reg.receipt(kind, receipt, key, "web")), "warnings": None}
        if kind in ("openShift", "closeShift"):
            operator = validate.web_operator(task, required=True)
            electronically = validate.boolean(task.get("electronically"), "electronically")
            action = reg.open_shift if kind == "openShift" else reg.close_shift
            doc = action(key, "web", operator, printed=not electronically)
            return {"fiscalParams": _fiscal_params(doc), "warnings": None}
        if kind == "reportX":
            reg.report_x(key, "web", validate.web_operator(task, required=False))
            return None
        if kind in ("cashIn", "cashOut"):
            amount = validate.money(task.get("cashSum"), "cashSum", positive=True)
            reg.cash(kind, amount, key, "web", validate.web_operator(task, required=False))
            return {"counters": {"cashSum": _rub(int(self.store.get("cash_minor") or 0))}}
        if kind == "getShiftStatus":
            return {"shiftStatus": reg.shift_status()}
        if kind == "getDeviceStatus":
            return {"deviceStatus": reg.device_status()}
        if kind == "ofdExchangeStatus":
            return {"status": reg.ofd_status()}
        if kind in ("continuePrint", "printLastReceiptCopy"):
            if not self.store.get("paper"):
                raise TaskError(ERR_NO_PAPER)
            return None
        raise TaskError(ERR_UNKNOWN_TASK, f"Неизвестный тип задания {kind!r}")  # parse_post lets none through
