"""Sales & Smiles bonus accounts: accrual, burning, spending on a booking, refunds on a price decrease.

The pure rules are in ``domain/bonus_rules``; this module reads and writes the
three tables:

* ``bonus_accounts`` — one per manager and one per agency;
* ``bonus_balances`` — the spendable (active) amount per account, bonus type and
  currency.  Spending takes it with one conditional UPDATE
  (``active_minor = active_minor - x WHERE active_minor >= x``), so two desks
  spending from the same agency account at once can never take it below zero
  (the CHECK constraint is the second fence);
* ``bonus_transactions`` — the history; ``dedupe_key`` makes the accrual and
  burning batches idempotent (running them twice adds nothing).

Decisions where the seed is silent (documented for the administrator):

* a write-off is a ledger payment with method ``bonus``: the tour-currency
  amount is credited to the booking, and ``amount_minor`` holds its ruble value
  at the day's internal rate, so journals and shift totals stay in rubles; with
  no rate for the day the write-off is refused with the same reason as any
  ruble payment;
* Agent bonus: ``AGENT_PERCENT`` (1 %, the seed's «up to 1 %») of the agency's
  fully paid standard packages that returned in a quarter, in USD, when they
  reach ``agencies.sales_plan_usd_minor``; credited once the quarter is over;
* an expected accrual whose booking no longer qualifies is removed (a later
  change takes the application out of the programme); an active one stays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import false, func, or_, select, update
from sqlalchemy.orm import Session

from cashier_app.domain.bonus_rules import (
    BONUS_TYPE_LABELS,
    INSUFFICIENT_BONUSES,
    BonusState,
    BonusTxnFacts,
    BonusType,
    accrual_date,
    accrual_eligible,
    agent_accrual,
    burn_for_month,
    check_spend,
    is_sale,
    month_start_of,
    next_month_start,
    plus_accrual,
    refund_split,
    select_accrual,
    spend_limits,
)
from cashier_app.domain.commission import previous_quarter, quarter_bounds, quarter_of
from cashier_app.domain.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from cashier_app.domain.money import convert_to_rub, format_money
from cashier_app.domain.tours import format_date_ru, paid_share_percent
from cashier_app.services import audit, ledger
from cashier_app.services.booking_payments import card_reserved
from cashier_app.services.context import DeskContext
from cashier_app.services.numbering import next_number
from cashier_app.services.permissions import require
from cashier_app.services.rates import rate_on
from cashier_app.services.travel_facts import bonus_spent_on, booking_facts, latest_rate
from cashier_app.storage import models as m

AGENT_PERCENT = Decimal(1)
ACCOUNT_KINDS = ("manager", "agency")
ACCOUNT_KIND_LABELS = {"manager": "Личный счёт менеджера", "agency": "Счёт агентства"}


# --- DTOs ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpendAccount:
    account_id: int
    kind: str  # manager | agency
    name: str
    balances: dict[str, int]  # bonus type → active minor units in the tour currency
    max_by_type: dict[str, int]  # «Максимальная сумма к списанию»


@dataclass(frozen=True, slots=True)
class SpendInfo:
    booking_number: str
    currency: str
    price_minor: int
    paid_minor: int
    paid_share: str
    due_minor: int
    cap_minor: int
    cap_left_minor: int
    spent_minor: int
    departure_on: date
    reasons: list[str]  # why nothing can be spent today (empty: spending possible)
    accounts: list[SpendAccount]
    rate: Decimal | None


@dataclass(frozen=True, slots=True)
class SpendResult:
    booking_number: str
    account_id: int
    account_name: str
    currency: str
    by_type: dict[str, int]
    total_minor: int
    rub_minor: int
    rate: Decimal
    payment_number: str
    paid_minor: int


@dataclass(frozen=True, slots=True)
class AccrualReport:
    created: int = 0
    activated: int = 0
    updated: int = 0
    removed: int = 0
    agent: int = 0
    activated_by_currency: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BurnReport:
    month: date
    accounts_checked: int
    kept_by_sale: int
    exempt: int
    burnt_accounts: int
    burnt_by_currency: dict[str, int]


@dataclass(frozen=True, slots=True)
class PriceChange:
    booking_number: str
    currency: str
    old_price_minor: int
    new_price_minor: int
    bonus_refund_minor: int
    money_refund_minor: int  # to give back in money through the refund flow
    returned: list[tuple[str, str, int]]  # (account name, bonus type, amount)


@dataclass(frozen=True, slots=True)
class BalanceLine:
    account_id: int
    kind: str
    name: str
    bonus_type: str
    currency: str
    active_minor: int
    expected_minor: int


# --- accounts and balances ---------------------------------------------------------


def _user(s: Session, ctx: DeskContext) -> m.User:
    if ctx.user is None:
        raise PermissionDenied("Войдите в программу: действие требует входа пользователя.")
    u = s.get(m.User, ctx.user.id)
    if u is None:
        raise NotFound(f"Пользователь {ctx.user.login} не найден.")
    return u


def manager_account(s: Session, user: m.User, *, create: bool = True) -> m.BonusAccount | None:
    acc = s.execute(select(m.BonusAccount).where(m.BonusAccount.owner_kind == "manager",
                                                 m.BonusAccount.user_id == user.id)).scalars().first()
    if acc is None and create:
        acc = m.BonusAccount(owner_kind="manager", user_id=user.id, agency_id=user.agency_id,
                             name=user.full_name, tied_to_agency_user=user.role == "manager")
        s.add(acc)
        s.flush()
    return acc


def agency_account(s: Session, agency_id: int, *, create: bool = True) -> m.BonusAccount | None:
    acc = s.execute(select(m.BonusAccount).where(m.BonusAccount.owner_kind == "agency",
                                                 m.BonusAccount.agency_id == agency_id)).scalars().first()
    if acc is None and create:
        agency = s.get(m.Agency, agency_id)
        if agency is None:
            raise NotFound(f"Агентство {agency_id} не найдено.")
        acc = m.BonusAccount(owner_kind="agency", agency_id=agency_id, name=agency.name, tied_to_agency_user=True)
        s.add(acc)
        s.flush()
    return acc


def _balances(s: Session, account_id: int, currency: str) -> dict[BonusType, int]:
    rows = s.execute(select(m.BonusBalance.bonus_type, m.BonusBalance.active_minor).where(
        m.BonusBalance.account_id == account_id, m.BonusBalance.currency == currency)).all()
    return {BonusType(t): int(v) for t, v in rows}


def _credit_balance(s: Session, account_id: int, bonus_type: str, currency: str, amount: int) -> None:
    if amount <= 0:
        return
    moved = s.execute(
        update(m.BonusBalance)
        .where(m.BonusBalance.account_id == account_id, m.BonusBalance.bonus_type == bonus_type,
               m.BonusBalance.currency == currency)
        .values(active_minor=m.BonusBalance.active_minor + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved == 0:
        s.add(m.BonusBalance(account_id=account_id, bonus_type=bonus_type, currency=currency, active_minor=amount))
        s.flush()


def withdraw(s: Session, balance_id: int, amount: int) -> bool:
    """Take ``amount`` from one balance row if it is there; False when it is not (nothing changed).

    One conditional UPDATE: the database checks and subtracts atomically, so
    concurrent write-offs from the same row are serialised by its row lock and
    the loser sees the already-reduced balance.
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    return s.execute(
        update(m.BonusBalance)
        .where(m.BonusBalance.id == balance_id, m.BonusBalance.active_minor >= amount)
        .values(active_minor=m.BonusBalance.active_minor - amount)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def write_off(s: Session, *, account_id: int, bonus_type: str, currency: str, amount: int,
              booking_id: int | None, user_id: int | None, today: date) -> bool:
    """Withdraw and record a ``spend`` transaction; False (nothing written) when the balance is short."""
    balance_id = s.execute(select(m.BonusBalance.id).where(
        m.BonusBalance.account_id == account_id, m.BonusBalance.bonus_type == bonus_type,
        m.BonusBalance.currency == currency)).scalar_one_or_none()
    if balance_id is None or not withdraw(s, balance_id, amount):
        return False
    s.add(m.BonusTransaction(account_id=account_id, bonus_type=bonus_type, kind="spend", amount_minor=amount,
                             currency=currency, state=BonusState.SPENT.value, booking_id=booking_id,
                             created_on=today, closed_on=today, user_id=user_id))
    s.flush()
    return True


def balances(ctx: DeskContext, *, account_id: int | None = None) -> list[BalanceLine]:
    """Active and expected amounts per account, type and currency (all accounts for ``reports``)."""
    require(ctx, "lookup")
    with ctx.db.read() as uow:
        s = uow.session
        stmt = select(m.BonusAccount).order_by(m.BonusAccount.id)
        if account_id is not None:
            stmt = stmt.where(m.BonusAccount.id == account_id)
        out: list[BalanceLine] = []
        for acc in s.execute(stmt).scalars():
            active = {(b.bonus_type, b.currency): b.active_minor for b in s.execute(
                select(m.BonusBalance).where(m.BonusBalance.account_id == acc.id)).scalars()}
            expected = dict(((t, c), int(v)) for t, c, v in s.execute(
                select(m.BonusTransaction.bonus_type, m.BonusTransaction.currency,
                       func.sum(m.BonusTransaction.amount_minor))
                .where(m.BonusTransaction.account_id == acc.id, m.BonusTransaction.state == "expected")
                .group_by(m.BonusTransaction.bonus_type, m.BonusTransaction.currency)).all())
            for key in sorted(set(active) | set(expected)):
                out.append(BalanceLine(acc.id, acc.owner_kind, acc.name, key[0], key[1],
                                       int(active.get(key, 0)), expected.get(key, 0)))
        return out


# --- spending ------------------------------------------------------------------------


def _load_booking(s: Session, number: str, *, lock: bool = False) -> m.Booking:
    if lock:
        # Lock the booking row alone (its joined relations are on the nullable side
        # of outer joins, which FOR UPDATE refuses): two desks spending on the same
        # booking check the 10 % cap one after the other.
        s.execute(select(m.Booking.id).where(m.Booking.number == number)
                  .with_for_update(key_share=True)).first()  # see ledger.lock_payment
    b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one_or_none()
    if b is None:
        raise NotFound(f"Заявка № {number} не найдена.")
    if lock:
        s.refresh(b)
    return b


def _spend_accounts(s: Session, user: m.User) -> list[m.BonusAccount]:
    accounts: list[m.BonusAccount] = []
    own = manager_account(s, user, create=False)
    if own is not None:
        accounts.append(own)
    if user.agency_id is not None:
        ag = agency_account(s, user.agency_id, create=False)
        if ag is not None:
            accounts.append(ag)
    return accounts


def _rate_reason(currency: str, today: date, s: Session) -> tuple[Decimal | None, str | None]:
    rate = rate_on(s, currency, today)
    if rate is not None:
        return rate, None
    _, last = latest_rate(s, currency, today)
    reason = f"нет курса {currency} на {format_date_ru(today)}"
    if last is not None:
        reason += f" (последний — на {format_date_ru(last)})"
    return None, reason + ": списание записывается в журнал и в рублях по курсу дня"


def spend_info(ctx: DeskContext, booking_number: str, today: date) -> SpendInfo:
    """What the spending dialog shows: balances and the maximum per type for each of the manager's accounts."""
    require(ctx, "spend_bonus")
    with ctx.db.read() as uow:
        s = uow.session
        user = _user(s, ctx)
        b = _load_booking(s, booking_number)
        facts = booking_facts(s, b, today)
        spent = facts.bonus_spent_minor
        rate, rate_reason = _rate_reason(b.currency, today, s)
        accounts: list[SpendAccount] = []
        reasons: list[str] = []
        limits = spend_limits(facts, {}, today)
        # Open card orders hold part of what is due: bonuses may cover only the rest.
        reserved, orders = card_reserved(s, b.id)
        room = max(b.price_minor - b.paid_minor - reserved, 0)
        for acc in _spend_accounts(s, user):
            bal = _balances(s, acc.id, b.currency)
            lim = spend_limits(facts, bal, today)
            accounts.append(SpendAccount(acc.id, acc.owner_kind, acc.name,
                                         {str(t): bal.get(t, 0) for t in BonusType},
                                         {str(t): min(int(v), room) for t, v in lim.max_by_type.items()}))
        reasons.extend(limits.reasons)
        if reserved and room == 0 and not reasons:
            reasons.append(_held_text(b, reserved, orders, room))
        if rate_reason and not reasons:
            reasons.append(rate_reason)
        if not accounts:
            reasons.append("у вас нет бонусного счёта (ни личного, ни агентства)")
        return SpendInfo(
            booking_number=b.number, currency=b.currency, price_minor=b.price_minor, paid_minor=b.paid_minor,
            paid_share=str(paid_share_percent(facts)), due_minor=room,
            cap_minor=limits.cap_minor,
            cap_left_minor=min(limits.cap_left_minor, room) if not limits.reasons else 0,
            spent_minor=spent, departure_on=b.departure_on, reasons=reasons, accounts=accounts, rate=rate,
        )


def _requested(requested: Mapping[BonusType | str, int]) -> dict[BonusType, int]:
    out: dict[BonusType, int] = {}
    for key, value in requested.items():
        try:
            t = BonusType(key)
        except ValueError as exc:
            raise ValidationError("Тип бонуса", f"«{key}» — нет такого типа (plus, select, agent)") from exc
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("amounts are int minor units")
        if value < 0:
            raise ValidationError(BONUS_TYPE_LABELS[t], "сумма не может быть отрицательной")
        if value:
            out[t] = out.get(t, 0) + value
    return out


def _held_text(b: m.Booking, reserved: int, orders: list[str], room: int) -> str:
    return (f"{format_money(reserved, b.currency)} по заявке ждут оплаты картой (заказ {', '.join(orders)}): "
            f"бонусами можно списать не больше {format_money(room, b.currency)}")


def spend(ctx: DeskContext, booking_number: str, requested: Mapping[BonusType | str, int], today: date,
          *, account: str | int = "manager", operation_token: str | None = None) -> SpendResult:
    """Write bonuses off the manager's own (``account="manager"``) or agency (``"agency"``) account.

    Everything or nothing: if any type is short, or a rule refuses, no balance,
    transaction or ledger row is written.
    """
    require(ctx, "spend_bonus")
    want = _requested(requested)
    with ctx.db.uow() as uow:
        s = uow.session
        user = _user(s, ctx)
        b = _load_booking(s, booking_number, lock=True)
        accounts = _spend_accounts(s, user)
        chosen = next((a for a in accounts if a.owner_kind == account or a.id == account), None)
        if chosen is None:
            raise PermissionDenied(
                "Списывать можно только со своего бонусного счёта или со счёта своего агентства.")
        facts = booking_facts(s, b, today)
        bal = _balances(s, chosen.id, b.currency)
        check = check_spend(facts, want, bal, facts.bonus_spent_minor, today)
        if not check.ok:
            raise RuleViolation(list(check.reasons))
        # Read under the booking lock, like the cash desk and the card: an open card order's amount is not due.
        reserved, orders = card_reserved(s, b.id)
        room = max(b.price_minor - b.paid_minor - reserved, 0)
        if reserved and sum(want.values()) > room:
            raise RuleViolation(_held_text(b, reserved, orders, room))
        rate, rate_reason = _rate_reason(b.currency, today, s)
        if rate is None:
            raise RuleViolation(rate_reason or "нет курса")
        total = sum(want.values())
        for t, amount in want.items():
            if not write_off(s, account_id=chosen.id, bonus_type=t.value, currency=b.currency, amount=amount,
                             booking_id=b.id, user_id=user.id, today=today):
                # Another desk spent from the same account between our read and write.
                raise RuleViolation(f"{INSUFFICIENT_BONUSES}: {BONUS_TYPE_LABELS[t]} — остаток изменился, "
                                    "откройте окно заново")
        rub = convert_to_rub(total, rate)
        amount = ledger.BookingAmount(rub_minor=rub, target_minor=total, currency=b.currency, rate=rate,
                                      rate_day=today)
        p = ledger.open_payment(s, ctx, ledger.Target(booking_id=b.id), method="bonus", amount_minor=max(rub, 1),
                                payee_id=b.payee_id, booking_amount=amount, operation_token=operation_token)
        ledger.credit(s, ctx, p.id)
        audit.record(s, ctx, "bonus.spend", "booking", b.number,
                     {"balances": {str(k): v for k, v in bal.items()}, "paid_minor": b.paid_minor},
                     {"account_id": chosen.id, "by_type": {str(k): v for k, v in want.items()},
                      "currency": b.currency, "payment": p.number})
        s.refresh(b)
        result = SpendResult(b.number, chosen.id, chosen.name, b.currency, {str(k): v for k, v in want.items()},
                             total, rub, rate, p.number, b.paid_minor)
        uow.commit()
    return result


# --- price change and refunds --------------------------------------------------------


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
    ledger._apply(s, entry, sign=-1, day=now.date())
    audit.record(s, ctx, "payment.refund", "payment", orig.number, None,
                 {"entry": entry.number, "amount_minor": -rub_minor, "target_amount_minor": -target_minor,
                  "reason": entry.reason}, now=now)


def change_price(ctx: DeskContext, booking_number: str, new_price_minor: int, today: date) -> PriceChange:
    """The operator changed the price; on a decrease an overpayment goes back first as bonuses."""
    require(ctx, "correct")
    if not isinstance(new_price_minor, int) or new_price_minor < 0:
        raise ValidationError("Новая стоимость", "нужна сумма не меньше нуля")
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        b = _load_booking(s, booking_number, lock=True)
        old = b.price_minor
        if new_price_minor == old:
            raise ValidationError("Новая стоимость", f"стоимость и так {format_money(old, b.currency)}")
        if b.status == "cancelled":
            raise RuleViolation("заявка аннулирована: стоимость не меняется, списанные бонусы не возвращаются")
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
        _refund_entry(s, ctx, p, piece, rub, "стоимость заявки уменьшилась: бонусы возвращены на счёт", now)
        left -= piece
    audit.record(s, ctx, "bonus.refund", "booking", b.number, None,
                 {"returned": [[n, t, a] for n, t, a in returned]}, now=now)
    return returned


# --- accrual ---------------------------------------------------------------------------


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


# --- burning ---------------------------------------------------------------------------


def parse_month(text: str, field: str = "--month") -> date:
    try:
        year, month = (int(x) for x in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise ValidationError(field, f"«{text}» — не месяц; нужен формат ГГГГ-ММ") from exc


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
        raise RuleViolation(f"месяц {start:%m.%Y} ещё не закончился: сгорание считается после его окончания")
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
                    raise RuleViolation("остаток бонусов изменился во время сгорания; запустите ещё раз")
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

