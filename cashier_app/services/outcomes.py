"""What happened to an operation whose answer was lost.

When the database connection drops during a commit (a restarted server, a
network cut, ``pg_terminate_backend``), the client cannot tell whether the
COMMIT reached the server.  Before answering «failed», the command line asks
the database again on a fresh connection, by the operation's identity: a cash
payment by its operation token, a shift by its id, a refund or cancel by the
entries made on that payment by this user since the command started.  Each
function here only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from cashier_app.services.cash import CashPaymentResult
from cashier_app.storage import models as m
from cashier_app.storage.db import Database


def cash_payment_by_token(db: Database, token: str) -> CashPaymentResult | None:
    """The payment made with ``token`` (no slip attached), or None if none was committed."""
    with db.read() as uow:
        p = uow.session.execute(select(m.Payment).where(m.Payment.operation_token == token)).scalar_one_or_none()
        if p is None:
            return None
        received = p.cash_received_minor
        return CashPaymentResult(
            p.id, p.number, p.amount_minor, received, None if received is None else received - p.amount_minor,
            p.target_amount_minor, p.target_currency, True, None,
        )


@dataclass(frozen=True, slots=True)
class ShiftState:
    id: int
    number: str
    status: str
    z_report: str | None  # the Z report's document number once closed


def shift_state(db: Database, shift_id: int) -> ShiftState | None:
    with db.read() as uow:
        s = uow.session
        sh = s.get(m.CashShift, shift_id)
        if sh is None:
            return None
        z = s.execute(select(m.Document.number).where(m.Document.shift_id == shift_id,
                                                     m.Document.kind == "z_report")
                      .order_by(m.Document.id).limit(1)).scalar_one_or_none()
        return ShiftState(sh.id, sh.number, sh.status, z)


@dataclass(frozen=True, slots=True)
class ReversalEntry:
    number: str
    kind: str  # reversal | refund
    amount_minor: int  # positive: what went back
    application: str | None  # the refund application's document number


def reversals_by(db: Database, payment_number: str, user_id: int, since: datetime) -> list[ReversalEntry]:
    """Cancels and refunds of ``payment_number`` that ``user_id`` made at or after ``since``."""
    with db.read() as uow:
        s = uow.session
        orig_id = s.execute(select(m.Payment.id).where(m.Payment.number == payment_number)).scalar_one_or_none()
        if orig_id is None:
            return []
        rows = s.execute(select(m.Payment).where(m.Payment.reverses_id == orig_id, m.Payment.user_id == user_id,
                                                 m.Payment.created_at >= since).order_by(m.Payment.id)).scalars().all()
        out = []
        for e in rows:
            doc = s.execute(select(m.Document.number).where(m.Document.payment_id == e.id,
                                                            m.Document.kind == "refund_application")
                            .limit(1)).scalar_one_or_none()
            out.append(ReversalEntry(e.number, e.entry_kind, -e.amount_minor, doc))
        return out
