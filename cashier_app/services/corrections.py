"""Cancels and refunds: a reversing ledger entry with a reason; the original stays.

* cancel (permission ``correct``): a cash payment taken today in a shift that
  is still open — the drawer is the same, so the cash goes back out of it;
* refund (permission ``refund``): cash goes out of the refunding user's open
  shift and a refund application (заявление на возврат) is printed and
  journaled; a card payment is refunded through the bank (``services/card_refunds``,
  called directly: corrections sits below the card flow, never in a cycle with it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.money import check_amount, format_money
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import journal, ledger, office_time
from cashier_app.services.context import DeskContext
from cashier_app.services.fiscal_delivery import deliver_after_commit
from cashier_app.services.ledger import CorrectionResult
from cashier_app.services.permissions import require
from cashier_app.services.shifts import local_text, lock_shift, require_open_shift, summarize
from cashier_app.storage import models as m

# Printed on the refund application (a document for the customer): kept Russian, like the document.
METHOD_LABELS = {"cash": "наличные", "card": "банковская карта", "bonus": "бонусы"}  # i18n: data


__all__ = ["CorrectionResult", "cancel_payment", "refund_payment"]


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(N_("Причина"), tr("укажите причину"))
    if len(reason) > 255:
        raise ValidationError(N_("Причина"), ntr("не длиннее {n} символа", "не длиннее {n} символов", 255))
    return reason


def _original(s, number: str) -> m.Payment:  # type: ignore[no-untyped-def]
    p = s.execute(select(m.Payment).where(m.Payment.number == number)).scalar_one_or_none()
    if p is None:
        raise NotFound(tr("Платёж № {number} не найден.", number=number))
    if p.entry_kind != "payment":
        raise RuleViolation(tr("{number} — сама запись отмены или возврата; выберите исходный платёж",
                               number=number))
    return p


def cancel_payment(ctx: DeskContext, number: str, reason: str, *, now: datetime | None = None) -> CorrectionResult:
    require(ctx, "correct")
    reason = _reason(reason)
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        p = _original(s, number)
        if p.method != "cash":
            raise RuleViolation(tr("отменить можно только платёж наличными; для карты — возврат через банк"))
        # The drawer's shift is locked before the payment (the order every cash write keeps):
        # a cancel racing the close either lands in the Z report or finds the shift closed.
        shift = lock_shift(s, p.shift_id) if p.shift_id else None
        if shift is None or shift.status != "open":
            raise RuleViolation(tr("отмена возможна только в той же смене, пока она открыта; оформите возврат"))
        if office_time.day_of(s, p.created_at) != office_time.day_of(s, now):  # the office's day
            raise RuleViolation(tr("отмена возможна только в день платежа; оформите возврат"))
        entry = ledger.add_reversal(s, ctx, p.id, kind="reversal", amount_minor=None, reason=reason,
                                    shift_id=shift.id, now=now)
        uow.commit()
        result = CorrectionResult(p.number, entry.number, -entry.amount_minor, None)
        entry_id = entry.id
    deliver_after_commit(ctx, entry_id)  # the return receipt after the commit; never raises
    return result


def refund_payment(ctx: DeskContext, number: str, reason: str, *, amount_minor: int | None = None,
                   customer: str = "", now: datetime | None = None) -> CorrectionResult:
    require(ctx, "refund")
    reason = _reason(reason)
    if amount_minor is not None:  # None: all that is left
        check_amount(amount_minor, N_("Сумма возврата"))
    customer = (customer or "").strip()
    if len(customer) > 160:
        raise ValidationError(N_("Заявитель"), ntr("не длиннее {n} символа", "не длиннее {n} символов", 160))
    now = now or datetime.now(UTC)
    with ctx.db.read() as uow:
        method = _original(uow.session, number).method
    if method == "card":
        # card_refunds, not the card_payments facade: card_payments must not be above corrections and below it.
        from cashier_app.services import card_refunds

        return card_refunds.refund(ctx, number, amount_minor=amount_minor, reason=reason)  # type: ignore[no-any-return]
    if method != "cash":
        raise RuleViolation(tr("возврат платежа способом «{method}» оформляется вне кассы", method=method))
    with ctx.db.uow() as uow:
        s = uow.session
        p = _original(s, number)
        shift = require_open_shift(s, ctx, lock=True)
        # Locked before «what is left» is read: six parallel refunds of one payment give back once.
        p = ledger.lock_payment(s, p.id) or p
        left = p.amount_minor - ledger.reversed_minor(s, p.id)
        amount = left if amount_minor is None else amount_minor
        have = summarize(s, shift).expected_minor
        if 0 < amount <= left and amount > have:
            raise ValidationError(N_("Сумма возврата"), tr("в кассе по учёту только {amount}", amount=format_money(have)))
        entry = ledger.add_reversal(s, ctx, p.id, kind="refund", amount_minor=amount, reason=reason,
                                    shift_id=shift.id, now=now)
        account = booking = None
        if p.account_id is not None:
            a = s.get(m.Account, p.account_id)
            account = a.number if a else None
            customer = customer or (a.contract.full_name if a else "")
        else:
            b = s.get(m.Booking, p.booking_id)
            booking = b.number if b else None
        payee = s.get(m.Payee, p.payee_id) if p.payee_id else None
        number_doc = journal.reserve_number(s)
        user = s.get(m.User, ctx.user.id) if ctx.user else None
        params = {
            "document_number": number_doc, "payee_name": payee.name if payee else "", "customer": customer,
            "account": account, "booking": booking, "payment_number": p.number,
            "payment_date": local_text(p.created_at), "payment_amount_minor": p.amount_minor,
            "payment_method": METHOD_LABELS.get(p.method, p.method), "amount_minor": -entry.amount_minor,
            "refund_method": "наличными из кассы", "reason": reason, "refund_number": entry.number,  # i18n: data
            "issued_at": local_text(now), "cashier": user.full_name if user else "", "desk": ctx.desk,
        }
        pdf = journal.renderer("refund_application")(params)
        doc = journal.record(s, ctx, number=number_doc, kind="refund_application", params=params, pdf=pdf,
                             amount_minor=-entry.amount_minor, account_id=p.account_id, booking_id=p.booking_id,
                             payment_id=entry.id, shift_id=shift.id, payee_id=p.payee_id, now=now)
        uow.commit()
        result = CorrectionResult(p.number, entry.number, -entry.amount_minor, doc)
        entry_id = entry.id
    deliver_after_commit(ctx, entry_id)
    return result
