"""A local ATOL register through ATOL Web Server (driver v10 JSON tasks, ``/api/v2/requests``).

Every document is one request whose ``uuid`` is the caller's key: a reused uuid is answered 409 and
the request already there is read back instead — that is what makes ``submit`` idempotent.  A task
that is still ``wait``/``blocked`` after ``poll_secs`` is reported as ``wait`` (the register has
it: look it up later, never send it again under another key).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from cashier_app.domain.fiscal_receipt import DEFAULT_WEB_URL, Receipt, ReceiptItem, rubles
from cashier_app.i18n import N_, tr
from cashier_app.services.registers.base import (
    DeviceState,
    FiscalData,
    Lookup,
    Operator,
    RegisterRefused,
    RegisterUnavailable,
    ShiftState,
)
from cashier_app.services.registers.http import DEFAULT_TIMEOUT, Http, to_minor

_TASK_TYPES = {"sell": "sell", "sell_return": "sellReturn", "sell_correction": "sellCorrection",
               "sell_return_correction": "sellReturnCorrection"}
_PENDING = ("wait", "blocked", "inProgress")
_FAILED = ("error", "interrupted", "canceled")
NOT_READY_TEXT = N_("ККТ приняла задание, но ещё не выполнила его")  # tr() when raised


def camel(name: str) -> str:
    """``full_prepayment`` → ``fullPrepayment``: ATOL's JSON spelling of our value lists."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _operator(op: Operator) -> dict[str, Any]:
    out: dict[str, Any] = {"name": op.name}
    if op.inn:
        out["vatin"] = op.inn
    return out


def _item(item: ReceiptItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "position", "name": item.name, "price": rubles(item.price_minor),
        "quantity": Decimal(item.quantity), "amount": rubles(item.amount_minor),
        "paymentMethod": camel(item.payment_method), "paymentObject": camel(item.payment_object),
        "tax": {"type": item.vat},
    }
    if item.agent is not None:
        agent: dict[str, Any] = {"agents": [camel(item.agent.type)]}
        if item.agent.operation or item.agent.agent_phones:
            paying: dict[str, Any] = {}
            if item.agent.operation:
                paying["operation"] = item.agent.operation
            if item.agent.agent_phones:
                paying["phones"] = list(item.agent.agent_phones)
            agent["payingAgent"] = paying
        if item.agent.operator_phones:
            agent["receivePaymentsOperator"] = {"phones": list(item.agent.operator_phones)}
        out["agentInfo"] = agent
    if item.supplier is not None:
        supplier: dict[str, Any] = {"name": item.supplier.name, "vatin": item.supplier.inn}
        if item.supplier.phones:
            supplier["phones"] = list(item.supplier.phones)
        out["supplierInfo"] = supplier
    return out


def web_task(receipt: Receipt) -> dict[str, Any]:
    """The receipt as an ATOL driver JSON task (``sell``, ``sellReturn``, ``sellCorrection`` …)."""
    task: dict[str, Any] = {
        "type": _TASK_TYPES[receipt.operation],
        "taxationType": camel(receipt.tax_system),
        "electronically": receipt.electronically,
        "operator": _operator(Operator(receipt.operator_name, receipt.operator_inn)),
    }
    if receipt.correction is not None:
        day, month, year = receipt.correction.base_date.split(".")
        task["correctionType"] = receipt.correction.type
        task["correctionBaseDate"] = f"{year}.{month}.{day}"  # ATOL JSON dates are yyyy.mm.dd
        if receipt.correction.base_number:  # tag 1179: only a correction by instruction must have it
            task["correctionBaseNumber"] = receipt.correction.base_number
    if receipt.contact:
        task["clientInfo"] = {"emailOrPhone": receipt.contact}
    if receipt.place:
        task["paymentsPlace"] = receipt.place
    task["items"] = [_item(i) for i in receipt.items]
    task["payments"] = [{"type": kind, "sum": rubles(amount)} for kind, amount in receipt.payments]
    task["total"] = rubles(receipt.total_minor)
    return task


