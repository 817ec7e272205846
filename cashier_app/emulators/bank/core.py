"""What both banks' protocol handlers of the sandbox share: the early answer, credentials, state.

Its own module so that ``sber`` and ``tbank`` need not import ``server`` (the
server), which puts them together.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from cashier_app.emulators.bank.store import REASON_TEXT_RU, SandboxStore
from cashier_app.emulators.common import Faults


class ApiAnswer(Exception):
    """Raised by a protocol handler to answer at once (errors are HTTP 200 JSON at both banks)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        super().__init__("api answer")


@dataclass(frozen=True)
class Credentials:
    sber_user: str = "demo-api"
    sber_password: str = "demo"
    tbank_terminal: str = "DemoTerminal"
    tbank_password: str = "demo-password"
    # The merchant's login at Sber is not derivable from the API user name (decline.do's merchantLogin).
    sber_merchant_login: str = "sandbox-merchant"


class BankCore:
    """The state both protocols work on: one :class:`SandboxStore`, the faults, the spec log."""

    def __init__(self, store: SandboxStore, creds: Credentials, *, online_kassa: bool = False) -> None:
        self.store = store
        self.creds = creds
        self.faults = Faults()
        # The T-Bank terminal is connected to the bank's online cash register: Init needs a Receipt (309).
        self.online_kassa = online_kassa
        # Answers of ours that broke the bank's spec: a sandbox bug; the test fixtures assert none.
        self.spec_violations: list[str] = []
        self._call = threading.local()  # per request: "this Cancel is processed asynchronously"

    def reason_ru(self, order: dict[str, Any]) -> str | None:
        return REASON_TEXT_RU.get(order["reason"] or "", None)
