"""ATOL Online v5 (the cloud register, FFD 1.2): ``/possystem/v5/…``.

``POST getToken {login, pass}`` → ``{token, error, timestamp}`` (a token lives 24 h by the
register's clock); ``POST <group>/sell|sell_refund|sell_correction|sell_refund_correction``
with a ``Token`` header → ``{uuid, status: "wait", error: null, timestamp}``; the same
``external_id`` again → the uuid it already has, with error 33 «В системе существует чек с
external_id …» and no second document; ``GET <group>/report/<uuid>`` → ``status: wait | done |
fail`` with the fiscal ``payload``.  A body that breaks the format is refused at once (400,
error 32) with the field named.  The cloud register opens (and, past 24 h, renews) its shift
itself, and sends its receipts electronically: no paper.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from cashier_app.emulators.register import validate
from cashier_app.emulators.register.device import MSK, Register, TaskError

ONLINE_PREFIX = "/possystem/v5"
TOKEN_HOURS = 24
OPERATIONS = {
    "sell": "sell",
    "sell_refund": "sellReturn",
    "sell_correction": "sellCorrection",
    "sell_refund_correction": "sellReturnCorrection",
}
OFD_INN = "7704211201"
ERR_TOKEN = 11
ERR_LOGIN = 12
ERR_GROUP = 30
ERR_VALIDATION = 32
ERR_DUPLICATE = 33
ERR_NOT_FOUND = 34
_OP_PATH = re.compile(re.escape(ONLINE_PREFIX) + r"/([^/]+)/([a-z_]+)")
_REPORT_PATH = re.compile(re.escape(ONLINE_PREFIX) + r"/([^/]+)/report/([^/]+)")


@dataclass(frozen=True)
class OnlineCredentials:
    login: str = "demo-login"
    password: str = "demo-pass"
    group_code: str = "demo-group"


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, MSK).strftime("%d.%m.%Y %H:%M:%S")


def _query(query: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(query).items()}


def _error(code: int, text: str, kind: str = "system") -> dict[str, Any]:
    return {"error_id": str(uuidlib.uuid4()), "code": code, "text": text, "type": kind}


class OnlineApi:
    def __init__(self, register: Register, creds: OnlineCredentials) -> None:
        self.register = register
        self.store = register.store
        self.creds = creds

    def fault_names(self, verb: str, path: str) -> tuple[list[str], bool] | None:
        if path == f"{ONLINE_PREFIX}/getToken" and verb in ("GET", "POST"):
            return ["getToken"], False
        if _REPORT_PATH.fullmatch(path) and verb == "GET":
            return ["report"], False
        m = _OP_PATH.fullmatch(path)
        if m and verb == "POST" and m.group(2) in OPERATIONS:
            return [m.group(2), OPERATIONS[m.group(2)]], True
        return None

    def _fail(self, status: int, error: dict[str, Any], **extra: Any) -> tuple[int, Any]:
        return status, {"uuid": None, "status": "fail", "error": error, "timestamp": _stamp(self.store.now()),
                        **extra}

    def handle(self, verb: str, path: str, body: bytes, headers: Any, query: str, *, wait_polls: int = 0,
               hold: bool = False, paper_out: bool = False) -> tuple[int, Any]:
        if path == f"{ONLINE_PREFIX}/getToken":
            return self._token(verb, body, query)
        token = headers.get("Token") or _query(query).get("token")
        issued = self.store.token_issued_at(token) if token else None
        if issued is None or self.store.now() - issued > TOKEN_HOURS * 3600:
            return self._fail(401, _error(ERR_TOKEN, "Передан некорректный или просроченный токен: "
                                                     "получите новый (getToken)"))
        if m := _REPORT_PATH.fullmatch(path):
            return self._report(m.group(1), m.group(2), hold=hold)
        m = _OP_PATH.fullmatch(path)
        assert m is not None
        return self._accept(m.group(1), m.group(2), body, wait_polls=wait_polls, paper_out=paper_out)

    # -- getToken -------------------------------------------------------------------------------

    def _token(self, verb: str, body: bytes, query: str) -> tuple[int, Any]:
        if verb == "POST":
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                data = None
            if not isinstance(data, dict):
                return 400, {"token": None, "error": _error(ERR_VALIDATION, "Тело запроса — не JSON-объект"),
                             "timestamp": _stamp(self.store.now())}
        else:
            data = _query(query)
        if data.get("login") != self.creds.login or data.get("pass") != self.creds.password:
            return 401, {"token": None, "error": _error(ERR_LOGIN, "Неверный логин или пароль"),
                         "timestamp": _stamp(self.store.now())}
        return 200, {"token": self.store.add_token(self.creds.login), "error": None,
                     "timestamp": _stamp(self.store.now())}

    # -- sell, sell_refund, sell_correction ------------------------------------------------------

    def _accept(self, group: str, operation: str, body: bytes, *, wait_polls: int,
                paper_out: bool) -> tuple[int, Any]:
        if group != self.creds.group_code:
            return self._fail(400, _error(ERR_GROUP, f"Группа ККТ {group!r} не найдена"))
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self._fail(400, _error(ERR_VALIDATION, "Ошибка валидации: тело запроса — не JSON"))
        if not isinstance(data, dict):
            return self._fail(400, _error(ERR_VALIDATION, "Ошибка валидации: тело запроса — не JSON-объект"))
        with self.store.transaction():
            external_id = data.get("external_id")
            if isinstance(external_id, str):
                existing = self.store.online_request(group_code=group, external_id=external_id)
                if existing is not None:
                    # The cloud's idempotency: the receipt already has a uuid; nothing new is made.
                    return 200, {"uuid": existing["uuid"], "status": "fail", "timestamp": _stamp(self.store.now()),
                                 "error": _error(ERR_DUPLICATE, f"В системе существует чек с external_id : "
                                                                f"{external_id} и group_code: {group}")}
            try:
                validate.online_receipt(data, operation)
            except validate.Invalid as exc:
                return self._fail(400, _error(ERR_VALIDATION, f"Ошибка валидации: {exc.field}: {exc.message}"))
            new_uuid = str(uuidlib.uuid4())
            self.store.add_online_request(new_uuid, group, str(external_id), operation, data, wait_polls)
            if wait_polls <= 0:
                self._process(new_uuid, paper_out=paper_out)
        return 200, {"uuid": new_uuid, "status": "wait", "error": None, "timestamp": _stamp(self.store.now())}

    def _process(self, uuid: str, *, paper_out: bool = False) -> None:
        request = self.store.online_request(uuid)
        assert request is not None
        receipt = validate.online_receipt(request["body"], request["operation"])
        try:
            if paper_out:
                raise TaskError(44)
            doc = self.register.receipt(OPERATIONS[request["operation"]], receipt, request["external_id"], "online",
                                        auto_shift=True, extra={"uuid": uuid})
        except TaskError as exc:
            self.store.update_online_request(uuid, status="fail", error=_error(exc.code, exc.text, "driver"))
            return
        payload = {
            "total": round(doc["total_minor"] / 100, 2),
            "fns_site": doc["fns_url"],
            "fn_number": doc["fn_number"],
            "shift_number": doc["shift_number"],
            "receipt_datetime": datetime.fromisoformat(doc["at"]).strftime("%d.%m.%Y %H:%M:%S"),
            "fiscal_receipt_number": doc["receipt_number"],
            "fiscal_document_number": doc["fd_number"],
            "ecr_registration_number": doc["registration_number"],
            "fiscal_document_attribute": int(doc["fiscal_sign"]),
            "ofd_inn": OFD_INN,
            "ofd_receipt_url": "",
        }
        self.store.update_online_request(uuid, status="done", payload=payload, fd_number=doc["fd_number"])

    # -- report ---------------------------------------------------------------------------------

    def _report(self, group: str, uuid: str, *, hold: bool) -> tuple[int, Any]:
        with self.store.transaction():
            request = self.store.online_request(uuid)
            if request is None or request["group_code"] != group:
                return self._fail(404, _error(ERR_NOT_FOUND, f"Документ с uuid {uuid} не найден"))
            waiting = hold or request["wait_polls"] > 0
            if request["wait_polls"] > 0:
                self.store.update_online_request(uuid, wait_polls=request["wait_polls"] - 1)
            elif request["status"] == "wait" and not hold:
                self._process(uuid)
                request = self.store.online_request(uuid)
                assert request is not None
        status = "wait" if waiting else request["status"]
        return 200, {
            "uuid": uuid,
            "status": status,
            "error": None if waiting else request["error"],
            "payload": None if waiting else request["payload"],
            "timestamp": _stamp(self.store.now()),
            "group_code": group,
            "daemon_code": "emulator-1",
            "device_code": "KKT-EMULATOR",
            "external_id": request["external_id"],
            "callback_url": ((request["body"] or {}).get("service") or {}).get("callback_url") or "",
        }
