"""A booking's price change: on a decrease the overpayment goes back first as bonuses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cashier_app.domain.bonus_rules import (
    BonusState,
    refund_split,
)
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.domain.money import convert_to_rub, format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import audit, ledger, office_time
from cashier_app.services.bonus_accounts import _credit_balance, _load_booking
from cashier_app.services.context import DeskContext
from cashier_app.services.numbering import next_number
from cashier_app.services.permissions import require
from cashier_app.services.travel_facts import bonus_spent_on
from cashier_app.storage import models as m


@dataclass(frozen=True, slots=True)
class PriceChange:
    booking_number: str
    currency: str
    old_price_minor: int
    new_price_minor: int
    bonus_refund_minor: int
    money_refund_minor: int  # to give back in money through the refund flow
    returned: list[tuple[str, str, int]]  # (account name, bonus type, amount)


def _refund_entry(s: Session, ctx: DeskContext, orig: m.Payment, target_minor: int, rub_minor: int,
                  reason: str, now: datetime) -> None:
    """A credited negative entry against a bonus payment with an exact tour-currency amount.

    ``ledger.add_reversal`` derives the tour-currency part from the ruble part,
    which can be a cent off for a partial refund; bonuses must come back to
    the cent, so the entry is written here and applied by the ledger's own rule.
    """
    entry = m.Payment(
        number=next_number(s, "payment"), entry_kind="refund", method=orig.method, status="paid",
        amount_minor=-rub_minor, currency=orig.currency, target_amount_minor=-target_minor,
        target_currency=orig.target_currency, rate=orig.rate, rate_day=orig.rate_day,
        booking_id=orig.booking_id, payee_id=orig.payee_id, desk=ctx.desk,
        user_id=ctx.user.id if ctx.user else None, created_at=now, settled_at=now, reverses_id=orig.id,
        reason=reason[:255], credited=True,
    )
    s.add(entry)
    s.flush()
    ledger._apply(s, entry, sign=-1, day=office_time.day_of(s, now))
    audit.record(s, ctx, "payment.refund", "payment", orig.number, None,
                 {"entry": entry.number, "amount_minor": -rub_minor, "target_amount_minor": -target_minor,
                  "reason": entry.reason}, now=now)


def change_price(ctx: DeskContext, booking_number: str, new_price_minor: int, today: date) -> PriceChange:
    """The operator changed the price; on a decrease an overpayment goes back first as bonuses."""
    require(ctx, "correct")
    if not isinstance(new_price_minor, int) or new_price_minor < 0:
        raise ValidationError(N_("Новая стоимость"), tr("нужна сумма не меньше нуля"))
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        b = _load_booking(s, booking_number, lock=True)
        old = b.price_minor
        if new_price_minor == old:
            raise ValidationError(N_("Новая стоимость"), tr("стоимость и так {amount}",
                                                            amount=format_money(old, b.currency)))
        if b.status == "cancelled":
            raise RuleViolation(tr("заявка аннулирована: стоимость не меняется, списанные бонусы не возвращаются"))
        b.price_minor = new_price_minor
        if b.paid_minor >= new_price_minor and b.fully_paid_on is None:
            b.fully_paid_on = today
        elif b.paid_minor < new_price_minor:
            b.fully_paid_on = None
        s.flush()
        audit.record(s, ctx, "booking.price", "booking", b.number, {"price_minor": old},
                     {"price_minor": new_price_minor}, now=now)
        bonus_back = money_back = 0
        returned: list[tuple[str, str, int]] = []
        if new_price_minor < old:
            overpaid = max(b.paid_minor - new_price_minor, 0)
            refund = min(old - new_price_minor, overpaid)
            bonus_back, money_back = refund_split(refund, bonus_spent_on(s, b.id))
            returned = _return_bonuses(s, ctx, b, bonus_back, today, now)
        s.refresh(b)
        result = PriceChange(b.number, b.currency, old, new_price_minor, bonus_back, money_back, returned)
        uow.commit()
    return result


def _return_bonuses(s: Session, ctx: DeskContext, b: m.Booking, amount: int, today: date,
                    now: datetime) -> list[tuple[str, str, int]]:
    if amount <= 0:
        return []
    # Net spent per (account, type), newest write-off first: the last spent comes back first.
    net: dict[tuple[int, str], int] = defaultdict(int)
    newest: dict[tuple[int, str], int] = {}
    for t in s.execute(select(m.BonusTransaction).where(
            m.BonusTransaction.booking_id == b.id,
            m.BonusTransaction.kind.in_(("spend", "refund")))).scalars():
        key = (t.account_id, t.bonus_type)
        net[key] += t.amount_minor if t.kind == "spend" else -t.amount_minor
        if t.kind == "spend":
            newest[key] = max(newest.get(key, 0), t.id)
    left = amount
    returned: list[tuple[str, str, int]] = []
    for key in sorted(net, key=lambda k: -newest.get(k, 0)):
        if left == 0:
            break
        piece = min(net[key], left)
        if piece <= 0:
            continue
        account_id, btype = key
        s.add(m.BonusTransaction(account_id=account_id, bonus_type=btype, kind="refund", amount_minor=piece,
                                 currency=b.currency, state=BonusState.ACTIVE.value, booking_id=b.id,
                                 created_on=today, active_from=today, user_id=ctx.user.id if ctx.user else None))
        _credit_balance(s, account_id, btype, b.currency, piece)
        acc = s.get(m.BonusAccount, account_id)
        returned.append((acc.name if acc else str(account_id), btype, piece))
        left -= piece
    # The same amount leaves the booking's paid total through its bonus payments.
    left = amount
    for p in s.execute(select(m.Payment).where(
            m.Payment.booking_id == b.id, m.Payment.method == "bonus", m.Payment.entry_kind == "payment",
            m.Payment.credited.is_(True)).order_by(m.Payment.id.desc())).scalars().all():
        if left == 0:
            break
        done_t, done_r = s.execute(select(func.coalesce(func.sum(m.Payment.target_amount_minor), 0),
                                          func.coalesce(func.sum(m.Payment.amount_minor), 0))
                                   .where(m.Payment.reverses_id == p.id, m.Payment.credited.is_(True))).one()
        t_left = (p.target_amount_minor or 0) + int(done_t)
        r_left = p.amount_minor + int(done_r)
        piece = min(t_left, left)
        if piece <= 0:
            continue
        rub = r_left if piece == t_left else min(convert_to_rub(piece, Decimal(p.rate or 1)), r_left)
        _refund_entry(s, ctx, p, piece, rub, "стоимость заявки уменьшилась: бонусы возвращены на счёт", now)  # i18n: data
        left -= piece
    audit.record(s, ctx, "bonus.refund", "booking", b.number, None,
                 {"returned": [[n, t, a] for n, t, a in returned]}, now=now)
    return returned
