"""Receipts the bank's own online register makes for a card payment (issue 13, ``card_by_bank``).

When a payee's ``FiscalSettings.card_by_bank`` is on, the card receipt is not made by our register:
the bank's is, from the receipt sent with the order (T-Bank ``Init.Receipt``, Sber
``orderBundle``) and with the refund (T-Bank ``Cancel.Receipt``, Sber ``refund.do``).  The receipt
is built here from the same rules and the same ``build_receipt`` as a register receipt, so the
agent and supplier data are the same; the outbox keeps a ``bank`` row (``fiscal_outbox``).
The buyer's contact and «без печати» are those asked in the payment form (``Payment.receipt_contact``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.services import fiscal_settings
from cashier_app.storage import models as m

# Providers with an online-register service; ChronoPay has none.
BANK_REGISTER_PROVIDERS = ("tbank", "sberbank")


def item_name(s: Session, p: m.Payment, rules: Any) -> str | None:
    """The payee's position name with the account or booking number, when it fits the 128 characters."""
    base = (rules.item_name or "").strip()
    if not base:
        return None
    if p.account_id is not None:
        ref = "л/с " + s.execute(select(m.Account.number).where(m.Account.id == p.account_id)).scalar_one()  # i18n: data
    elif p.booking_id is not None:
        ref = "заявка " + s.execute(select(m.Booking.number).where(m.Booking.id == p.booking_id)).scalar_one()  # i18n: data
    else:
        return base
    named = f"{base}, {ref}"
    return named if len(named) <= fr.NAME_MAX else base


def _rules(s: Session, p: m.Payment, provider: str) -> Any | None:
    if p.payee_id is None or provider not in BANK_REGISTER_PROVIDERS:
        return None
    rules = fiscal_settings.get_rules(s, p.payee_id)
    return rules if rules is not None and rules.card_by_bank else None


def for_order(s: Session, payment_id: int, provider: str) -> fr.Receipt | None:
    """The sell receipt to send with the card order, or None when the bank's register is not used."""
    p = s.get(m.Payment, payment_id)
    if p is None:
        return None
    rules = _rules(s, p, provider)
    if rules is None:
        return None
    operator = fiscal_settings.operator_for(s, p.user_id)
    return fr.build_receipt(rules, operation="sell", amount_minor=p.amount_minor, payment_type="electronically",
                            item_name=item_name(s, p, rules), operator_name=operator.name,
                            operator_inn=operator.inn, contact=p.receipt_contact,
                            electronically=bool(p.receipt_paperless))


def for_refund(s: Session, payment_id: int, provider: str, amount_minor: int,
               user_id: int | None = None) -> fr.Receipt | None:
    """The sell-return receipt for ``amount_minor`` of a card payment, or None (see :func:`for_order`)."""
    p = s.get(m.Payment, payment_id)
    if p is None:
        return None
    rules = _rules(s, p, provider)
    if rules is None:
        return None
    operator = fiscal_settings.operator_for(s, user_id if user_id is not None else p.user_id)
    return fr.build_receipt(rules, operation="sell_return", amount_minor=amount_minor,
                            payment_type="electronically", item_name=item_name(s, p, rules),
                            operator_name=operator.name, operator_inn=operator.inn, contact=p.receipt_contact,
                            electronically=bool(p.receipt_paperless))


__all__ = ["BANK_REGISTER_PROVIDERS", "for_order", "for_refund", "item_name"]
