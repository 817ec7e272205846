"""Spending bonuses on a booking: what the dialog shows (``spend_info``) and the write-off (``spend``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from cashier_app.domain.bonus_rules import (
    BONUS_TYPE_LABELS,
    INSUFFICIENT_BONUSES,
    BonusType,
    check_spend,
    spend_limits,
)
from cashier_app.domain.errors import PermissionDenied, RuleViolation, ValidationError
from cashier_app.domain.money import check_amount, convert_to_rub, format_money
from cashier_app.domain.tours import format_date_ru, paid_share_percent
from cashier_app.i18n import N_, tr
from cashier_app.services import audit, ledger
from cashier_app.services.bonus_accounts import (
    _balances,
    _load_booking,
    _user,
    agency_account,
    manager_account,
    write_off,
)
from cashier_app.services.booking_payments import card_reserved
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.services.rates import rate_on
from cashier_app.services.travel_facts import booking_facts, latest_rate
from cashier_app.storage import models as m


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
    if last is not None:
        return None, tr("нет курса {currency} на {day} (последний — на {last}): списание записывается в журнал "
                        "и в рублях по курсу дня", currency=currency, day=format_date_ru(today),
                        last=format_date_ru(last))
    return None, tr("нет курса {currency} на {day}: списание записывается в журнал и в рублях по курсу дня",
                    currency=currency, day=format_date_ru(today))


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
            reasons.append(tr("у вас нет бонусного счёта (ни личного, ни агентства)"))
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
            raise ValidationError(N_("Тип бонуса"), tr("«{key}» — нет такого типа (plus, select, agent)",
                                                       key=key)) from exc
        check_amount(value, BONUS_TYPE_LABELS[t], allow_zero=True)  # zero: this type is not spent
        if value:
            out[t] = out.get(t, 0) + value
    return out


def _held_text(b: m.Booking, reserved: int, orders: list[str], room: int) -> str:
    return tr("{reserved} по заявке ждут оплаты картой (заказ {orders}): бонусами можно списать не больше {room}",
              reserved=format_money(reserved, b.currency), orders=", ".join(orders),
              room=format_money(room, b.currency))


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
                tr("Списывать можно только со своего бонусного счёта или со счёта своего агентства."))
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
            raise RuleViolation(rate_reason or tr("нет курса"))
        total = sum(want.values())
        for t, amount in want.items():
            if not write_off(s, account_id=chosen.id, bonus_type=t.value, currency=b.currency, amount=amount,
                             booking_id=b.id, user_id=user.id, today=today):
                # Another desk spent from the same account between our read and write.
                raise RuleViolation(tr("{insufficient}: {type} — остаток изменился, откройте окно заново",
                                       insufficient=tr(INSUFFICIENT_BONUSES), type=tr(BONUS_TYPE_LABELS[t])))
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
