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
from cashier_app.domain.fiscal_receipt import check_contact
from cashier_app.domain.money import check_amount, format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import fiscal_shifts, journal, ledger
from cashier_app.services.context import DeskContext
from cashier_app.services.fiscal_delivery import deliver_after_commit
from cashier_app.services.fiscal_views import ReceiptView
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
    fiscal: ReceiptView | None = None  # the payment's receipt as it stands after delivery (None: no register)


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
        check_amount(amount_minor, N_("Сумма"))
    with ctx.db.read() as uow:
        s = uow.session
        if booking is not None:
            b = s.execute(select(m.Booking).where(m.Booking.number == booking)).scalar_one_or_none()
            if b is None:
                raise NotFound(tr("Заявка № {number} не найдена.", number=booking))
            ba = _booking_amount(s, ctx, b, amount_minor)
            return CashQuote(ba.rub_minor, ba.target_minor, ba.currency, ba.rate, ba.rate_day.isoformat())
        if amount_minor is None:
            raise ValidationError(N_("Сумма"), tr("введите сумму"))
        return CashQuote(amount_minor)


def _existing(s: Session, token: str) -> m.Payment | None:
    return s.execute(select(m.Payment).where(m.Payment.operation_token == token)).scalar_one_or_none()


def _result(p: m.Payment, repeated: bool, slip: IssuedDocument | None,
            fiscal: ReceiptView | None = None) -> CashPaymentResult:
    received = p.cash_received_minor
    return CashPaymentResult(
        p.id, p.number, p.amount_minor, received, None if received is None else received - p.amount_minor,
        p.target_amount_minor, p.target_currency, repeated, slip, fiscal,
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
    contact: str | None = None,
    paperless: bool = False,
) -> CashPaymentResult:
    """Take cash for an account (``amount_minor`` in kopecks) or a booking (in the tour currency).

    ``contact``: the customer's phone or e-mail for the e-receipt (tag 1008); ``paperless``: the
    register does not print it.  The fiscal receipt is queued with the payment (one transaction)
    and sent after the commit, before the slip, so the slip can carry its fiscal data.
    """
    require(ctx, "take_payment")
    contact = check_contact(contact) if contact and contact.strip() else None
    if paperless and contact is None:
        raise ValidationError(N_("Телефон или e-mail покупателя"), tr("чек без печати отправляется покупателю — "
                                                                      "укажите телефон или e-mail"))
    if not token or len(token) > 64:
        raise ValidationError(N_("Операция"), tr("нет идентификатора операции; откройте форму оплаты заново"))
    if (account is None) == (booking is None):
        raise ValidationError(N_("Получатель"), tr("укажите лицевой счёт или заявку"))
    check_amount(amount_minor, N_("Сумма"))
    if received_minor is not None:
        check_amount(received_minor, N_("Получено"))
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
                # A register shift past 24 h takes no sale: the cashier closes it first (54-FZ).
                fiscal_shifts.check_can_sell(s, ctx, payee_id, now=now)
                booking_amount = None
                rub = amount_minor
                if target.booking_id is not None:
                    b = s.get(m.Booking, target.booking_id)
                    assert b is not None
                    booking_amount = _booking_amount(s, ctx, b, amount_minor, lock=True)
                    rub = booking_amount.rub_minor
                limit = s.execute(select(m.User.cash_limit_minor).where(m.User.id == ctx.user.id)).scalar()
                if limit is not None and rub > limit:
                    raise ValidationError(N_("Сумма"), tr("больше вашего лимита на один платёж наличными ({limit})",
                                                          limit=format_money(limit)))
                if received_minor is not None and received_minor < rub:
                    raise ValidationError(N_("Получено"), tr("меньше суммы платежа {amount}",
                                                             amount=format_money(rub)))
                p = ledger.open_payment(
                    s, ctx, target, method="cash", amount_minor=rub, payee_id=payee_id,
                    booking_amount=booking_amount, status="pending", shift_id=shift.id,
                    operation_token=token, cash_received_minor=received_minor, now=now,
                )
                p.receipt_contact, p.receipt_paperless = contact, paperless  # frozen into the receipt by credit
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
    fiscal = deliver_after_commit(ctx, pid)  # never raises: the money is in; the receipt's state tells the rest
    slip = issue_slip(ctx, pid, paper=paper, now=now)
    with ctx.db.read() as uow:
        p = uow.session.get(m.Payment, pid)
        assert p is not None
        return _result(p, repeated, slip, fiscal)


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
    params: dict[str, Any] = {
        "document_number": number, "payment_number": p.number, "issued_at": local_text(p.created_at),
        "printed_at": local_text(now), "payee_name": payee.name if payee else "", "payee_inn": payee.inn if payee else "",
        "account": account, "booking": booking, "payer": payer, "amount_minor": p.amount_minor,
        "target_amount_minor": p.target_amount_minor, "target_currency": p.target_currency,
        "rate": None if p.rate is None else str(p.rate), "rate_day": None if p.rate_day is None else p.rate_day.strftime("%d.%m.%Y"),
        "received_minor": received, "change_minor": None if received is None else received - p.amount_minor,
        "cashier": user.full_name if user else "", "desk": p.desk, "shift_number": shift.number if shift else None,
        "paper": paper,
    }
    # The fiscal receipt's data as it stands now (issue 13); no row (a payee «без ККТ»): no fiscal part.
    r = s.execute(select(m.FiscalReceipt).where(m.FiscalReceipt.payment_id == p.id,
                                                m.FiscalReceipt.operation == "sell")).scalar_one_or_none()
    if r is not None:
        fiscal: dict[str, Any] = {"state": r.state, "contact": r.contact, "electronically": bool(r.electronically)}
        if r.state == "done" and r.fiscal_at is not None and r.fd_number is not None:
            from cashier_app.services.fiscal_views import register_clock, view

            total = r.fiscal_total_minor if r.fiscal_total_minor is not None else r.amount_minor
            fiscal.update({
                "fd_number": r.fd_number, "fiscal_sign": r.fiscal_sign, "fn_number": r.fn_number,
                "registration_number": r.registration_number, "shift_number": r.shift_number,
                "receipt_number": r.receipt_number, "fiscal_at": register_clock(r).strftime("%d.%m.%Y %H:%M"), "fns_url": r.fns_url,
                "total_minor": total,
                # The FNS check code as the journal and the CLI show it (the register's clock, to the minute).
                "qr": view(s, r).qr,
            })
        elif r.state == "failed":
            fiscal["error"] = r.last_error
        params["fiscal"] = fiscal
    return params


