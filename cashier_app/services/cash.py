"""Cash payments at the counter: ledger first, slip second, never twice.

``take_cash`` commits the payment (``open_payment`` + ``credit``, status paid,
in the cashier's open shift) in one transaction, and only then renders and
journals the slip (``issue_slip``).  If the slip fails, the money is already
on the account and ``issue_slip`` can be run again for the same payment.

Every payment form carries one operation token (a uuid made when the form
opens; ``payments.operation_token`` is unique).  A second submit with the same
token — a double click, a retry after a lost answer, a second thread — returns
the first payment instead of paying again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.domain.money import check_amount, format_money
from cashier_app.services import journal, ledger
from cashier_app.services.context import DeskContext
from cashier_app.services.journal import IssuedDocument
from cashier_app.services.permissions import require
from cashier_app.services.shifts import local_text, require_open_shift
from cashier_app.storage import models as m


@dataclass(frozen=True, slots=True)
class CashQuote:
    """What the form shows before paying: rubles to take (and, for a booking, the rate)."""

    rub_minor: int
    target_minor: int | None = None
    currency: str = "RUB"
    rate: Decimal | None = None
    rate_day: str | None = None
    min_minor: int | None = None
    max_minor: int | None = None


@dataclass(frozen=True, slots=True)
class CashPaymentResult:
    payment_id: int
    payment_number: str
    amount_minor: int
    received_minor: int | None
    change_minor: int | None
    target_amount_minor: int | None
    target_currency: str | None
    repeated: bool  # True when the token had already paid: nothing new was taken
    slip: IssuedDocument | None


def new_token() -> str:
    return uuid.uuid4().hex


def _booking_amount(s: Session, ctx: DeskContext, booking: m.Booking, amount_minor: int | None,
                    *, lock: bool = False) -> ledger.BookingAmount:
    """Rubles at the day's rate for an amount in the tour currency (None = all that is due).

    The rules (method ``cash`` available, amount within the due, the day's
    rate) are ``booking_payments.quote_in``'s, so the card and the cash desk agree.
    """
    from cashier_app.services.booking_payments import quote_in

    return quote_in(s, booking.number, "cash", amount_minor, ctx.today(), lock=lock).booking_amount


def quote(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
          amount_minor: int | None = None) -> CashQuote:
    """Rubles for the form's amount; for a booking the amount is in the tour currency."""
    require(ctx, "take_payment")
    if amount_minor is not None:
        check_amount(amount_minor, "Сумма")
    with ctx.db.read() as uow:
        s = uow.session
        if booking is not None:
            b = s.execute(select(m.Booking).where(m.Booking.number == booking)).scalar_one_or_none()
            if b is None:
                raise NotFound(f"Заявка № {booking} не найдена.")
            ba = _booking_amount(s, ctx, b, amount_minor)
            return CashQuote(ba.rub_minor, ba.target_minor, ba.currency, ba.rate, ba.rate_day.isoformat())
        if amount_minor is None:
            raise ValidationError("Сумма", "введите сумму")
        return CashQuote(amount_minor)


def _existing(s: Session, token: str) -> m.Payment | None:
    return s.execute(select(m.Payment).where(m.Payment.operation_token == token)).scalar_one_or_none()


def _result(p: m.Payment, repeated: bool, slip: IssuedDocument | None) -> CashPaymentResult:
    received = p.cash_received_minor
    return CashPaymentResult(
        p.id, p.number, p.amount_minor, received, None if received is None else received - p.amount_minor,
        p.target_amount_minor, p.target_currency, repeated, slip,
    )


