"""What the UI and the CLI show of the billing: DTOs only (no ORM objects cross into the UI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cashier_app.i18n import N_, tr

# The journal's «Биллинг» column and the CLI say a delivery's state in these words.
DELIVERY_LABELS = {
    "pending": N_("в очереди"),
    "sent": N_("отправлен, ждём ответа"),
    "delivered": N_("доставлен"),
    "refused": N_("отклонён"),
    "manual": N_("вручную"),
}


@dataclass(frozen=True, slots=True)
class DeliveryView:
    payment_id: int
    operation: str  # pay | cancel
    state: str  # DELIVERY_LABELS' keys
    txn_id: str
    prv_txn: str | None
    last_error: str | None
    attempts: int
    next_attempt_at: datetime | None
    can_retry: bool  # refused / pending / sent — a person may push it now

    @property
    def label(self) -> str:
        text = tr(DELIVERY_LABELS[self.state]) if self.state in DELIVERY_LABELS else self.state
        if self.state == "delivered" and self.prv_txn:
            return f"{text} (№ {self.prv_txn})"
        if self.state in ("refused", "manual") and self.last_error:
            # The stored note stays Russian; the catalog shows the ones it knows in the current language.
            return f"{text}: {tr(self.last_error)}"
        return text


@dataclass(frozen=True, slots=True)
class CheckView:
    """The billing's answer about an account, for its card: «по данным биллинга на 12:03»."""

    account_number: str
    state: str  # found | not_found | refused | error | off (no connector)
    balance_minor: int | None
    full_name: str | None
    message: str | None
    checked_at: datetime | None  # UTC; shown on the office's clock
    checked_at_text: str  # «12:03» or «03.12.2026 12:03» when not today, office time
