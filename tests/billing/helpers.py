"""Shared pieces of the billing connector tests: an office whose isp payees deliver to a real
``BillingServer`` (H2's emulator) on a loopback port 0, and readers of the outbox.  (No tests here.)"""

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


def isp_payee(db: Database) -> str:
    with db.read() as uow:
        return uow.session.execute(select(m.Payee.code).where(m.Payee.kind == "isp").order_by(m.Payee.id)
                                   .limit(1)).scalar_one()


def accounts(db: Database, code: str, n: int = 20) -> list[str]:
    """Open accounts of the payee, in id order."""
    with db.read() as uow:
        q = (select(m.Account.number).join(m.Contract).join(m.Payee, m.Payee.id == m.Contract.payee_id)
             .where(m.Payee.code == code, m.Account.closed_on.is_(None)).order_by(m.Account.id).limit(n))
        return list(uow.session.execute(q).scalars())


def start_billing(dialect: str) -> Any:
    from cashier_app.emulators.billing.server import BillingServer

    srv = BillingServer(dialect=dialect, port=0)
    srv.start()
    return srv


def wire(db: Database, srv: Any, dialect: str, n: int = 20) -> tuple[str, list[str]]:
    """The first isp payee delivers to ``srv`` (set by the admin through the service); the emulator knows
    its first ``n`` accounts.  → (payee code, account numbers)."""
    from cashier_app.services.billing import settings as bs

    code = isp_payee(db)
    bs.configure(ctx_for(db, "admin"), code, url=srv.osmp_url, dialect=dialect)
    numbers = accounts(db, code, n)
    srv.load_accounts([{"number": a, "full_name": f"Абонент {a}", "balance": "0.00", "blocked": "0"}
                       for a in numbers])
    return code, numbers


def open_desk(db: Database, login: str = "cashier", desk: str = "desk-1") -> DeskContext:
    ctx = ctx_for(db, login, desk)
    with db.read() as uow:
        have = uow.session.execute(select(m.CashShift.id).where(m.CashShift.desk == desk,
                                                                 m.CashShift.status == "open")).first()
    if have is None:
        shifts.open_shift(ctx, 1_000_000)
    return ctx


def pay(ctx: DeskContext, account: str, amount: int = 12_345) -> cash.CashPaymentResult:
    return cash.take_cash(ctx, token=cash.new_token(), amount_minor=amount, account=account)


def delivery(db: Database, payment_number: str, operation: str = "pay") -> m.BillingDelivery:
    with db.read() as uow:
        s = uow.session
        r = s.execute(select(m.BillingDelivery).join(m.Payment, m.Payment.id == m.BillingDelivery.payment_id)
                      .where(m.Payment.number == payment_number, m.BillingDelivery.operation == operation)
                      ).scalar_one()
        s.expunge(r)
        return r


def paid_in_billing(srv: Any, txn_id: str) -> list[dict[str, Any]]:
    return [p for p in srv.payments() if str(p["txn_id"]) == txn_id]
