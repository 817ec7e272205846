"""The payments ledger: every way money reaches an account or a booking goes through here.

A payment row is written first (``open_payment``), then credited exactly once
(``credit``): a conditional update flips ``credited`` from false to true, and
only the transaction that flipped it changes the balance.  Corrections never
delete or edit an entry; ``add_reversal`` writes a negative entry that points
at the original.  Balances therefore always equal the sum of credited entries
(minus charges for accounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cashier_app.domain.errors import NotFound, RuleViolation
from cashier_app.domain.money import check_amount, format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import audit, fiscal_outbox, office_time
from cashier_app.services.billing import outbox as billing_outbox
from cashier_app.services.context import DeskContext
from cashier_app.services.numbering import next_number
from cashier_app.storage import models as m

if TYPE_CHECKING:
    from cashier_app.services.journal import IssuedDocument


@dataclass(frozen=True, slots=True)
class CorrectionResult:
    """A cancel or a refund, cash or card: here (not in ``corrections``) so card refunds need not import it."""

    original_number: str
    entry_number: str
    amount_minor: int  # positive: what went back
    application: IssuedDocument | None


@dataclass(frozen=True, slots=True)
class Target:
    """What a payment is for: an account (by id) or a booking (by id)."""

    account_id: int | None = None
    booking_id: int | None = None

    def __post_init__(self) -> None:
        if (self.account_id is None) == (self.booking_id is None):
            raise ValueError("a payment targets exactly one account or booking")


@dataclass(frozen=True, slots=True)
class BookingAmount:
    """A booking payment: rubles taken, tour-currency amount credited, the rate used."""

    rub_minor: int
    target_minor: int
    currency: str
    rate: Decimal
    rate_day: date


def lock_payment(s: Session, payment_id: int) -> m.Payment | None:
    """The payment row, locked until commit and re-read.

    Every correction of a payment locks it first, so two desks refunding or
    cancelling the same payment compute what is left one after the other; on
    PostgreSQL the second sees the first's entry once the lock is released.

    Row locks here are ``FOR NO KEY UPDATE`` (``key_share=True``): they exclude
    every other writer of the row but not the foreign-key checks of new rows
    that point at it (a slip journaled against a shift, an entry against a
    payment), which would otherwise wait for the lock holder and deadlock with it.
    """
    return s.execute(
        select(m.Payment).where(m.Payment.id == payment_id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def lock_booking(s: Session, booking_id: int) -> m.Booking | None:
    """The booking row, locked until commit: every check of what is due is made under this lock.

    Only the id is selected for update (the mapped booking joins its agency and
    manager on the nullable side of outer joins, which PostgreSQL refuses to lock).
    """
    locked = s.execute(select(m.Booking.id).where(m.Booking.id == booking_id).with_for_update(key_share=True))
    if locked.first() is None:
        return None
    return s.get(m.Booking, booking_id, populate_existing=True)


def find_target(s: Session, *, account: str | None = None, booking: str | None = None) -> tuple[Target, int]:
    """Resolve an account or booking number to a target and its payee id."""
    if account is not None:
        row = s.execute(
            select(m.Account.id, m.Contract.payee_id).join(m.Contract).where(m.Account.number == account)
        ).first()
        if row is None:
            raise NotFound(tr("Лицевой счёт «{number}» не найден (номер вводится точно, с нулями впереди).",
                              number=account))
        return Target(account_id=row[0]), row[1]
    if booking is not None:
        row = s.execute(select(m.Booking.id, m.Booking.payee_id).where(m.Booking.number == booking)).first()
        if row is None:
            raise NotFound(tr("Заявка № {number} не найдена.", number=booking))
        return Target(booking_id=row[0]), row[1]
    raise ValueError("account or booking is required")


def require_account_open(s: Session, *, account_id: int | None = None, number: str | None = None) -> None:
    """Refuse new money for an account a full export from the billing closed (issue 14); its history stays.

    Asked by ``open_payment`` before the write and by ``counter_state`` for the F-keys: one text.
    """
    where = m.Account.id == account_id if account_id is not None else m.Account.number == number
    row = s.execute(select(m.Account.number, m.Account.closed_on).where(where)).first()
    if row is not None and row.closed_on is not None:
        raise RuleViolation(tr("лицевой счёт {number} закрыт {day} — платежи на него не принимаются",
                               number=row.number, day=f"{row.closed_on:%d.%m.%Y}"))


def open_payment(
    s: Session,
    ctx: DeskContext,
    target: Target,
    *,
    method: str,
    amount_minor: int,
    payee_id: int | None = None,
    booking_amount: BookingAmount | None = None,
    status: str = "pending",
    shift_id: int | None = None,
    operation_token: str | None = None,
    gateway_order_number: str | None = None,
    cash_received_minor: int | None = None,
    now: datetime | None = None,
) -> m.Payment:
    """Write a ledger row (not yet credited) with a fresh number unique across desks."""
    check_amount(amount_minor, N_("Сумма"))  # every way in passes here: the last line of defence
    if target.booking_id is not None and booking_amount is None:
        raise ValueError("a booking payment needs its tour-currency amount and rate")
    if target.account_id is not None:
        require_account_open(s, account_id=target.account_id)
    p = m.Payment(
        number=next_number(s, "payment"),
        entry_kind="payment",
        method=method,
        status=status,
        amount_minor=amount_minor,
        currency="RUB",
        target_amount_minor=booking_amount.target_minor if booking_amount else None,
        target_currency=booking_amount.currency if booking_amount else None,
        rate=booking_amount.rate if booking_amount else None,
        rate_day=booking_amount.rate_day if booking_amount else None,
        account_id=target.account_id,
        booking_id=target.booking_id,
        payee_id=payee_id,
        desk=ctx.desk,
        user_id=ctx.user.id if ctx.user else None,
        shift_id=shift_id,
        created_at=now or datetime.now(UTC),
        operation_token=operation_token,
        gateway_order_number=gateway_order_number,
        cash_received_minor=cash_received_minor,
        credited=False,
    )
    s.add(p)
    s.flush()
    return p


def credit(s: Session, ctx: DeskContext, payment_id: int, *, now: datetime | None = None,
           transaction_ref: str | None = None, card_mask: str | None = None) -> bool:
    """Apply a payment to its target exactly once; False if it was already credited.

    Two desks (or a crashed desk and ``reconcile``) may both try: the
    conditional update lets exactly one of them through.
    """
    now = now or datetime.now(UTC)
    values: dict[str, object] = {"credited": True, "status": "paid", "settled_at": now}
    if transaction_ref:
        values["transaction_ref"] = transaction_ref
    if card_mask:
        values["card_mask"] = card_mask
    flipped = s.execute(
        update(m.Payment)
        .where(m.Payment.id == payment_id, m.Payment.credited.is_(False))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped != 1:
        return False
    p = s.get(m.Payment, payment_id, populate_existing=True)
    assert p is not None
    _apply(s, p, sign=1, day=office_time.day_of(s, now))  # the office's day, not UTC's
    fiscal_outbox.enqueue_for_payment(s, ctx, p)  # the receipt commits with the money or not at all
    billing_outbox.enqueue_for_payment(s, ctx, p)  # so does its delivery to the payee's billing
    audit.record(s, ctx, "payment.credit", "payment", p.number, None,
                 {"amount_minor": p.amount_minor, "method": p.method, "account_id": p.account_id,
                  "booking_id": p.booking_id, "target_amount_minor": p.target_amount_minor},
                 now=now)
    return True


def _apply(s: Session, p: m.Payment, *, sign: int, day: date) -> None:
    """Move the target's balance by a credited entry (sign −1 for reversals of a positive entry)."""
    if p.account_id is not None:
        s.execute(
            update(m.Account)
            .where(m.Account.id == p.account_id)
            .values(balance_minor=m.Account.balance_minor + sign * abs(p.amount_minor))
            .execution_options(synchronize_session=False)
        )
        return
    amount = sign * abs(p.target_amount_minor or 0)
    s.execute(
        update(m.Booking)
        .where(m.Booking.id == p.booking_id)
        .values(paid_minor=m.Booking.paid_minor + amount)
        .execution_options(synchronize_session=False)
    )
    b = s.get(m.Booking, p.booking_id, populate_existing=True)
    assert b is not None
    if sign > 0 and b.first_paid_on is None:
        b.first_paid_on = day
    if b.paid_minor >= b.price_minor and b.fully_paid_on is None:
        b.fully_paid_on = day
    elif b.paid_minor < b.price_minor:
        b.fully_paid_on = None


