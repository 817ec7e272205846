"""Bonus accounts and their balances: finding and opening accounts, crediting, withdrawing.

Withdrawing is one conditional UPDATE (``active_minor = active_minor - x WHERE active_minor >= x``):
the database checks and subtracts atomically, so concurrent write-offs never go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cashier_app.domain.bonus_rules import (
    BonusState,
    BonusType,
)
from cashier_app.domain.errors import NotFound, PermissionDenied
from cashier_app.i18n import N_, tr
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

ACCOUNT_KINDS = ("manager", "agency")
ACCOUNT_KIND_LABELS = {"manager": N_("Личный счёт менеджера"), "agency": N_("Счёт агентства")}


@dataclass(frozen=True, slots=True)
class BalanceLine:
    account_id: int
    kind: str
    name: str
    bonus_type: str
    currency: str
    active_minor: int
    expected_minor: int


def _user(s: Session, ctx: DeskContext) -> m.User:
    if ctx.user is None:
        raise PermissionDenied(tr("Войдите в программу: действие требует входа пользователя."))
    u = s.get(m.User, ctx.user.id)
    if u is None:
        raise NotFound(tr("Пользователь {login} не найден.", login=ctx.user.login))
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
            raise NotFound(tr("Агентство {id} не найдено.", id=agency_id))
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


def _load_booking(s: Session, number: str, *, lock: bool = False) -> m.Booking:
    if lock:
        # Lock the booking row alone (its joined relations are on the nullable side
        # of outer joins, which FOR UPDATE refuses): two desks spending on the same
        # booking check the 10 % cap one after the other.
        s.execute(select(m.Booking.id).where(m.Booking.number == number)
                  .with_for_update(key_share=True)).first()  # see ledger.lock_payment
    b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one_or_none()
    if b is None:
        raise NotFound(tr("Заявка № {number} не найдена.", number=number))
    if lock:
        s.refresh(b)
    return b
