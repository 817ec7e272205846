"""Shared pieces of helper C's fiscal outbox tests: a register emulator on a loopback port, an office whose
payees send their receipts to it, and readers of the outbox and of the emulator's documents.

(No tests here.)  The emulator is the real HTTP server (``cashier_app.emulators.register``); the office
is a private SQLite copy of the demo office (``fresh_db``) or a PostgreSQL one (``make_office``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cashier_app.services import cash, fiscal_settings, shifts
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import TODAY

GROUP, LOGIN = "demo-group", "demo-login"
SETTINGS_COLUMNS = ("mode", "url", "group_code", "login", "company_email", "card_by_bank", "tax_system", "vat",
                    "agent", "agent_operation", "agent_phone", "operator_phone", "supplier_name", "supplier_inn",
                    "supplier_phone", "payment_object", "payment_method", "item_name", "place")


def start_register(path: Path) -> Any:
    from cashier_app.emulators.register.server import RegisterServer

    srv = RegisterServer(host="127.0.0.1", port=0, state_path=path)
    srv.start()
    return srv


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Any]:
    srv = start_register(tmp_path / "register.sqlite")
    try:
        yield srv
    finally:
        srv.stop()


def url_for(srv: Any, mode: str) -> str:
    return str(srv.web_url if mode == "atol_web" else srv.online_url)


def set_fiscal(db: Database, srv: Any | None, mode: str = "atol_web", *, card_by_bank: bool = False,
               url: str | None = None, payees: tuple[str, ...] | None = None) -> None:
    """Every (or the named) payee's register: the emulator over ``mode``, the payee kind's default rules.

    Written straight into ``fiscal_settings`` (the table the dialog saves), so these tests do not
    depend on the settings dialog's validation.
    """
    with db.uow() as uow:
        s = uow.session
        q = select(m.Payee)
        if payees is not None:
            q = q.where(m.Payee.code.in_(payees))
        for p in s.execute(q).scalars():
            row = s.get(m.FiscalSettings, p.id)
            if row is None:  # not the demo's: the payee kind's defaults
                rules = fiscal_settings.defaults_for(s, p.id)
                values = {k: getattr(rules, k) for k in SETTINGS_COLUMNS if hasattr(rules, k)}
                row = m.FiscalSettings(payee_id=p.id, **values)
                s.add(row)
            row.mode = mode
            row.url = url or (url_for(srv, mode) if srv is not None and mode != "none" else row.url)
            row.card_by_bank = card_by_bank
            row.updated_at = datetime.now(UTC)
            if mode == "atol_online":
                row.group_code, row.login = GROUP, LOGIN
                row.company_email = row.company_email or "kassa@example.ru"
        uow.commit()


def ctx_for(db: Database, login: str = "cashier", desk: str = "desk-1") -> DeskContext:
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == login)).scalar_one()
    return DeskContext(db, desk, UserInfo(u.id, u.login, u.full_name, u.role), today_override=TODAY)


def open_register_shift(srv: Any) -> None:
    srv.set_state(shift_opened_at=datetime.now(UTC).isoformat())


def open_desk(db: Database, srv: Any, login: str = "cashier", desk: str = "desk-1") -> DeskContext:
    """The app's shift open on ``desk`` and the register's shift open (whatever opened it)."""
    ctx = ctx_for(db, login, desk)
    with db.read() as uow:
        have = uow.session.execute(select(m.CashShift.id).where(m.CashShift.desk == desk,
                                                                 m.CashShift.status == "open")).first()
    if have is None:
        shifts.open_shift(ctx, 1_000_000)
    open_register_shift(srv)
    return ctx


def account(db: Database, offset: int = 0, payee_kind: str | None = None) -> str:
    with db.read() as uow:
        q = select(m.Account.number).join(m.Contract).join(m.Payee, m.Payee.id == m.Contract.payee_id)
        if payee_kind:
            q = q.where(m.Payee.kind == payee_kind)
        return uow.session.execute(q.order_by(m.Account.id).offset(offset).limit(1)).scalar_one()


def pay(ctx: DeskContext, amount: int = 12_345, offset: int = 0, **kw: Any) -> cash.CashPaymentResult:
    return cash.take_cash(ctx, token=cash.new_token(), amount_minor=amount, account=account(ctx.db, offset), **kw)


def rows(db: Database, payment_number: str | None = None) -> list[m.FiscalReceipt]:
    """The outbox rows (of a payment and its refund entries), oldest first, detached."""
    with db.read() as uow:
        s = uow.session
        q = select(m.FiscalReceipt).order_by(m.FiscalReceipt.id)
        if payment_number is not None:
            pid = s.execute(select(m.Payment.id).where(m.Payment.number == payment_number)).scalar_one()
            entries = select(m.Payment.id).where((m.Payment.id == pid) | (m.Payment.reverses_id == pid))
            q = q.where(m.FiscalReceipt.payment_id.in_(entries))
        out = list(s.execute(q).scalars())
        for r in out:
            s.expunge(r)
        return out


def row_of(db: Database, payment_number: str, operation: str = "sell") -> m.FiscalReceipt:
    found = [r for r in rows(db, payment_number) if r.operation == operation]
    assert len(found) == 1, (payment_number, operation, found)
    return found[0]


def docs_for(srv: Any, key: str) -> list[dict[str, Any]]:
    """The emulator's documents made under ``key`` (the ATOL Web uuid / ATOL Online external_id)."""
    return [d for d in srv.documents() if d.get("key") == key]


def receipt_docs(srv: Any) -> list[dict[str, Any]]:
    return [d for d in srv.documents() if d.get("type") in ("sell", "sellReturn", "sellCorrection")]


def field_names(obj: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(obj)]


__all__ = ["register"]
