"""Helper D's test pieces: the register emulator for a desk, the documents it made, a desk context."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select, update

from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import TODAY


def ctx(db: Database, login: str = "cashier", desk: str = "desk-fd") -> DeskContext:
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == login)).scalar_one()
    return DeskContext(db, desk, UserInfo(u.id, u.login, u.full_name, u.role), today_override=TODAY)


def point_payees_at(db: Database, url: str, mode: str = "atol_web") -> None:
    """Every payee's register is the emulator at ``url`` (what an admin would save)."""
    with db.uow() as uow:
        uow.session.execute(update(m.FiscalSettings).values(url=url, mode=mode))
        uow.commit()


def kinds(docs: list[dict[str, Any]]) -> Counter[str]:
    return Counter(d["type"] for d in docs)


def shift_row(db: Database, number: str) -> m.CashShift:
    with db.read() as uow:
        row = uow.session.execute(select(m.CashShift).where(m.CashShift.number == number)).scalar_one()
        uow.session.expunge(row)
        return row