def take_cash(
    ctx: DeskContext,
    *,
    token: str,
    amount_minor: int,
    account: str | None = None,
    booking: str | None = None,
    received_minor: int | None = None,
    paper: str = "a4",
    now: datetime | None = None,
) -> CashPaymentResult:
    """Take cash for an account (``amount_minor`` in kopecks) or a booking (in the tour currency)."""
    require(ctx, "take_payment")
    if not token or len(token) > 64:
        raise ValidationError("Операция", "нет идентификатора операции; откройте форму оплаты заново")
    if (account is None) == (booking is None):
        raise ValidationError("Получатель", "укажите лицевой счёт или заявку")
    check_amount(amount_minor, "Сумма")
    if received_minor is not None:
        check_amount(received_minor, "Получено")
    assert ctx.user is not None
    now = now or datetime.now(UTC)
    try:
        with ctx.db.uow() as uow:
            s = uow.session
            first = _existing(s, token)
            if first is not None:
                pid = first.id
                repeated = True
            else:
                # The shift row is locked first (payments and the close serialise on it), then the
                # booking inside ``quote_in``: what is due is read under the lock, so parallel
                # payments cannot pay one booking several times over.
                shift = require_open_shift(s, ctx, lock=True)
                target, payee_id = ledger.find_target(s, account=account, booking=booking)
                booking_amount = None
                rub = amount_minor
                if target.booking_id is not None:
                    b = s.get(m.Booking, target.booking_id)
                    assert b is not None
                    booking_amount = _booking_amount(s, ctx, b, amount_minor, lock=True)
                    rub = booking_amount.rub_minor
                limit = s.execute(select(m.User.cash_limit_minor).where(m.User.id == ctx.user.id)).scalar()
                if limit is not None and rub > limit:
                    raise ValidationError(
                        "Сумма", f"больше вашего лимита на один платёж наличными ({format_money(limit)})")
                if received_minor is not None and received_minor < rub:
                    raise ValidationError("Получено", f"меньше суммы платежа {format_money(rub)}")
                p = ledger.open_payment(
                    s, ctx, target, method="cash", amount_minor=rub, payee_id=payee_id,
                    booking_amount=booking_amount, status="pending", shift_id=shift.id,
                    operation_token=token, cash_received_minor=received_minor, now=now,
                )
                ledger.credit(s, ctx, p.id, now=now)
                pid = p.id
                repeated = False
            uow.commit()
    except IntegrityError:
        # Another thread or desk committed the same token first: that payment is the answer.
        with ctx.db.read() as uow:
            first = _existing(uow.session, token)
            if first is None:
                raise
            pid, repeated = first.id, True
    slip = issue_slip(ctx, pid, paper=paper, now=now)
    with ctx.db.read() as uow:
        p = uow.session.get(m.Payment, pid)
        assert p is not None
        return _result(p, repeated, slip)


def _slip_params(s: Session, p: m.Payment, number: str, now: datetime, paper: str) -> dict[str, Any]:
    payee = s.get(m.Payee, p.payee_id) if p.payee_id else None
    user = s.get(m.User, p.user_id) if p.user_id else None
    shift = s.get(m.CashShift, p.shift_id) if p.shift_id else None
    account = booking = payer = None
    if p.account_id is not None:
        a = s.get(m.Account, p.account_id)
        assert a is not None
        account, payer = a.number, a.contract.full_name
    else:
        b = s.get(m.Booking, p.booking_id)
        assert b is not None
        booking = b.number
        lead = next((t for t in b.tourists if t.is_lead), b.tourists[0] if b.tourists else None)
        payer = lead.full_name if lead else None
    received = p.cash_received_minor
    return {
        "document_number": number, "payment_number": p.number, "issued_at": local_text(p.created_at),
        "printed_at": local_text(now), "payee_name": payee.name if payee else "", "payee_inn": payee.inn if payee else "",
        "account": account, "booking": booking, "payer": payer, "amount_minor": p.amount_minor,
        "target_amount_minor": p.target_amount_minor, "target_currency": p.target_currency,
        "rate": None if p.rate is None else str(p.rate), "rate_day": None if p.rate_day is None else p.rate_day.strftime("%d.%m.%Y"),
        "received_minor": received, "change_minor": None if received is None else received - p.amount_minor,
        "cashier": user.full_name if user else "", "desk": p.desk, "shift_number": shift.number if shift else None,
        "paper": paper,
    }


def issue_slip(ctx: DeskContext, payment_id: int, *, paper: str = "a4", now: datetime | None = None) -> IssuedDocument:
    """The payment's slip: made once and journaled; asking again returns the same document."""
    require(ctx, "print")
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        doc = s.execute(select(m.Document).where(m.Document.payment_id == payment_id, m.Document.kind == "slip")
                        .order_by(m.Document.id).limit(1)).scalar_one_or_none()
        if doc is not None:
            pdf = journal.renderer("slip")(dict(doc.params))
            return IssuedDocument(doc.id, doc.number, doc.kind, pdf, doc.pdf_sha256, None, doc.issued_at, None)
        p = s.get(m.Payment, payment_id)
        if p is None:
            raise NotFound(f"Платёж {payment_id} не найден.")
        number = journal.reserve_number(s)
        params = _slip_params(s, p, number, now, paper)
        pdf = journal.renderer("slip")(params)
        issued = journal.record(s, ctx, number=number, kind="slip", params=params, pdf=pdf,
                                amount_minor=p.amount_minor, account_id=p.account_id, booking_id=p.booking_id,
                                payment_id=p.id, shift_id=p.shift_id, payee_id=p.payee_id, now=now)
        uow.commit()
        return issued
