"""``audit verify --ledger``: every stored balance recomputed from the ledger's entries.

The ledger keeps two invariants (``services/ledger.py``; the demo office is
generated to satisfy them too): an account's balance equals its credited
entries (payments positive, cancels and refunds negative) minus its charges,
and a booking's paid amount equals the tour-currency amounts of its credited
entries.  A balance edited directly in the database breaks them; this names
each account or booking that differs, with the stored and the computed figure.
Sums are computed by the database (GROUP BY), so a million accounts is one
pass, not a million queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from cashier_app.i18n import tr
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m
from cashier_app.storage.db import Database


@dataclass(frozen=True, slots=True)
class LedgerDifference:
    kind: str  # account | booking
    number: str
    stored_minor: int
    computed_minor: int
    currency: str

    @property
    def label(self) -> str:
        if self.kind == "account":
            return tr("лицевой счёт {number}", number=self.number)
        return tr("заявка {number}", number=self.number)


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    accounts: int
    bookings: int
    differences: list[LedgerDifference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def check(db: Database) -> LedgerCheck:
    """Recompute every account balance and every booking's paid amount; list each difference."""
    credited = m.Payment.credited.is_(True)
    with db.read() as uow:
        s = uow.session
        paid = (select(m.Payment.account_id.label("aid"), func.sum(m.Payment.amount_minor).label("total"))
                .where(credited, m.Payment.account_id.is_not(None)).group_by(m.Payment.account_id).subquery())
        charged = (select(m.AccountCharge.account_id.label("aid"), func.sum(m.AccountCharge.amount_minor).label("total"))
                   .group_by(m.AccountCharge.account_id).subquery())
        computed = func.coalesce(paid.c.total, 0) - func.coalesce(charged.c.total, 0)
        accounts = s.execute(
            select(m.Account.number, m.Account.balance_minor, computed, m.Account.currency)
            .outerjoin(paid, paid.c.aid == m.Account.id).outerjoin(charged, charged.c.aid == m.Account.id)
            .where(m.Account.balance_minor != computed).order_by(m.Account.number)
        ).all()
        target = (select(m.Payment.booking_id.label("bid"), func.sum(m.Payment.target_amount_minor).label("total"))
                  .where(credited, m.Payment.booking_id.is_not(None)).group_by(m.Payment.booking_id).subquery())
        computed_b = func.coalesce(target.c.total, 0)
        bookings = s.execute(
            select(m.Booking.number, m.Booking.paid_minor, computed_b, m.Booking.currency)
            .outerjoin(target, target.c.bid == m.Booking.id)
            .where(m.Booking.paid_minor != computed_b).order_by(m.Booking.number)
        ).all()
        n_accounts = s.execute(select(func.count()).select_from(m.Account)).scalar_one()
        n_bookings = s.execute(select(func.count()).select_from(m.Booking)).scalar_one()
    diffs = [LedgerDifference("account", n, int(st), int(c), cur) for n, st, c, cur in accounts]
    diffs += [LedgerDifference("booking", n, int(st), int(c), cur) for n, st, c, cur in bookings]
    return LedgerCheck(int(n_accounts), int(n_bookings), diffs)


def verify(ctx: DeskContext) -> LedgerCheck:
    require(ctx, "view_audit")
    return check(ctx.db)