def _local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def parse_time(text: Any, tz: tzinfo) -> datetime:
    """ATOL's date-times: ISO 8601, usually with the offset; a naive one is the register's local time."""
    if not isinstance(text, str):
        raise ValueError(f"not a date-time: {text!r}")
    value = text.strip().replace(" ", "T", 1)
    if "." in value[:10]:  # 2026.12.03 14:05:00 (older drivers)
        value = value[:10].replace(".", "-") + value[10:]
    at = datetime.fromisoformat(value)
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def fiscal_from(params: dict[str, Any], tz: tzinfo) -> FiscalData:
    """``result.fiscalParams`` → FiscalData; ``ValueError``/``KeyError`` when it is not readable."""
    def opt_int(name: str) -> int | None:
        value = params.get(name)
        return None if value in (None, "") else int(value)

    total = params.get("total")
    return FiscalData(
        fd_number=int(params["fiscalDocumentNumber"]),
        fiscal_sign=str(params["fiscalDocumentSign"]),
        fn_number=str(params["fnNumber"]),
        registration_number=str(params.get("registrationNumber") or "").strip(),
        at=parse_time(params["fiscalDocumentDateTime"], tz),
        total_minor=to_minor(total) if total is not None else 0,
        shift_number=opt_int("shiftNumber"),
        receipt_number=opt_int("fiscalReceiptNumber"),
        fns_url=params.get("fnsUrl") or None,
    )


