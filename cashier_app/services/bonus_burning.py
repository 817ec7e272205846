"""The burning batch: what was active before a month burns if the account's owner made no sale in it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.bonus_rules import (
    BonusState,
    BonusTxnFacts,
    BonusType,
    burn_for_month,
    is_sale,
    month_start_of,
    next_month_start,
)
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.i18n import tr
from cashier_app.services import audit
from cashier_app.services.bonus_accounts import withdraw
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.services.travel_facts import booking_facts
from cashier_app.storage import models as m


@dataclass(frozen=True, slots=True)
class BurnReport:
    month: date
    accounts_checked: int
    kept_by_sale: int
    exempt: int
    burnt_accounts: int
    burnt_by_currency: dict[str, int]


def parse_month(text: str, field: str = "--month") -> date:
    try:
        year, month = (int(x) for x in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise ValidationError(field, tr("«{value}» — не месяц; нужен формат ГГГГ-ММ", value=text)) from exc


def _had_sale(s: Session, acc: m.BonusAccount, month: date, today: date) -> bool:
    start, end = month_start_of(month), next_month_start(month)
    stmt = select(m.Booking).where(m.Booking.confirmed_on >= start - timedelta(days=10),
                                   m.Booking.confirmed_on < end, m.Booking.status != "cancelled")
    if acc.owner_kind == "manager":
        stmt = stmt.where(m.Booking.manager_id == acc.user_id)
    else:
        stmt = stmt.where(m.Booking.agency_id == acc.agency_id)
    return any(is_sale(booking_facts(s, b, today), start) for b in s.execute(stmt).unique().scalars())


def burn(ctx: DeskContext, month: date, today: date | None = None) -> BurnReport:
    """Burn, per account, what was active before ``month`` if the account's owner made no sale in it.

    Spending takes the oldest bonuses first, so what is left of the old ones is
    the balance minus everything activated from the month on.  Run after the
    month is over; running it again burns nothing more.
    """
    require(ctx, "bonus_batch")
    today = today or ctx.today()
    start = month_start_of(month)
    if today < next_month_start(start):
        raise RuleViolation(tr("месяц {month} ещё не закончился: сгорание считается после его окончания",
                               month=f"{start:%m.%Y}"))
    checked = kept = exempt = burnt_accounts = 0
    by_cur: dict[str, int] = defaultdict(int)
    tag = f"{start:%Y-%m}"
    with ctx.db.uow() as uow:
        s = uow.session
        for acc in s.execute(select(m.BonusAccount).order_by(m.BonusAccount.id)).scalars().all():
            checked += 1
            if not acc.tied_to_agency_user:
                exempt += 1
                continue
            rows = s.execute(select(m.BonusTransaction).where(
                m.BonusTransaction.account_id == acc.id, m.BonusTransaction.state == "active",
                m.BonusTransaction.kind.in_(("accrual", "refund")))).scalars().all()
            if not rows:
                continue
            if _had_sale(s, acc, start, today):
                kept += 1
                continue
            burnt_here = False
            groups: dict[tuple[str, str], list[m.BonusTransaction]] = defaultdict(list)
            for t in rows:
                groups[(t.bonus_type, t.currency)].append(t)
            for (btype, cur), txns in sorted(groups.items()):
                key = f"burn:{tag}:{acc.id}:{btype}:{cur}"
                if s.execute(select(m.BonusTransaction.id).where(m.BonusTransaction.dedupe_key == key)).first():
                    continue
                facts = [BonusTxnFacts(t.id, BonusType(t.bonus_type), BonusState(t.state), t.amount_minor,
                                       t.active_from) for t in txns]
                ids = set(burn_for_month(facts, start, False, True))
                if not ids:
                    continue
                old_sum = sum(t.amount_minor for t in txns if t.id in ids)
                newer = sum(t.amount_minor for t in txns if t.id not in ids)
                bal_row = s.execute(select(m.BonusBalance).where(
                    m.BonusBalance.account_id == acc.id, m.BonusBalance.bonus_type == btype,
                    m.BonusBalance.currency == cur).with_for_update()).scalar_one_or_none()
                have = bal_row.active_minor if bal_row else 0
                amount = min(old_sum, max(have - newer, 0))
                for t in txns:
                    if t.id in ids:
                        t.state, t.closed_on = "burnt", today
                if amount and bal_row is not None and not withdraw(s, bal_row.id, amount):
                    raise RuleViolation(tr("остаток бонусов изменился во время сгорания; запустите ещё раз"))
                s.add(m.BonusTransaction(account_id=acc.id, bonus_type=btype, kind="burn", amount_minor=amount,
                                         currency=cur, state="burnt", created_on=today, closed_on=today,
                                         dedupe_key=key))
                by_cur[cur] += amount
                burnt_here = True
            burnt_accounts += burnt_here
            s.flush()
        report = BurnReport(start, checked, kept, exempt, burnt_accounts, dict(by_cur))
        if burnt_accounts:
            audit.record(s, ctx, "bonus.burn", "bonus_batch", tag, None,
                         {"accounts": burnt_accounts, "by_currency": report.burnt_by_currency})
        uow.commit()
    return report
