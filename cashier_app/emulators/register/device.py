"""The emulated register itself: its shift, its drawer, its fiscal documents.

Both protocols (``web_api``, ``online_api``) drive the same :class:`Register`, as one
physical register with its FN would be.  An operation either makes its document (numbered,
signed, stored) or raises :class:`TaskError` having changed nothing; callers run it inside
``store.transaction()`` together with the answer that reports it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from typing import Any

from cashier_app.emulators.register.store import RegisterStore

MSK = timezone(timedelta(hours=3))
SHIFT_HOURS = 24
FNS_URL = "www.nalog.gov.ru"

# Error codes of the ATOL driver as ATOL Web Server reports them (``errorCode``) and their texts.
ERR_NO_PAPER = 44
ERR_OPENED_SHIFT = 65
ERR_CLOSED_SHIFT = 66
ERR_SHIFT_EXPIRED = 68
ERR_NO_CASH = 82
ERR_INVALID = 180
ERR_UNKNOWN_TASK = 181
ERROR_TEXTS = {
    ERR_NO_PAPER: "Нет бумаги",
    ERR_OPENED_SHIFT: "Смена открыта — операция невозможна",
    ERR_CLOSED_SHIFT: "Смена закрыта — операция невозможна",
    ERR_SHIFT_EXPIRED: "Смена превысила 24 часа",
    ERR_NO_CASH: "Не хватает наличности в денежном ящике",
}

# Document types of the ATOL tasks; sell-like ones count as receipts of the shift.
RECEIPT_TYPES = ("sell", "sellReturn", "sellCorrection", "sellReturnCorrection")
_INCOME = ("sell", "sellCorrection")


class TaskError(Exception):
    """The register refused the operation; nothing was made."""

    def __init__(self, code: int, text: str | None = None) -> None:
        self.code = code
        self.text = text or ERROR_TEXTS.get(code, "Ошибка")
        super().__init__(f"{code}: {self.text}")


def fiscal_time(ts: float) -> str:
    """``2026-12-03T14:05:00+03:00``: the FN keeps minutes, ATOL prints them in the register's zone."""
    return datetime.fromtimestamp(ts, MSK).replace(second=0, microsecond=0).isoformat()


