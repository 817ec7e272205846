"""Fixtures of the billing GUI tests: short billing timeouts, message boxes caught, a real billing
emulator (H2's ``BillingServer``) on a loopback port 0."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    # A dead billing answers nothing: the tests wait 1 s for it, not the real 10 s.
    monkeypatch.setenv("CASHIER_BILLING_TIMEOUTS", "1,1")


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message box's text instead of a modal box."""
    out: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: out.append(str(a[2])))
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.information", lambda *a: out.append(str(a[2])))
    return out


@pytest.fixture
def billing() -> Iterator[Any]:
    from cashier_app.emulators.billing.server import BillingServer

    srv = BillingServer(dialect="abills", port=0)
    srv.start()
    yield srv
    srv.stop()
