"""What the journal, the account card and ``billing status`` show of the billing outbox (DTOs only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cashier_app.services.billing.views import DELIVERY_LABELS, DeliveryView
from cashier_app.storage import models as m

RETRYABLE = ("refused", "pending", "sent")


def view_of(r: m.BillingDelivery) -> DeliveryView:
    return DeliveryView(payment_id=r.payment_id, operation=r.operation, state=r.state, txn_id=r.txn_id,
                        prv_txn=r.prv_txn, last_error=r.last_error, attempts=r.attempts,
                        next_attempt_at=r.next_attempt_at, can_retry=r.state in RETRYABLE)


def deliveries_for(s: Session, payment_ids: Iterable[int]) -> dict[int, DeliveryView]:
    """By ledger entry id: a payment's ``pay`` row under the payment, a ``cancel`` row under its reversal entry."""
    ids = sorted(set(payment_ids))
    out: dict[int, DeliveryView] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists (SQLite's parameter limit)
        chunk = ids[start:start + 500]
        for r in s.execute(select(m.BillingDelivery).where(m.BillingDelivery.payment_id.in_(chunk))).scalars():
            out[r.payment_id] = view_of(r)
    return out


def status(s: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """Counts by state, and how long the oldest undelivered row has waited (seconds; None when none waits)."""
    now = now or datetime.now(UTC)
    counts = {state: 0 for state in DELIVERY_LABELS}
    for state, n in s.execute(select(m.BillingDelivery.state, func.count()).group_by(m.BillingDelivery.state)):
        counts[str(state)] = int(n)
    oldest = s.execute(select(func.min(m.BillingDelivery.created_at))
                       .where(m.BillingDelivery.state.in_(("pending", "sent")))).scalar_one_or_none()
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age = max(int((now - oldest).total_seconds()), 0)
    return {"counts": counts, "oldest_pending_secs": age}


def problems(s: Session, *, limit: int = 50) -> list[tuple[str, DeliveryView]]:
    """Rows a person must look at (refused, manual), newest first, with the payment number."""
    rows = s.execute(select(m.Payment.number, m.BillingDelivery).join(m.Payment, m.Payment.id == m.BillingDelivery.payment_id)
                     .where(m.BillingDelivery.state.in_(("refused", "manual")))
                     .order_by(m.BillingDelivery.id.desc()).limit(limit))
    return [(str(number), view_of(r)) for number, r in rows]


__all__ = ["deliveries_for", "problems", "status", "view_of"]