class Register:
    """One register with one FN on top of a :class:`RegisterStore`."""

    def __init__(self, store: RegisterStore) -> None:
        self.store = store

    # -- state ----------------------------------------------------------------------------------

    def shift_state(self) -> str:
        """``closed`` | ``opened`` | ``expired`` (open for more than 24 h by the register's clock)."""
        if not self.store.get("shift_open"):
            return "closed"
        opened = float(self.store.get("shift_opened_at") or 0.0)
        return "expired" if self.store.now() - opened > SHIFT_HOURS * 3600 else "opened"

    def shift_status(self) -> dict[str, Any]:
        state = self.shift_state()
        opened = self.store.get("shift_opened_at")
        expires = fiscal_time(float(opened) + SHIFT_HOURS * 3600) if state != "closed" and opened else None
        return {
            "state": state,
            "number": int(self.store.get("shift_number") or 0),
            "expiredTime": expires,
            "documentsCount": int(self.store.get("receipts_in_shift") or 0),
        }

    def device_status(self) -> dict[str, Any]:
        last = self.store.next_fd_number() - 1
        return {
            "blocked": False,
            "coverOpened": False,
            "paperPresent": bool(self.store.get("paper")),
            "paperNearEnd": False,
            "fiscal": True,
            "fnFiscal": True,
            "fnPresent": True,
            "invalidFn": False,
            "cashDrawerOpened": False,
            "currentDateTime": datetime.fromtimestamp(self.store.now(), MSK).replace(microsecond=0).isoformat(),
            "shift": self.shift_state(),
            "model": 57,
            "modelName": "АТОЛ 25Ф (эмулятор)",
            "serialNumber": self.store.get("serial_number"),
            "fnNumber": self.store.get("fn_number"),
            "registrationNumber": self.store.get("registration_number"),
            "lastDocumentNumber": last,
        }

    def ofd_status(self) -> dict[str, Any]:
        unsent = int(self.store.get("unsent") or 0)
        first = self.store.next_fd_number() - unsent if unsent else 0
        doc = self.store.document(first) if unsent else None
        return {
            "notSentCount": unsent,
            "notSentFirstDocNumber": first,
            "notSentFirstDocDateTime": doc["at"] if doc else None,
        }

    # -- documents ------------------------------------------------------------------------------

    def _sign(self, doc: dict[str, Any]) -> str:
        # The FN's fiscal sign (ФП/ФПД): a MAC of the document under the FN's own key; stable for a document.
        content = f"{doc['fd_number']}|{doc['type']}|{doc['total_minor']}|{doc['at']}|{doc['fn_number']}"
        digest = hmac.new(self.store.fn_key(), content.encode("utf-8"), hashlib.sha256).digest()
        return str(1_000_000_000 + int.from_bytes(digest[:8], "big") % 9_000_000_000)

    def _make(self, doc_type: str, key: str, protocol: str, **fields: Any) -> dict[str, Any]:
        store = self.store
        doc: dict[str, Any] = {
            "fd_number": store.next_fd_number(),
            "type": doc_type,
            "key": key,
            "protocol": protocol,
            "total_minor": 0,
            "payments": [],
            "items": [],
            "operator": {},
            "client": None,
            "electronically": False,
            "shift_number": int(store.get("shift_number") or 0),
            "receipt_number": None,
            "fn_number": store.get("fn_number"),
            "registration_number": store.get("registration_number"),
            "fns_url": FNS_URL,
            "at": fiscal_time(store.now()),
        }
        doc.update(fields)
        doc["fiscal_sign"] = self._sign(doc)
        store.add_document(doc)
        return doc

    def _need_paper(self, printed: bool = True) -> None:
        if printed and not self.store.get("paper"):
            raise TaskError(ERR_NO_PAPER)

    def _need_open_shift(self) -> None:
        state = self.shift_state()
        if state == "closed":
            raise TaskError(ERR_CLOSED_SHIFT)
        if state == "expired":
            raise TaskError(ERR_SHIFT_EXPIRED)

    def _add_totals(self, name: str, amount: int, *, receipt: bool = False) -> None:
        totals = dict(self.store.get("shift_totals") or {})
        totals[name] = int(totals.get(name, 0)) + amount
        if receipt:
            totals["receipts"] = int(totals.get("receipts", 0)) + 1
        self.store.set(shift_totals=totals)

    # -- operations -----------------------------------------------------------------------------

    def open_shift(self, key: str, protocol: str, operator: dict[str, Any] | None,
                   *, printed: bool = True) -> dict[str, Any]:
        with self.store.transaction():
            if self.shift_state() != "closed":
                raise TaskError(ERR_OPENED_SHIFT)
            self._need_paper(printed)
            self.store.set(shift_number=int(self.store.get("shift_number") or 0) + 1, shift_open=True,
                           shift_opened_at=self.store.now(), receipts_in_shift=0, shift_totals={})
            return self._make("openShift", key, protocol, operator=operator or {})

    def close_shift(self, key: str, protocol: str, operator: dict[str, Any] | None,
                    *, printed: bool = True) -> dict[str, Any]:
        with self.store.transaction():
            if self.shift_state() == "closed":
                raise TaskError(ERR_CLOSED_SHIFT)
            self._need_paper(printed)
            totals = dict(self.store.get("shift_totals") or {})
            totals["receipts"] = int(self.store.get("receipts_in_shift") or 0)
            totals["cash_minor"] = int(self.store.get("cash_minor") or 0)
            doc = self._make("closeShift", key, protocol, operator=operator or {}, totals=totals)
            self.store.set(shift_open=False)
            return doc

    def report_x(self, key: str, protocol: str, operator: dict[str, Any] | None) -> dict[str, Any]:
        with self.store.transaction():
            self._need_paper()
            totals = dict(self.store.get("shift_totals") or {})
            totals["receipts"] = int(self.store.get("receipts_in_shift") or 0)
            totals["cash_minor"] = int(self.store.get("cash_minor") or 0)
            return self._make("reportX", key, protocol, operator=operator or {}, totals=totals)

    def cash(self, kind: str, amount_minor: int, key: str, protocol: str,
             operator: dict[str, Any] | None) -> dict[str, Any]:
        """``cashIn`` / ``cashOut``: money into or out of the drawer (not a receipt)."""
        with self.store.transaction():
            self._need_open_shift()
            self._need_paper()
            drawer = int(self.store.get("cash_minor") or 0)
            if kind == "cashOut" and amount_minor > drawer:
                raise TaskError(ERR_NO_CASH)
            self.store.set(cash_minor=drawer + (amount_minor if kind == "cashIn" else -amount_minor))
            self._add_totals(kind, amount_minor)
            return self._make(kind, key, protocol, total_minor=amount_minor, operator=operator or {},
                              payments=[{"type": "cash", "sum_minor": amount_minor}])

    def receipt(self, kind: str, receipt: dict[str, Any], key: str, protocol: str,
                *, auto_shift: bool = False, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """A sell / sell return / correction from a checked receipt (``validate``)."""
        with self.store.transaction():
            state = self.shift_state()
            if auto_shift and state != "opened":
                # A cloud register keeps its own shifts: it closes an old one and opens the next itself.
                if state == "expired":
                    self.close_shift(f"auto-close-{key}", protocol, None, printed=False)
                self.open_shift(f"auto-open-{key}", protocol, None, printed=False)
            self._need_open_shift()
            self._need_paper(not receipt["electronically"])
            total = int(receipt["total_minor"])
            cash_paid = sum(p["sum_minor"] for p in receipt["payments"] if p["type"] == "cash")
            change = sum(p["sum_minor"] for p in receipt["payments"]) - total
            cash = cash_paid - change
            drawer = int(self.store.get("cash_minor") or 0)
            self.store.set(cash_minor=drawer + (cash if kind in _INCOME else -cash),
                           receipts_in_shift=int(self.store.get("receipts_in_shift") or 0) + 1)
            self._add_totals(kind, total, receipt=True)
            return self._make(
                kind, key, protocol,
                total_minor=total,
                payments=receipt["payments"],
                items=receipt["items"],
                operator=receipt.get("operator") or {},
                client=receipt.get("client"),
                electronically=bool(receipt["electronically"]),
                correction=receipt.get("correction"),
                receipt_number=int(self.store.get("receipts_in_shift") or 0),
                **(extra or {}),
            )

    # -- control --------------------------------------------------------------------------------

    def force_shift(self, *, opened_at: float | None = None, open_: bool | None = None) -> None:
        """``/_control/state``: put the shift where a test wants it, without a document."""
        with self.store.transaction():
            if open_ is False:
                self.store.set(shift_open=False)
                return
            if not self.store.get("shift_open"):
                self.store.set(shift_number=int(self.store.get("shift_number") or 0) + 1, shift_open=True,
                               receipts_in_shift=0, shift_totals={}, shift_opened_at=self.store.now())
            if opened_at is not None:
                self.store.set(shift_opened_at=float(opened_at))