class AtolWebClient:
    """``RegisterClient`` for ATOL Web Server at ``base_url`` (default ``http://127.0.0.1:16732``)."""

    supports_shifts = True

    def __init__(self, base_url: str = DEFAULT_WEB_URL, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 poll_secs: float = 5.0, poll_interval: float = 0.05, tz: tzinfo | None = None) -> None:
        self.http = Http(base_url, timeout=timeout, what="АТОЛ Web-сервер")  # i18n: data (named in the log only)
        self.base_url = self.http.base_url
        self.poll_secs = poll_secs
        self.poll_interval = poll_interval
        self.tz = tz or _local_tz()

    # --- the request protocol -------------------------------------------------------------------

    def _post(self, key: str, task: dict[str, Any]) -> bool:
        """Send one task under ``key``; False when the register already has that uuid (409)."""
        status, body = self.http.call("POST", "/api/v2/requests", {"uuid": key, "request": [task]})
        if status in (200, 201):
            return True
        if status == 409:
            return False
        raise RegisterRefused(tr("ККТ не приняла задание (HTTP {status}): {error}", status=status,
                                 error=_describe(body)), code=f"http{status}")

    def _read(self, key: str) -> tuple[str, dict[str, Any]]:
        """(status, the task's result) of request ``key``; ``("absent", {})`` for an unknown uuid."""
        status, body = self.http.call("GET", f"/api/v2/requests/{quote(key, safe='')}")
        if status == 404:
            return "absent", {}
        if status != 200 or not isinstance(body, dict):
            raise RegisterUnavailable(tr("непонятный ответ ККТ (HTTP {status})", status=status))
        results = body.get("results")
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise RegisterUnavailable(tr("непонятный ответ ККТ: нет результата задания"))
        first = results[0]
        state = first.get("status")
        if state in _PENDING:
            return "wait", first
        if state == "ready":
            return "ready", first
        if state in _FAILED:
            return "error", first
        raise RegisterUnavailable(tr("непонятный статус задания ККТ: {state}", state=repr(state)))

    def _settle(self, key: str, deadline: float) -> tuple[str, dict[str, Any]]:
        state, first = self._read(key)
        while state == "wait" and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
            state, first = self._read(key)
        return state, first

    def _lookup_from(self, state: str, first: dict[str, Any]) -> Lookup:
        if state == "absent":
            return Lookup("absent")
        if state == "wait":
            return Lookup("wait")
        if state == "error":
            return Lookup("failed", error=_error_text(first))
        result = first.get("result") if isinstance(first.get("result"), dict) else {}
        params = result.get("fiscalParams")
        if not isinstance(params, dict):
            return Lookup("done")  # a task that makes no fiscal document (X report, cash in)
        try:
            return Lookup("done", fiscal=fiscal_from(params, self.tz))
        except (KeyError, TypeError, ValueError):
            raise RegisterUnavailable(tr("ККТ выполнила задание, но её ответ не читается")) from None

    def _run(self, key: str, task: dict[str, Any]) -> Lookup:
        """Send (or find) ``key`` and wait a bounded time; a definite failure raises RegisterRefused."""
        self._post(key, task)  # 409: the uuid is there already — read it, never resend under a new one
        state, first = self._settle(key, time.monotonic() + self.poll_secs)
        if state == "absent":
            # Accepted a moment ago and unknown now: the register lost it or is not the one we talked to.
            raise RegisterUnavailable(tr("ККТ приняла задание, но не находит его"))
        if state == "error":
            raise RegisterRefused(_error_text(first), code=str(first.get("errorCode") or "error"))
        return self._lookup_from(state, first)

    def _query(self, task: dict[str, Any]) -> dict[str, Any]:
        """A task that changes nothing (status queries): a fresh uuid each time; its ``result``."""
        key = f"q-{uuid.uuid4()}"
        self._post(key, task)
        state, first = self._settle(key, time.monotonic() + self.poll_secs)
        if state == "error":
            raise RegisterRefused(_error_text(first), code=str(first.get("errorCode") or "error"))
        if state != "ready":
            raise RegisterUnavailable(tr(NOT_READY_TEXT))
        result = first.get("result")
        return result if isinstance(result, dict) else {}

    # --- receipts -------------------------------------------------------------------------------

    def submit(self, key: str, receipt: Receipt) -> Lookup:
        return self._run(key, web_task(receipt))

    def lookup(self, key: str, remote_uuid: str | None = None) -> Lookup:
        return self._lookup_from(*self._read(key))

    # --- the device and its shift ---------------------------------------------------------------

    def shift_state(self) -> ShiftState:
        result = self._query({"type": "getShiftStatus"})
        st = result.get("shiftStatus") if isinstance(result.get("shiftStatus"), dict) else {}
        state = st.get("state")
        if state not in ("opened", "closed", "expired"):
            raise RegisterUnavailable(tr("непонятное состояние смены ККТ: {state}", state=repr(state)))
        opened_at = None
        try:
            if st.get("openedDateTime"):
                opened_at = parse_time(st["openedDateTime"], self.tz)
            elif st.get("expiredTime") and state != "closed":
                opened_at = parse_time(st["expiredTime"], self.tz) - timedelta(hours=24)
        except ValueError:
            opened_at = None
        number = st.get("number")
        return ShiftState(state=state, number=int(number) if number not in (None, "") else None,
                          opened_at=opened_at, fn_number=st.get("fnNumber") or None)

    def device_state(self) -> DeviceState:
        """Ready / paper out / shift / unsent documents; ``online=False`` when the register does not answer."""
        try:
            status = self._query({"type": "getDeviceStatus"}).get("deviceStatus") or {}
            shift = self.shift_state()
            ofd = self._query({"type": "ofdExchangeStatus"}).get("status") or {}
        except RegisterUnavailable:
            return DeviceState(online=False)
        oldest = None
        if ofd.get("notSentFirstDocDateTime"):
            try:
                oldest = parse_time(ofd["notSentFirstDocDateTime"], self.tz)
            except ValueError:
                oldest = None
        return DeviceState(
            online=True, paper_out=status.get("paperPresent") is False, shift=shift,
            unsent_documents=int(ofd.get("notSentCount") or 0), oldest_unsent_at=oldest,
            fn_number=status.get("fnNumber") or shift.fn_number, model=status.get("model") or None,
        )

    def open_shift(self, key: str, operator: Operator) -> ShiftState:
        self._run(key, {"type": "openShift", "operator": _operator(operator)})
        return self.shift_state()

    def close_shift(self, key: str, operator: Operator) -> dict[str, Any]:
        """The Z report's data: the closing document's fiscal data and the shift's number."""
        lk = self._run(key, {"type": "closeShift", "operator": _operator(operator)})
        if lk.state != "done":
            raise RegisterUnavailable(tr(NOT_READY_TEXT))
        f = lk.fiscal
        if f is None:
            return {"state": "closed"}
        return {"state": "closed", "shift_number": f.shift_number, "fd_number": f.fd_number,
                "fiscal_sign": f.fiscal_sign, "fn_number": f.fn_number,
                "registration_number": f.registration_number, "closed_at": f.at.isoformat(),
                "fns_url": f.fns_url}

    def report_x(self, key: str, operator: Operator) -> None:
        self._done(key, {"type": "reportX", "operator": _operator(operator)})

    def cash_in(self, key: str, amount_minor: int, operator: Operator) -> None:
        self._done(key, {"type": "cashIn", "cashSum": rubles(_positive(amount_minor)),
                         "operator": _operator(operator)})

    def cash_out(self, key: str, amount_minor: int, operator: Operator) -> None:
        self._done(key, {"type": "cashOut", "cashSum": rubles(_positive(amount_minor)),
                         "operator": _operator(operator)})

    def _done(self, key: str, task: dict[str, Any]) -> None:
        if self._run(key, task).state != "done":
            raise RegisterUnavailable(tr(NOT_READY_TEXT))


def _positive(amount_minor: int) -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError(f"cash sum must be positive kopecks, got {amount_minor!r}")
    return amount_minor


def _error_text(first: dict[str, Any]) -> str:
    text = first.get("errorDescription") or ""
    code = first.get("errorCode")
    return str(text) if text else tr("ошибка ККТ {code}", code=code)  # the device's own text as it came


def _describe(body: Any) -> str:
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            body = inner
        for name in ("errorDescription", "description", "text", "error", "message"):
            if body.get(name):
                return str(body[name])[:200]
    return tr("без пояснений")
