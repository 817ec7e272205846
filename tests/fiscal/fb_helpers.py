"""Helper B's test pieces: an emulated register on a loopback port and receipts to send it.  (No tests here.)"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.services.registers.atol_online import AtolOnlineClient, forget_tokens
from cashier_app.services.registers.atol_web import AtolWebClient
from cashier_app.services.registers.base import Operator

PHONES = {"agent_phone": "+79123456789", "operator_phone": "+74951234567", "supplier_phone": "+74951112233"}
CASHIER = Operator("Иванова Анна", "500100732259")
TIMEOUT = (1.0, 3.0)


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Any]:
    from cashier_app.emulators.register.server import RegisterServer

    srv = RegisterServer(host="127.0.0.1", port=0, state_path=tmp_path / "register.sqlite")
    srv.start()
    forget_tokens()
    try:
        yield srv
    finally:
        srv.stop()
        forget_tokens()


def web(srv: Any, **kw: Any) -> AtolWebClient:
    return AtolWebClient(srv.web_url, timeout=TIMEOUT, poll_secs=kw.pop("poll_secs", 2.0), **kw)


def online(srv: Any, password: str = "demo-pass", **kw: Any) -> AtolOnlineClient:
    return AtolOnlineClient(srv.online_url, "demo-group", "demo-login", password, company_inn="7707083893",
                            company_email="kassa@office.ru", payment_address="https://office.ru",
                            timeout=TIMEOUT, poll_secs=kw.pop("poll_secs", 2.0), **kw)


def isp_receipt(amount_minor: int = 123450, **kw: Any) -> fr.Receipt:
    rules = fr.default_rules("isp", "ООО «Интерра»", "4027001231", **PHONES)
    args: dict[str, Any] = {"operation": "sell", "amount_minor": amount_minor, "payment_type": "cash",
                            "item_name": "Оплата услуг связи, л/с 001234", "operator_name": CASHIER.name,
                            "operator_inn": CASHIER.inn, "contact": None, "electronically": False}
    args.update(kw)
    return fr.build_receipt(rules, **args)


def travel_receipt(amount_minor: int = 5_000_000, **kw: Any) -> fr.Receipt:
    rules = fr.default_rules("travel", "ООО «Пегас Ритейл»", "7714098763")
    args: dict[str, Any] = {"operation": "sell", "amount_minor": amount_minor, "payment_type": "electronically",
                            "item_name": None, "operator_name": CASHIER.name, "operator_inn": None,
                            "contact": "+79123456789", "electronically": False}
    args.update(kw)
    return fr.build_receipt(rules, **args)


def docs(srv: Any, key: str | None = None) -> list[dict[str, Any]]:
    found = srv.documents(key) if key is not None else srv.documents()
    return list(found)


def receipts_of(srv: Any, key: str) -> list[dict[str, Any]]:
    return [d for d in docs(srv, key) if d["type"] in ("sell", "sellReturn", "sellCorrection", "sellReturnCorrection")]


def dead_url() -> str:
    """A loopback port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