def mark(s: Session, payment_id: int, status: str, *, reason: str | None = None) -> None:
    """A final state that moves no money (declined, expired, cancelled, held)."""
    values: dict[str, object] = {"status": status}
    if reason:
        values["reason"] = reason[:255]
    s.execute(
        update(m.Payment)
        .where(m.Payment.id == payment_id, m.Payment.credited.is_(False))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def reversed_minor(s: Session, payment_id: int) -> int:
    """How much of a payment was already reversed or refunded (positive kopecks)."""
    total = s.execute(
        select(func.coalesce(func.sum(m.Payment.amount_minor), 0)).where(
            m.Payment.reverses_id == payment_id, m.Payment.credited.is_(True)
        )
    ).scalar_one()
    return -int(total)


def add_reversal(
    s: Session,
    ctx: DeskContext,
    original_id: int,
    *,
    kind: str,
    amount_minor: int | None,
    reason: str,
    method: str | None = None,
    shift_id: int | None = None,
    now: datetime | None = None,
) -> m.Payment:
    """A cancel (``reversal``) or a refund (``refund``): a negative, credited entry; the original stays."""
    if kind not in ("reversal", "refund"):
        raise ValueError(kind)
    if not reason or not reason.strip():
        raise RuleViolation(tr("укажите причину"))
    # Locked: parallel refunds of one payment must see each other's entries (issue 10).
    orig = lock_payment(s, original_id)
    if orig is None:
        raise NotFound(tr("Платёж {id} не найден.", id=original_id))
    if orig.entry_kind != "payment" or not orig.credited:
        raise RuleViolation(tr("платёж {number} не зачислен — отменять или возвращать нечего", number=orig.number))
    left = orig.amount_minor - reversed_minor(s, orig.id)
    amount = left if amount_minor is None else amount_minor
    if amount <= 0:
        raise RuleViolation(tr("по платежу {number} уже всё возвращено", number=orig.number))
    if amount > left:
        raise RuleViolation(tr("вернуть можно не больше {amount} по платежу {number}", amount=format_money(left),
                               number=orig.number))
    now = now or datetime.now(UTC)
    target_minor = None
    if orig.target_amount_minor is not None:
        # The same share of the tour-currency amount; the whole remainder when fully reversed.
        done_target = -int(s.execute(
            select(func.coalesce(func.sum(m.Payment.target_amount_minor), 0)).where(
                m.Payment.reverses_id == orig.id, m.Payment.credited.is_(True))
        ).scalar_one())
        target_left = orig.target_amount_minor - done_target
        target_minor = target_left if amount == left else orig.target_amount_minor * amount // orig.amount_minor
    entry = m.Payment(
        number=next_number(s, "payment"),
        entry_kind=kind,
        method=method or orig.method,
        status="paid",
        amount_minor=-amount,
        currency=orig.currency,
        target_amount_minor=-target_minor if target_minor is not None else None,
        target_currency=orig.target_currency,
        rate=orig.rate,
        rate_day=orig.rate_day,
        account_id=orig.account_id,
        booking_id=orig.booking_id,
        payee_id=orig.payee_id,
        desk=ctx.desk,
        user_id=ctx.user.id if ctx.user else None,
        shift_id=shift_id,
        created_at=now,
        settled_at=now,
        reverses_id=orig.id,
        reason=reason.strip()[:255],
        credited=True,
    )
    s.add(entry)
    s.flush()
    _apply(s, entry, sign=-1, day=office_time.day_of(s, now))
    fiscal_outbox.enqueue_for_reversal(s, ctx, entry)  # the return receipt commits with the refund
    billing_outbox.enqueue_for_reversal(s, ctx, entry)  # and the billing's cancel (or «вручную»)
    if amount == left:
        orig.status = "reversed" if kind == "reversal" else "refunded"
    audit.record(s, ctx, f"payment.{kind}", "payment", orig.number,
                 {"status": "paid", "left_minor": left},
                 {"entry": entry.number, "amount_minor": -amount, "reason": entry.reason}, now=now)
    return entry
