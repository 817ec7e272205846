"""The accrual batch: expected Select / Plus accruals per booking, activation, the quarterly Agent bonus."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from cashier_app.domain.bonus_rules import (
    accrual_date,
    accrual_eligible,
    agent_accrual,
    plus_accrual,
    select_accrual,
)
from cashier_app.domain.commission import previous_quarter, quarter_bounds, quarter_of
from cashier_app.services import audit
from cashier_app.services.bonus_accounts import _credit_balance, agency_account, manager_account
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.services.travel_facts import booking_facts, latest_rate
from cashier_app.storage import models as m

AGENT_PERCENT = Decimal(1)


@dataclass(frozen=True, slots=True)
class AccrualReport:
    created: int = 0
    activated: int = 0
    updated: int = 0
    removed: int = 0
    agent: int = 0
    activated_by_currency: dict[str, int] = field(default_factory=dict)


def _agent_percent(s: Session) -> Decimal:
    raw = s.get(m.Setting, "bonus.agent_percent")
    return Decimal(raw.value) if raw is not None else AGENT_PERCENT


def _desired_accruals(s: Session, b: m.Booking, today: date) -> dict[str, tuple[int, str, int]]:
    """dedupe key → (account id, bonus type, amount) the booking earns now."""
    facts = booking_facts(s, b, today)
    ok, _ = accrual_eligible(facts)
    if not ok:
        return {}
    out: dict[str, tuple[int, str, int]] = {}
    mgr_share, ag_share = select_accrual(facts, facts.fully_paid_on, b.non_commission_minor)
    plus = plus_accrual(facts, b.non_commission_minor)
    mgr_acc = manager_account(s, b.manager) if b.manager is not None else None
    ag_acc = agency_account(s, b.agency_id) if b.agency_id is not None else None
    if mgr_acc is not None:
        if mgr_share:
            out[f"accr:select:{b.id}:{mgr_acc.id}"] = (mgr_acc.id, "select", mgr_share)
        if plus:
            out[f"accr:plus:{b.id}:{mgr_acc.id}"] = (mgr_acc.id, "plus", plus)
    if ag_acc is not None and ag_share:
        out[f"accr:select:{b.id}:{ag_acc.id}"] = (ag_acc.id, "select", ag_share)
    return out


def accrue(ctx: DeskContext, today: date | None = None) -> AccrualReport:
    """Expected accruals for qualifying bookings; active (spendable) from two days after the return."""
    require(ctx, "bonus_batch")
    today = today or ctx.today()
    counts: dict[str, int] = defaultdict(int)
    by_cur: dict[str, int] = defaultdict(int)
    with ctx.db.uow() as uow:
        s = uow.session
        pending_ids = set(s.execute(select(m.BonusTransaction.booking_id).where(
            m.BonusTransaction.state == "expected", m.BonusTransaction.booking_id.is_not(None))).scalars())
        candidates = s.execute(select(m.Booking).where(or_(
            (m.Booking.status == "confirmed") & (m.Booking.tour_type == "standard")
            & (m.Booking.paid_minor >= m.Booking.price_minor),
            m.Booking.id.in_(pending_ids) if pending_ids else false(),
        )).order_by(m.Booking.id)).unique().scalars().all()
        for b in candidates:
            desired = _desired_accruals(s, b, today)
            due_day = accrual_date(b.return_on)
            existing = {t.dedupe_key: t for t in s.execute(select(m.BonusTransaction).where(
                m.BonusTransaction.booking_id == b.id, m.BonusTransaction.kind == "accrual")).scalars()}
            for key, t in existing.items():
                if t.state == "expected" and key not in desired:
                    s.delete(t)
                    counts["removed"] += 1
            for key, (account_id, btype, amount) in desired.items():
                t = existing.get(key)
                if t is None:
                    t = m.BonusTransaction(account_id=account_id, bonus_type=btype, kind="accrual",
                                           amount_minor=amount, currency=b.currency, state="expected",
                                           booking_id=b.id, created_on=today, dedupe_key=key)
                    s.add(t)
                    counts["created"] += 1
                elif t.state == "expected" and t.amount_minor != amount:
                    t.amount_minor = amount
                    counts["updated"] += 1
                if t.state == "expected" and today >= due_day:
                    t.state, t.active_from = "active", due_day
                    _credit_balance(s, account_id, btype, b.currency, amount)
                    counts["activated"] += 1
                    by_cur[b.currency] += amount
            s.flush()
        counts["agent"] = _accrue_agent(s, ctx, today, by_cur)
        report = AccrualReport(counts["created"], counts["activated"], counts["updated"], counts["removed"],
                               counts["agent"], dict(by_cur))
        if any((report.created, report.activated, report.updated, report.removed, report.agent)):
            audit.record(s, ctx, "bonus.accrue", "bonus_batch", today.isoformat(), None,
                         {"created": report.created, "activated": report.activated, "updated": report.updated,
                          "removed": report.removed, "agent": report.agent, "by_currency": report.activated_by_currency})
        uow.commit()
    return report


def _usd_minor(s: Session, amount: int, currency: str, day: date) -> int:
    if currency == "USD":
        return amount
    own, _ = latest_rate(s, currency, day)
    usd, _ = latest_rate(s, "USD", day)
    if own is None or usd is None:
        return 0
    return int((Decimal(amount) * own / usd).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _accrue_agent(s: Session, ctx: DeskContext, today: date, by_cur: dict[str, int]) -> int:
    """The previous quarter's Agent bonus for each agency whose sales reached its plan (once per quarter)."""
    quarter = previous_quarter(quarter_of(today))
    start, end = quarter_bounds(quarter)
    pct = _agent_percent(s)
    made = 0
    for agency in s.execute(select(m.Agency).where(m.Agency.sales_plan_usd_minor.is_not(None))).scalars():
        acc = agency_account(s, agency.id)
        assert acc is not None
        key = f"accr:agent:{acc.id}:{quarter[0]}Q{quarter[1]}"
        if s.execute(select(m.BonusTransaction.id).where(m.BonusTransaction.dedupe_key == key)).first():
            continue
        sales = 0
        for b in s.execute(select(m.Booking).where(
                m.Booking.agency_id == agency.id, m.Booking.return_on >= start, m.Booking.return_on <= end,
                m.Booking.status == "confirmed")).unique().scalars():
            if accrual_eligible(booking_facts(s, b, today))[0]:
                sales += _usd_minor(s, b.price_minor - b.non_commission_minor, b.currency, b.return_on)
        plan = agency.sales_plan_usd_minor or 0
        amount = agent_accrual(sales >= plan > 0, sales, pct)
        if amount <= 0:
            continue
        active_from = end + timedelta(days=1)
        s.add(m.BonusTransaction(account_id=acc.id, bonus_type="agent", kind="accrual", amount_minor=amount,
                                 currency="USD", state="active", created_on=today, active_from=active_from,
                                 dedupe_key=key))
        _credit_balance(s, acc.id, "agent", "USD", amount)
        by_cur["USD"] += amount
        made += 1
    return made
