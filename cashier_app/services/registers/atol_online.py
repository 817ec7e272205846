"""The cloud register: ATOL Online REST v5 (FFD 1.2).

``external_id`` is the caller's key.  Sending it again returns the uuid ATOL already assigned with
the error text «В системе существует чек с external_id»: that is read as "accepted" and the report
is read by that uuid.  ATOL Online has no report by external_id, so a lookup without the uuid says
``absent`` — which is safe here, because the next ``submit`` under the same key cannot make a
second receipt.  The token (valid 24 h) is cached per (URL, login) and fetched again once on an
authorisation error.  Shifts are the cloud's business: ``supports_shifts`` is False.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from cashier_app.domain.fiscal_receipt import DEFAULT_ONLINE_URL, Receipt, ReceiptItem, rubles
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

OPERATIONS = {"sell": "sell", "sell_return": "sell_refund", "sell_correction": "sell_correction",
              "sell_return_correction": "sell_refund_correction"}
PAYMENT_OBJECT_CODES = {"commodity": 1, "service": 4, "payment": 10, "agent_commission": 11, "another": 13}
PAYMENT_TYPE_CODES = {"cash": 0, "electronically": 1}
# VAT inside a price that includes it: rate / (100 + rate).  vat110/vat120 are the «расчётные» rates.
_VAT_SHARE = {"vat5": (5, 105), "vat105": (5, 105), "vat7": (7, 107), "vat107": (7, 107),
              "vat10": (10, 110), "vat110": (10, 110), "vat20": (20, 120), "vat120": (20, 120)}
TOKEN_LIFETIME_SECS = 24 * 3600 - 600  # refreshed ten minutes before ATOL's 24 h run out
_AUTH_CODES = {11, 12, 13, 14}
MOSCOW = ZoneInfo("Europe/Moscow")
NOT_SHIFTS_TEXT = N_("АТОЛ Онлайн сам открывает и закрывает смены: из программы это не делается")  # tr() when raised

_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def vat_minor(vat: str, amount_minor: int) -> int:
    """The VAT inside ``amount_minor`` at ``vat``, rounded half up to a kopeck (integers only)."""
    share = _VAT_SHARE.get(vat)
    if share is None:
        return 0
    rate, base = share
    return int((Decimal(amount_minor) * rate / base).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _item(item: ReceiptItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": item.name, "price": rubles(item.price_minor), "quantity": Decimal(item.quantity),
        "sum": rubles(item.amount_minor), "measure": 0, "payment_method": item.payment_method,
        "payment_object": PAYMENT_OBJECT_CODES[item.payment_object], "vat": {"type": item.vat},
    }
    if item.agent is not None:
        agent: dict[str, Any] = {"type": item.agent.type}
        if item.agent.operation or item.agent.agent_phones:
            paying: dict[str, Any] = {}
            if item.agent.operation:
                paying["operation"] = item.agent.operation
            if item.agent.agent_phones:
                paying["phones"] = list(item.agent.agent_phones)
            agent["paying_agent"] = paying
        if item.agent.operator_phones:
            agent["receive_payments_operator"] = {"phones": list(item.agent.operator_phones)}
        out["agent_info"] = agent
    if item.supplier is not None:
        supplier: dict[str, Any] = {"name": item.supplier.name, "inn": item.supplier.inn}
        if item.supplier.phones:
            supplier["phones"] = list(item.supplier.phones)
        out["supplier_info"] = supplier
    return out


def online_body(key: str, receipt: Receipt, *, at: datetime, company_inn: str = "", company_email: str = "",
                payment_address: str = "", callback_url: str | None = None) -> dict[str, Any]:
    """The v5 request for ``receipt``; the receipt's own company data wins over the client's defaults."""
    company = {"email": receipt.company_email or company_email, "sno": receipt.tax_system,
               "inn": receipt.company_inn or company_inn, "payment_address": receipt.place or payment_address}
    doc: dict[str, Any] = {}
    # A cloud register has no printer and ATOL Online wants the buyer's e-mail or phone.  A buyer at
    # the counter who gives none gets the app's slip with the FNS QR; the receipt itself goes to the
    # company's mailbox rather than not being made at all.
    contact = receipt.contact or company["email"]
    if contact:
        doc["client"] = {"email": contact} if "@" in contact else {"phone": contact}
    doc["company"] = {k: v for k, v in company.items() if v}
    if receipt.correction is not None:
        info = {"type": receipt.correction.type, "base_date": receipt.correction.base_date}
        if receipt.correction.base_number:  # tag 1179: only a correction by instruction must have it
            info["base_number"] = receipt.correction.base_number
        doc["correction_info"] = info
    doc["items"] = [_item(i) for i in receipt.items]
    doc["payments"] = [{"type": PAYMENT_TYPE_CODES[kind], "sum": rubles(amount)} for kind, amount in receipt.payments]
    vats: dict[str, int] = {}
    for item in receipt.items:
        vats[item.vat] = vats.get(item.vat, 0) + vat_minor(item.vat, item.amount_minor)
    doc["vats"] = [{"type": vat, "sum": rubles(amount)} for vat, amount in vats.items()]
    doc["total"] = rubles(receipt.total_minor)
    if receipt.operator_name:
        doc["cashier"] = receipt.operator_name
    if receipt.operator_inn:
        doc["cashier_inn"] = receipt.operator_inn
    body: dict[str, Any] = {"external_id": key, "timestamp": at.strftime("%d.%m.%Y %H:%M:%S")}
    if callback_url:
        body["service"] = {"callback_url": callback_url}
    body["correction" if receipt.correction is not None else "receipt"] = doc
    return body


def _error(body: Any) -> dict[str, Any] | None:
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) and err else None


def _error_text(err: dict[str, Any]) -> str:
    # The service's own text (Russian, from ATOL) is shown as it came; only our fallback is translated.
    return str(err.get("text") or tr("ошибка АТОЛ Онлайн {code}", code=err.get("code")))


def _is_duplicate(err: dict[str, Any]) -> bool:
    """«В системе существует чек с external_id …»: the receipt is there already (code 33 in v4/v5)."""
    text = _error_text(err).lower()
    return ("существует" in text and "external_id" in text) or str(err.get("code")) == "33"  # i18n: data


def _is_auth(status: int, err: dict[str, Any] | None) -> bool:
    if status == 401:
        return True
    if err is None:
        return False
    try:
        code = int(err.get("code"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        code = None
    return code in _AUTH_CODES or "токен" in str(err.get("text") or "").lower()  # i18n: data


class AtolOnlineClient:
    """``RegisterClient`` for ATOL Online v5 at ``base_url`` (``…/possystem/v5``), group ``group_code``."""

    supports_shifts = False

    def __init__(self, base_url: str = DEFAULT_ONLINE_URL, group_code: str = "", login: str = "",
                 password: str = "", *, company_inn: str = "", company_email: str = "", payment_address: str = "",
                 callback_url: str | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 poll_secs: float = 5.0, poll_interval: float = 0.05, tz: tzinfo = MOSCOW) -> None:
        self.http = Http(base_url, timeout=timeout, what="АТОЛ Онлайн")  # i18n: data (named in the log only)
        self.base_url = self.http.base_url
        self.group_code = group_code
        self.login = login
        self._password = password
        self.company_inn, self.company_email, self.payment_address = company_inn, company_email, payment_address
        self.callback_url = callback_url
        self.poll_secs = poll_secs
        self.poll_interval = poll_interval
        self.tz = tz

    # --- token ----------------------------------------------------------------------------------

    def _token(self, *, fresh: bool = False) -> str:
        cache_key = (self.base_url, self.login, self._password)
        with _tokens_lock:
            cached = _tokens.get(cache_key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
        status, body = self.http.call("POST", "getToken", {"login": self.login, "pass": self._password})
        err = _error(body)
        token = body.get("token") if isinstance(body, dict) else None
        if err is not None or not token:
            if err is None and status < 400:
                raise RegisterUnavailable(tr("АТОЛ Онлайн не выдал токен: ответ не читается"))
            raise RegisterRefused(tr("АТОЛ Онлайн не принял логин и пароль: {error}", error=_error_text(err or {})),
                                  code=str((err or {}).get("code") or f"http{status}"))
        with _tokens_lock:
            _tokens[cache_key] = (str(token), time.monotonic() + TOKEN_LIFETIME_SECS)
        return str(token)

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """An authorised call; on an authorisation error the token is fetched again, once."""
        status, answer = self.http.call(method, path, body, {"Token": self._token()})
        if _is_auth(status, _error(answer)):
            status, answer = self.http.call(method, path, body, {"Token": self._token(fresh=True)})
            if _is_auth(status, _error(answer)):
                # A fresh token refused too: nothing is known about the receipt (never "failed").
                raise RegisterUnavailable(tr("АТОЛ Онлайн не принимает токен: {error}",
                                             error=_error_text(_error(answer) or {})))
        return status, answer

    # --- receipts -------------------------------------------------------------------------------

    def submit(self, key: str, receipt: Receipt) -> Lookup:
        body = online_body(key, receipt, at=datetime.now(self.tz), company_inn=self.company_inn,
                           company_email=self.company_email, payment_address=self.payment_address,
                           callback_url=self.callback_url)
        status, answer = self._call("POST", f"{quote(self.group_code, safe='')}/{OPERATIONS[receipt.operation]}", body)
        err = _error(answer)
        remote = answer.get("uuid") if isinstance(answer, dict) else None
        if err is not None and not _is_duplicate(err):
            raise RegisterRefused(_error_text(err), code=str(err.get("code") or f"http{status}"))
        if status >= 400 and err is None:
            raise RegisterRefused(tr("АТОЛ Онлайн отказал (HTTP {status})", status=status), code=f"http{status}")
        if not remote:
            # Accepted (or already there) but no uuid: nothing to read the report by.  Unknown, not failed.
            raise RegisterUnavailable(tr("АТОЛ Онлайн не сообщил uuid чека"))
        lk = self._poll(str(remote))
        if lk.state == "failed":
            raise RegisterRefused(lk.error or tr("АТОЛ Онлайн отказал"), code="fail", remote_uuid=str(remote))
        if lk.state == "absent":
            raise RegisterUnavailable(tr("АТОЛ Онлайн принял чек, но не находит его отчёт"))
        return lk

    def _poll(self, remote: str) -> Lookup:
        deadline = time.monotonic() + self.poll_secs
        lk = self._report(remote)
        while lk.state == "wait" and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
            lk = self._report(remote)
        return lk

    def _report(self, remote: str) -> Lookup:
        status, answer = self._call("GET", f"{quote(self.group_code, safe='')}/report/{quote(remote, safe='')}")
        err = _error(answer)
        state = answer.get("status") if isinstance(answer, dict) else None
        if status == 404 or (state is None and err is not None and status < 500):
            return Lookup("absent", remote_uuid=None)
        if state == "wait":
            return Lookup("wait", remote_uuid=remote)
        if state == "fail":
            return Lookup("failed", error=_error_text(err or {}), remote_uuid=remote)
        if state != "done":
            raise RegisterUnavailable(tr("непонятный статус чека АТОЛ Онлайн: {state}", state=repr(state)))
        try:
            fiscal = self._fiscal(answer.get("payload") or {})
        except (KeyError, TypeError, ValueError):
            raise RegisterUnavailable(tr("АТОЛ Онлайн сделал чек, но его данные не читаются")) from None
        return Lookup("done", fiscal=fiscal, remote_uuid=remote)

    def _fiscal(self, p: dict[str, Any]) -> FiscalData:
        at = datetime.strptime(str(p["receipt_datetime"]), "%d.%m.%Y %H:%M:%S").replace(tzinfo=self.tz)
        shift = p.get("shift_number")
        number = p.get("fiscal_receipt_number")
        return FiscalData(
            fd_number=int(p["fiscal_document_number"]), fiscal_sign=str(p["fiscal_document_attribute"]),
            fn_number=str(p["fn_number"]), registration_number=str(p.get("ecr_registration_number") or "").strip(),
            at=at, total_minor=to_minor(p["total"]),
            shift_number=int(shift) if shift not in (None, "") else None,
            receipt_number=int(number) if number not in (None, "") else None,
            fns_url=p.get("fns_site") or None,
        )

    def lookup(self, key: str, remote_uuid: str | None = None) -> Lookup:
        if not remote_uuid:
            return Lookup("absent")  # safe: submit under the same external_id cannot make a second receipt
        return self._report(remote_uuid)

    # --- what a cloud register has instead of a device --------------------------------------------

    def device_state(self) -> DeviceState:
        try:
            self._token(fresh=True)
        except RegisterUnavailable:
            return DeviceState(online=False)
        return DeviceState(online=True, shift=ShiftState(state="opened"))

    def shift_state(self) -> ShiftState:
        """Always open as far as the app is concerned: ATOL Online opens and closes its own shifts."""
        return ShiftState(state="opened")

    def open_shift(self, key: str, operator: Operator) -> ShiftState:
        raise RegisterRefused(tr(NOT_SHIFTS_TEXT), code="unsupported")

    def close_shift(self, key: str, operator: Operator) -> dict[str, Any]:
        raise RegisterRefused(tr(NOT_SHIFTS_TEXT), code="unsupported")

    def report_x(self, key: str, operator: Operator) -> None:
        raise RegisterRefused(tr(NOT_SHIFTS_TEXT), code="unsupported")

    def cash_in(self, key: str, amount_minor: int, operator: Operator) -> None:
        raise RegisterRefused(tr(NOT_SHIFTS_TEXT), code="unsupported")

    def cash_out(self, key: str, amount_minor: int, operator: Operator) -> None:
        raise RegisterRefused(tr(NOT_SHIFTS_TEXT), code="unsupported")


def forget_tokens() -> None:
    """Drop every cached token (tests; a changed password)."""
    with _tokens_lock:
        _tokens.clear()
