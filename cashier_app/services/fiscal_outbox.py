"""The fiscal outbox: a receipt row written in the same transaction as the money it is for.

``ledger.credit`` calls :func:`enqueue_for_payment` right after its conditional flip and
``ledger.add_reversal`` calls :func:`enqueue_for_reversal` right after the negative entry:
the row commits with the money or not at all, so a crash leaves both or neither.  The row
holds the receipt frozen as it will be sent (``body``: ``fiscal_receipt.to_json``), the
register it goes to and its key — ``<payment>-<op>-<12 hex>`` made here once and never
derived again — which is the ATOL Web Server ``uuid`` and the ATOL Online ``external_id``
on every attempt.  Sending is ``fiscal_delivery``'s, after the commit.

Only cash and card money gets receipts (bonus spending is not a settlement with the
customer's money); a payee with no FiscalSettings row or mode ``none`` gets none; a card
payment of a payee whose bank makes the receipts (``card_by_bank``) gets a row in state
``bank`` so the journal still says where its receipt is.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.services import fiscal_settings
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m

RECEIPT_METHODS = ("cash", "card")
ITEM_NAME_LIMIT = 128  # tag 1030


def new_key(payment_number: str, operation: str) -> str:
    """The receipt's identity at the register: unique (random tail), readable (the payment and operation)."""
    return f"{payment_number}-{operation}-{uuid.uuid4().hex[:12]}"[:64]


def payment_type_for(method: str) -> str:
    return "cash" if method == "cash" else "electronically"


def _settings(s: Session, payee_id: int | None) -> m.FiscalSettings | None:
    if payee_id is None:
        return None
    row = s.get(m.FiscalSettings, payee_id)
    return row if row is not None and row.mode != "none" else None


def _rules(s: Session, payee_id: int) -> Any:
    return fiscal_settings.get_rules(s, payee_id)


def _operator(s: Session, user_id: int | None) -> tuple[str, str | None]:
    """The cashier as printed (1021/1203): the fiscal name when set, else the full name."""
    if user_id is None:
        return "", None
    op = fiscal_settings.operator_for(s, user_id)
    return op.name, op.inn


def _register_url(s: Session, ctx: DeskContext, settings: m.FiscalSettings) -> str | None:
    """Where this receipt goes: a local register may be overridden per desk; the cloud one is the payee's."""
    if settings.mode != "atol_web":
        return settings.url
    return fiscal_settings.register_url_for(s, settings.payee_id) or settings.url


def _item_name(s: Session, rules: Any, p: m.Payment) -> str:
    """The position's name: the payee's template with what the money is for."""
    if p.account_id is not None:
        number = s.execute(select(m.Account.number).where(m.Account.id == p.account_id)).scalar_one()
        # Printed on the receipt (sent to the register): the document's language, not the UI's.
        target, default = f"л/с {number}", "Оплата услуг"  # i18n: data
    else:
        number = s.execute(select(m.Booking.number).where(m.Booking.id == p.booking_id)).scalar_one()
        target, default = f"заявка № {number}", "Оплата туристского продукта"  # i18n: data
    base = (getattr(rules, "item_name", None) or default).strip()
    if "{" in base:
        try:
            return base.format(account=number, booking=number, target=target)[:ITEM_NAME_LIMIT]
        except (KeyError, IndexError, ValueError):
            pass  # a template with an unknown field is printed as it is, with the target after it
    return f"{base}, {target}"[:ITEM_NAME_LIMIT]


def build_body(s: Session, entry: m.Payment, *, operation: str, money: m.Payment, contact: str | None,
               electronically: bool, payee_id: int, correction: fr.Correction | None = None) -> dict[str, Any]:
    """The receipt as it will be sent, frozen: the payee's rules, the cashier, the customer's contact."""
    rules = _rules(s, payee_id)
    if rules is None:
        raise ValidationError(N_("ККТ"), tr("у получателя платежа не настроена ККТ"))
    operator_name, operator_inn = _operator(s, entry.user_id)
    receipt = fr.build_receipt(
        rules, operation=operation, amount_minor=abs(entry.amount_minor),
        payment_type=payment_type_for(entry.method), item_name=_item_name(s, rules, money),
        operator_name=operator_name, operator_inn=operator_inn, contact=contact,
        electronically=electronically, correction=correction)
    return fr.to_json(receipt)


def rebuild(s: Session, row: m.FiscalReceipt) -> None:
    """A row whose receipt could not be built (never sent: ``body`` empty) is built again, now pending.

    Raises ``ValidationError`` if it still cannot be; the caller keeps it failed.
    """
    entry = s.get(m.Payment, row.payment_id)
    assert entry is not None
    money = s.get(m.Payment, entry.reverses_id) if entry.reverses_id else entry
    assert money is not None and row.payee_id is not None
    correction = None
    if row.operation == "sell_correction":
        correction = fr.Correction(type="self", base_date=row.created_at.strftime("%d.%m.%Y"), base_number="",
                                   description="коррекция")  # i18n: data
    row.body = build_body(s, entry, operation=row.operation, money=money, contact=row.contact,
                          electronically=row.electronically, payee_id=row.payee_id, correction=correction)
    row.state, row.last_error, row.updated_at = "pending", None, datetime.now(UTC)