def _fiscal_now_done(s: Session, doc: m.Document) -> bool:
    """The slip said «чек формируется» and the payment's sale receipt has been made since."""
    was = (doc.params or {}).get("fiscal") or {}
    if was.get("state") not in ("pending", "sent"):
        return False
    state = s.execute(select(m.FiscalReceipt.state).where(m.FiscalReceipt.payment_id == doc.payment_id,
                                                          m.FiscalReceipt.operation == "sell")).scalar()
    return state == "done"


def issue_slip(ctx: DeskContext, payment_id: int, *, paper: str = "a4", now: datetime | None = None) -> IssuedDocument:
    """The payment's slip: made once and journaled; asking again returns the same document.

    Except once: a slip printed while the fiscal receipt was still forming is followed, when the
    receipt is done, by a new slip carrying its fiscal data and QR (the first stays in the journal).
    """
    require(ctx, "print")
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        doc = s.execute(select(m.Document).where(m.Document.payment_id == payment_id, m.Document.kind == "slip")
                        .order_by(m.Document.id.desc()).limit(1)).scalar_one_or_none()
        if doc is not None and _fiscal_now_done(s, doc):
            ledger.lock_payment(s, payment_id)  # two reprints at once make one new slip
            doc = s.execute(select(m.Document).where(m.Document.payment_id == payment_id, m.Document.kind == "slip")
                            .order_by(m.Document.id.desc()).limit(1)).scalar_one()
            if _fiscal_now_done(s, doc):
                doc = None
        if doc is not None:
            # A slip issued before issue 12 printed its rate with a point: reprinted as it was issued.
            pdf, _digest = journal.render_as_issued("slip", dict(doc.params), doc.pdf_sha256)
            return IssuedDocument(doc.id, doc.number, doc.kind, pdf, doc.pdf_sha256, None, doc.issued_at, None)
        p = s.get(m.Payment, payment_id)
        if p is None:
            raise NotFound(tr("Платёж {number} не найден.", number=payment_id))
        number = journal.reserve_number(s)
        params = _slip_params(s, p, number, now, paper)
        pdf = journal.renderer("slip")(params)
        issued = journal.record(s, ctx, number=number, kind="slip", params=params, pdf=pdf,
                                amount_minor=p.amount_minor, account_id=p.account_id, booking_id=p.booking_id,
                                payment_id=p.id, shift_id=p.shift_id, payee_id=p.payee_id, now=now)
        uow.commit()
        return issued
