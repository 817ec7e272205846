"""The billing outbox: a ``pay`` row for every credited payment, written in the credit's own transaction.

``ledger.credit`` calls :func:`enqueue_for_payment` and ``ledger.add_reversal`` calls
:func:`enqueue_for_reversal`: the row commits with the money or not at all, so a kill -9 leaves
both or neither, and ``delivery`` sends it after the commit.  Everything the billing is told is
frozen on the row here — ``txn_id``, account, amount, ``txn_date`` — and never derived again.

``txn_id`` = this database's random 6-digit prefix + the 9 digits of the payment number
(``P-000000123`` → ``482913000000123``): numeric as OSMP wants, unique per database, and a
re-created database (another prefix) never adopts payments the billing has from this one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.i18n import N_
from cashier_app.services.billing import settings as billing_settings
from cashier_app.services.billing.txn_ids import PREFIX_KEY, txn_date_for, txn_id_for, txn_prefix
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m

BILLING_METHODS = ("cash", "card", "sbp")
# Stored as the delivery's note (Russian); views.DeliveryView.label shows them translated.
MANUAL_NO_CANCEL = N_("биллинг не поддерживает отмену — проведите возврат в биллинге вручную")
MANUAL_PARTIAL = N_("частичный возврат протоколом не передаётся — проведите возврат в биллинге вручную")
MANUAL_PAY_NOT_SENT = N_("платёж в биллинг не доставлен — отменять в биллинге нечего, проверьте вручную")


def _account_number(s: Session, account_id: int) -> str:
    return s.execute(select(m.Account.number).where(m.Account.id == account_id)).scalar_one()


def enqueue_for_payment(s: Session, ctx: DeskContext, payment: m.Payment) -> m.BillingDelivery | None:
    """The ``pay`` row of a payment just credited (inside ``ledger.credit``'s transaction), or None.

    Only money (cash / card / SBP) to an account of a payee with a connector: bookings have no billing.
    """
    if payment.entry_kind != "payment" or payment.method not in BILLING_METHODS or payment.account_id is None:
        return None
    conn = billing_settings.get(s, payment.payee_id)
    if conn is None:
        return None
    now = datetime.now(UTC)
    row = m.BillingDelivery(
        payment_id=payment.id, operation="pay", payee_id=conn.payee_id,
        txn_id=txn_id_for(txn_prefix(s), payment.number), account_number=_account_number(s, payment.account_id),
        amount_minor=abs(payment.amount_minor), txn_date=txn_date_for(s, payment.settled_at or now),
        state="pending", url=conn.url, dialect=conn.dialect, attempts=0, next_attempt_at=now,
        desk=ctx.desk, created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return row


def enqueue_for_reversal(s: Session, ctx: DeskContext, entry: m.Payment) -> m.BillingDelivery | None:
    """The ``cancel`` row of a cancel/refund entry whose payment has a ``pay`` row (same transaction).

    ``manual`` with the reason when the protocol cannot do it: the dialect has no cancel, or the
    refund is partial (OSMP's cancel undoes the whole payment).  Its txn_id is the entry's own.
    """
    if entry.reverses_id is None:
        return None
    pay = s.execute(select(m.BillingDelivery).where(
        m.BillingDelivery.payment_id == entry.reverses_id, m.BillingDelivery.operation == "pay")
    ).scalar_one_or_none()
    if pay is None:
        return None
    now = datetime.now(UTC)
    amount = abs(entry.amount_minor)
    state, reason = "pending", None
    if (pay.dialect or "") != "abills":
        state, reason = "manual", MANUAL_NO_CANCEL
    elif amount < pay.amount_minor:
        state, reason = "manual", MANUAL_PARTIAL
    elif pay.state in ("refused", "manual"):
        state, reason = "manual", MANUAL_PAY_NOT_SENT
    row = m.BillingDelivery(
        payment_id=entry.id, operation="cancel", cancels_id=pay.id, payee_id=pay.payee_id,
        txn_id=txn_id_for(txn_prefix(s), entry.number), account_number=pay.account_number,
        amount_minor=amount, txn_date=txn_date_for(s, entry.settled_at or now), state=state,
        url=pay.url, dialect=pay.dialect, last_error=reason, attempts=0,
        next_attempt_at=now if state == "pending" else None, desk=ctx.desk, created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return row


__all__ = ["BILLING_METHODS", "PREFIX_KEY", "enqueue_for_payment", "enqueue_for_reversal", "txn_date_for",
           "txn_id_for", "txn_prefix"]