def _enqueue(s: Session, ctx: DeskContext, entry: m.Payment, *, operation: str, money: m.Payment,
             contact: str | None, electronically: bool, settings: m.FiscalSettings,
             corrects_id: int | None = None, correction: fr.Correction | None = None,
             channel: str | None = None, register_url: str | None = None) -> m.FiscalReceipt:
    """One outbox row for ``entry`` (the payment, or the refund entry); ``money`` is the original payment."""
    by_bank = entry.method == "card" and bool(settings.card_by_bank)
    channel = channel or ("bank" if by_bank else settings.mode)
    state, error = ("bank" if channel == "bank" else "pending"), None
    try:
        body = build_body(s, entry, operation=operation, money=money, contact=contact, electronically=electronically,
                          payee_id=settings.payee_id, correction=correction)
    except ValidationError as exc:
        # Never refuse the money for its receipt (a card payment is already taken at the bank): the row
        # says what is wrong, nothing was sent anywhere, and ``retry`` builds it again once it is fixed.
        body, state, error = {}, "failed", f"чек не сформирован: {exc}"[:255]  # i18n: data
    now = datetime.now(UTC)
    row = m.FiscalReceipt(
        key=new_key(entry.number, operation), payment_id=entry.id, operation=operation,
        corrects_id=corrects_id, channel=channel, state=state, last_error=error,
        payee_id=settings.payee_id, desk=ctx.desk, user_id=entry.user_id, amount_minor=abs(entry.amount_minor),
        contact=contact, electronically=electronically, body=body,
        register_url=None if channel == "bank" else (register_url or _register_url(s, ctx, settings)),
        attempts=0, created_at=now, updated_at=now,
    )
    s.add(row)
    s.flush()
    return row


def enqueue_for_payment(s: Session, ctx: DeskContext, payment: m.Payment) -> m.FiscalReceipt | None:
    """The ``sell`` row of a payment just credited (inside ``ledger.credit``'s transaction)."""
    if payment.method not in RECEIPT_METHODS or payment.entry_kind != "payment":
        return None
    settings = _settings(s, payment.payee_id)
    if settings is None:
        return None
    return _enqueue(s, ctx, payment, operation="sell", money=payment, contact=payment.receipt_contact,
                    electronically=bool(payment.receipt_paperless), settings=settings)


def enqueue_for_reversal(s: Session, ctx: DeskContext, entry: m.Payment) -> m.FiscalReceipt | None:
    """The ``sell_return`` row of a cancel or refund entry (inside ``ledger.add_reversal``'s transaction).

    Only a payment that had a receipt gets a return receipt: returning what was never
    sold on the register would be a receipt without a sale.  It goes the way the sale went
    (bank or register) and to the customer's contact given at the sale.
    """
    if entry.method not in RECEIPT_METHODS or entry.reverses_id is None:
        return None
    sale = s.execute(select(m.FiscalReceipt).where(
        m.FiscalReceipt.payment_id == entry.reverses_id, m.FiscalReceipt.operation == "sell")).scalar_one_or_none()
    if sale is None:
        return None
    settings = _settings(s, entry.payee_id)
    if settings is None:
        return None
    orig = s.get(m.Payment, entry.reverses_id)
    assert orig is not None
    channel = "bank" if sale.channel == "bank" else None
    return _enqueue(s, ctx, entry, operation="sell_return", money=orig, contact=sale.contact,
                    electronically=sale.electronically, settings=settings, channel=channel)


def enqueue_correction(s: Session, ctx: DeskContext, payment: m.Payment, *, reason: str,
                       base_day: str, corrects: m.FiscalReceipt | None) -> m.FiscalReceipt:
    """A ``sell_correction`` for a payment whose sale never reached the register (``fiscal_delivery.correct``)."""
    settings = _settings(s, payment.payee_id)
    if settings is None:
        raise RuleViolation(tr("у получателя платежа не настроена ККТ — чек коррекции пробить негде"))
    correction = fr.Correction(type="self", base_date=base_day, base_number="", description=reason[:255])
    channel = corrects.channel if corrects is not None and corrects.channel != "bank" else settings.mode
    return _enqueue(s, ctx, payment, operation="sell_correction", money=payment,
                    contact=payment.receipt_contact, electronically=bool(payment.receipt_paperless),
                    settings=settings, corrects_id=corrects.id if corrects else None, correction=correction,
                    channel=channel, register_url=corrects.register_url if corrects is not None else None)


__all__ = ["build_body", "enqueue_correction", "enqueue_for_payment", "enqueue_for_reversal", "new_key", "payment_type_for", "rebuild"]
