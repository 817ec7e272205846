"""Turning a tour-currency amount into what the ledger credits: rubles at the day's rate, fee, total.

The cash desk and the card flow call :func:`quote` before they open a payment;
it answers with the same availability and reasons as the booking card
(``booking_rules.payment_options``), so nothing the card greys out can be paid
through a side door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.booking_rules import AmountMode, payment_options, rub_quote
from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.money import check_amount, format_money
from cashier_app.domain.tours import PAYMENT_METHOD_LABELS, PaymentMethod
from cashier_app.i18n import N_, tr
from cashier_app.services.context import DeskContext
from cashier_app.services.ledger import BookingAmount, lock_booking
from cashier_app.services.permissions import require
from cashier_app.services.travel_facts import booking_facts, latest_rate
from cashier_app.storage import models as m

AMOUNT_FIELD = N_("Сумма в валюте тура")
# Card order states that may still be credited (``card_payments.ACTIVE_STATES`` and ``manual``).
OPEN_CARD_STATES = ("new", "registered", "pending", "manual")


@dataclass(frozen=True, slots=True)
class Quote:
    booking_number: str
    booking_id: int
    payee_id: int
    method: str
    currency: str
    amount_minor: int  # tour currency, credited to the booking
    rub_minor: int  # kopecks for the amount itself
    fee_percent: Decimal
    fee_rub_minor: int
    total_rub_minor: int  # what the payer hands over
    rate: Decimal
    rate_day: date
    valid_until: date | None
    note: str | None

    @property
    def booking_amount(self) -> BookingAmount:
        """The ledger's view: rubles taken (without the fee, which is not the booking's money)."""
        return BookingAmount(rub_minor=self.rub_minor, target_minor=self.amount_minor, currency=self.currency,
                             rate=self.rate, rate_day=self.rate_day)


def card_reserved(s: Session, booking_id: int) -> tuple[int, list[str]]:
    """Tour-currency amount held by this booking's open card orders, and their order numbers.

    An order that is not final (``new`` — the bank may be registering it —
    ``registered``/``pending`` — the customer may pay at any moment — or
    ``manual`` — paid, awaiting the statement) may still be credited, so what it
    asks for is not due any more: cash, bonuses and a second card order must
    leave it alone until the order is paid, cancelled or expires.
    """
    rows = s.execute(
        select(m.GatewayOrder.order_number, m.Payment.target_amount_minor)
        .join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
        .where(m.Payment.booking_id == booking_id, m.Payment.credited.is_(False),
               m.GatewayOrder.state.in_(OPEN_CARD_STATES))
        .order_by(m.GatewayOrder.id)
    ).all()
    return sum(int(amount or 0) for _, amount in rows), [number for number, _ in rows]


def quote(ctx: DeskContext, booking_number: str, method: str, amount_minor: int | None,
          today: date | None = None) -> Quote:
    """What paying ``booking_number`` by ``method`` comes to (default day: the office's); needs ``lookup``."""
    require(ctx, "lookup")
    day = today or ctx.today()
    with ctx.db.read() as uow:
        return quote_in(uow.session, booking_number, method, amount_minor, day)


def quote_in(s: Session, booking_number: str, method: str, amount_minor: int | None, today: date,
             *, lock: bool = False) -> Quote:
    """Same as :func:`quote` inside a caller's unit of work (so the check and the payment agree).

    ``lock=True`` (a payment about to be written) locks the booking row until the
    caller commits, so what is due — paid so far and held by open card orders — is
    read by one desk at a time.
    """
    if amount_minor is not None:  # the typed amount first, before any rule about the booking
        check_amount(amount_minor, AMOUNT_FIELD)
    try:
        pm = PaymentMethod(method)
    except ValueError as exc:
        raise ValidationError(N_("Способ оплаты"), tr("«{method}» — неизвестный способ оплаты",
                                                      method=method)) from exc
    if pm is PaymentMethod.BONUSES:
        raise RuleViolation(tr("бонусы списываются в окне «Бонусы (F8)»: они не пересчитываются в рубли"))
    if lock:
        booking_id = s.execute(select(m.Booking.id).where(m.Booking.number == booking_number)).scalar()
        if booking_id is not None:
            lock_booking(s, booking_id)
    b = s.execute(select(m.Booking).where(m.Booking.number == booking_number)
                  .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if b is None:
        raise NotFound(tr("Заявка № {number} не найдена.", number=booking_number))
    facts = booking_facts(s, b, today)
    rate, rate_day = latest_rate(s, b.currency, today)
    reserved, orders = card_reserved(s, b.id)
    options = payment_options(facts, today, rate, rate_day, reserved_minor=reserved, reserved_orders=orders)
    option = next(o for o in options if o.method is pm)
    label = tr(PAYMENT_METHOD_LABELS[pm])
    if not option.available:
        raise RuleViolation(f"{label}: {option.reason}")
    cur = b.currency
    if amount_minor is None:
        amount = option.max_minor
    else:
        amount = amount_minor  # checked on the way in
        if option.amount_mode is AmountMode.FULL_ONLY and amount != option.max_minor:
            raise ValidationError(AMOUNT_FIELD, tr("{label} — только полная оплата: {amount}", label=label,
                                                       amount=format_money(option.max_minor, cur)))
        if amount > option.max_minor:
            raise ValidationError(AMOUNT_FIELD, tr("не больше {amount}", amount=format_money(option.max_minor, cur))
                                  + (f" ({option.note})" if option.note else ""))
        if amount < option.min_minor:
            raise ValidationError(AMOUNT_FIELD, tr("не меньше {amount}", amount=format_money(option.min_minor, cur)))
    # payment_options has checked the rate is today's; RUB tours convert at 1.
    day_rate = Decimal(1) if cur == "RUB" else rate
    assert day_rate is not None
    rub, fee, total = rub_quote(amount, day_rate, option.fee_percent)
    if rub <= 0:
        raise ValidationError(AMOUNT_FIELD, tr("сумма в рублях меньше копейки"))
    return Quote(booking_number=b.number, booking_id=b.id, payee_id=b.payee_id, method=str(pm), currency=cur,
                 amount_minor=amount, rub_minor=rub, fee_percent=option.fee_percent, fee_rub_minor=fee,
                 total_rub_minor=total, rate=day_rate, rate_day=today, valid_until=option.valid_until,
                 note=option.note)
