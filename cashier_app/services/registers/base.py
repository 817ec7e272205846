"""What every fiscal register client answers, whichever protocol is behind it.

A client never guesses: a definite refusal by the register is :class:`RegisterRefused`
(the receipt was not made, with the register's reason); anything else that goes wrong on
the way (timeout, connection refused, a 5xx, an answer that cannot be read) is
:class:`RegisterUnavailable` — the receipt may or may not exist and must be looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cashier_app.domain.fiscal_receipt import Receipt


class RegisterUnavailable(Exception):
    """The outcome is unknown (network, timeout, unreadable answer): look it up, never resend blindly."""


class RegisterRefused(Exception):
    """The register answered and did not make the document; ``code`` is its error code."""

    def __init__(self, message: str, code: str | None = None, *, remote_uuid: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        # ATOL Online's uuid of the refused receipt: a later lookup reads the refusal by it (and
        # then knows the external_id is spent, so a retry goes under a new key).
        self.remote_uuid = remote_uuid


@dataclass(frozen=True, slots=True)
class FiscalData:
    """What the register printed: enough for the FNS check QR and an inspector."""

    fd_number: int  # ФД
    fiscal_sign: str  # ФП / ФПД (digits)
    fn_number: str  # ФН
    registration_number: str  # РН ККТ
    at: datetime  # aware; the register's date-time of the document
    total_minor: int
    shift_number: int | None = None
    receipt_number: int | None = None  # number of the receipt within the shift
    fns_url: str | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """Where a document stands at the register.

    ``state``: ``absent`` (the register has never seen the key: safe to send) | ``wait`` (accepted,
    not made yet) | ``done`` (``fiscal`` set) | ``failed`` (``error`` set: it will not be made).
    """

    state: str
    fiscal: FiscalData | None = None
    error: str | None = None
    remote_uuid: str | None = None  # ATOL Online's uuid for the external_id


@dataclass(frozen=True, slots=True)
class ShiftState:
    state: str  # opened | closed | expired
    number: int | None = None
    opened_at: datetime | None = None  # aware, when known
    fn_number: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceState:
    """For the status bar: ready / paper out / shift expired / offline / documents not sent to the OFD."""

    online: bool
    paper_out: bool = False
    shift: ShiftState | None = None
    unsent_documents: int = 0
    oldest_unsent_at: datetime | None = None
    fn_number: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Operator:
    """The cashier as printed (tags 1021, 1203)."""

    name: str
    inn: str | None = None


class RegisterClient(Protocol):
    """A fiscal register.  ``key`` is the outbox row's key: the ATOL Web uuid / ATOL Online external_id.

    ``submit`` is idempotent on ``key``: a key the register already has (409 / «чек с external_id
    уже существует») is read back, not treated as a failure.  Shift operations exist only on
    a local register; the cloud register answers them with ``supports_shifts = False``.
    """

    supports_shifts: bool

    def submit(self, key: str, receipt: Receipt) -> Lookup: ...

    def lookup(self, key: str, remote_uuid: str | None = None) -> Lookup: ...

    def device_state(self) -> DeviceState: ...

    def shift_state(self) -> ShiftState: ...

    def open_shift(self, key: str, operator: Operator) -> ShiftState: ...

    def close_shift(self, key: str, operator: Operator) -> dict[str, Any]: ...

    def report_x(self, key: str, operator: Operator) -> None: ...

    def cash_in(self, key: str, amount_minor: int, operator: Operator) -> None: ...

    def cash_out(self, key: str, amount_minor: int, operator: Operator) -> None: ...
