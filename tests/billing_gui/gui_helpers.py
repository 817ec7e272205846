"""Shared pieces of the billing GUI tests: an office whose first provider is wired to a real billing
emulator, a cash payment, the main window with the billing capability.  (No tests here.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cashier_app.services import cash, shifts
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import TODAY


def ctx_for(db: Database, login: str = "cashier", desk: str = "desk-1") -> DeskContext:
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == login)).scalar_one()
    return DeskContext(db, desk, UserInfo(u.id, u.login, u.full_name, u.role), today_override=TODAY)


def isp_payee(db: Database) -> tuple[str, str]:
    """The first provider with no billing connector (the demo office wires «interra» to the sandbox)."""
    with db.read() as uow:
        wired = select(m.BillingSettings.payee_id)
        p = uow.session.execute(select(m.Payee).where(m.Payee.kind == "isp", m.Payee.id.notin_(wired))
                                .order_by(m.Payee.id)).scalars().first()
        assert p is not None
        return p.code, p.name


def accounts_of(db: Database, code: str, n: int = 5) -> list[str]:
    with db.read() as uow:
        q = (select(m.Account.number).join(m.Contract).join(m.Payee, m.Payee.id == m.Contract.payee_id)
             .where(m.Payee.code == code).order_by(m.Account.id).limit(n))
        return list(uow.session.execute(q).scalars())


def wire(db: Database, srv: Any, known: int = 3) -> tuple[str, list[str]]:
    """The first provider delivers to ``srv``; the billing knows its first ``known`` accounts (of five)."""
    from cashier_app.services.billing import settings as bs

    code, _name = isp_payee(db)
    bs.configure(ctx_for(db, "admin"), code, url=srv.osmp_url, dialect=srv.dialect)
    numbers = accounts_of(db, code, 5)
    srv.load_accounts([{"number": a, "full_name": f"Абонент {a}", "balance": "1234.50", "blocked": "0"}
                       for a in numbers[:known]])
    return code, numbers


def open_desk(db: Database, login: str = "cashier", desk: str = "desk-1") -> DeskContext:
    ctx = ctx_for(db, login, desk)
    with db.read() as uow:
        have = uow.session.execute(select(m.CashShift.id).where(m.CashShift.desk == desk,
                                                                 m.CashShift.status == "open")).first()
    if have is None:
        shifts.open_shift(ctx, 1_000_000)
    return ctx


def pay(ctx: DeskContext, account: str, amount: int = 10_000) -> Any:
    return cash.take_cash(ctx, token=cash.new_token(), amount_minor=amount, account=account)


def window(qtbot: Any, ctx: DeskContext, runner: Any) -> Any:
    from cashier_app.ui import billing_actions
    from cashier_app.ui.main_window import MainWindow

    user = ctx.user
    ctx.user = None
    w = MainWindow(ctx, runner)
    qtbot.addWidget(w)
    billing_actions.install(w)
    w.set_user(user)
    return w
