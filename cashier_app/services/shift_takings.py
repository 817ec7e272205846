"""What a shift took, by payment method, and the card orders still open — for the X and Z reports.

The methods come from the ledger rows themselves (``GROUP BY method``), not a
fixed list: a method added later appears on the next report with its code as
its label until it gets one here.  The cash drawer (float, cash in/out,
expected) stays its own section of the report; this is the takings of every
method.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from cashier_app.storage import models as m

# These labels go into the X/Z report's parameters, which are journaled (stored, hashed, re-rendered
# from the store): document text in Russian, not translated to the UI's language.
METHOD_LABELS: dict[str, str] = {
    "cash": "Наличные", "card": "Банковская карта", "bonus": "Бонусы", "bank": "Банковский перевод",  # i18n: data
    "post": "Почтовый перевод", "contact": "CONTACT", "euroset": "«Евросеть»",  # i18n: data
}
# The order methods are printed in; any other method follows, alphabetically by code.
METHOD_ORDER = ("cash", "card", "bonus")
# Card order states that may still be credited (``booking_payments.OPEN_CARD_STATES``).
OPEN_ORDER_STATES = ("new", "registered", "pending", "manual")
ORDER_STATE_LABELS = {"new": "не отправлен в банк", "registered": "ожидает оплаты", "pending": "ожидает оплаты",  # i18n: data
                      "manual": "требует сверки с банком"}  # i18n: data


def _of_shift(shift: m.CashShift, until: datetime) -> Any:
    """Entries of the shift: those it carries, and the cashier's entries on its desk while it was open
    that carry no shift (a bonus spend, a card order made before the shift was opened is not one)."""
    return or_(
        m.Payment.shift_id == shift.id,
        and_(m.Payment.shift_id.is_(None), m.Payment.desk == shift.desk, m.Payment.user_id == shift.user_id,
             m.Payment.created_at >= shift.opened_at, m.Payment.created_at <= until),
    )


def takings(s: Session, shift: m.CashShift, until: datetime) -> list[dict[str, Any]]:
    """Per method: payments (count, sum), cancels and refunds (count, sum ≤ 0), net — credited entries only."""
    rows = s.execute(
        # Grouped by the plain columns: PostgreSQL refuses a select of ``entry_kind = $1`` grouped
        # by ``entry_kind = $2`` (each comparison gets its own bound parameter).
        select(m.Payment.method, m.Payment.entry_kind, func.count(),
               func.coalesce(func.sum(m.Payment.amount_minor), 0))
        .where(_of_shift(shift, until), m.Payment.credited.is_(True))
        .group_by(m.Payment.method, m.Payment.entry_kind)
    ).all()
    by: dict[str, dict[str, Any]] = {}
    for method, kind, n, total in rows:
        is_payment = kind == "payment"
        t = by.setdefault(str(method), {"method": str(method), "label": METHOD_LABELS.get(str(method), str(method)),
                                        "payments_count": 0, "payments_minor": 0, "returns_count": 0,
                                        "returns_minor": 0})
        key = "payments" if is_payment else "returns"
        t[f"{key}_count"] += int(n)
        t[f"{key}_minor"] += int(total)
    for t in by.values():
        t["net_minor"] = t["payments_minor"] + t["returns_minor"]
    rank = {code: i for i, code in enumerate(METHOD_ORDER)}
    return sorted(by.values(), key=lambda t: (rank.get(t["method"], len(rank)), t["method"]))


def pending_orders(s: Session, desk: str, clock: Callable[[datetime], str]) -> list[dict[str, Any]]:
    """Card orders of this desk that the bank may still pay: the next shift must watch them.

    ``clock`` prints an instant as the report does (``shifts.local_text``; passed in, not
    imported, so this module does not depend back on ``shifts``)."""
    rows = s.execute(
        select(m.GatewayOrder.order_number, m.GatewayOrder.state, m.GatewayOrder.amount_minor,
               m.GatewayOrder.created_at, m.Payment.number, m.Account.number, m.Booking.number)
        .join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
        .outerjoin(m.Account, m.Account.id == m.Payment.account_id)
        .outerjoin(m.Booking, m.Booking.id == m.Payment.booking_id)
        .where(m.GatewayOrder.desk == desk, m.GatewayOrder.state.in_(OPEN_ORDER_STATES))
        .order_by(m.GatewayOrder.created_at, m.GatewayOrder.id)
    ).all()
    return [{"order": order, "state": ORDER_STATE_LABELS.get(state, state), "amount_minor": int(amount),
             "created": clock(created), "payment": payment,
             "target": f"л/с {account}" if account else f"заявка {booking}"}  # i18n: data
            for order, state, amount, created, payment, account, booking in rows]
