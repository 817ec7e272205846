"""What the counter can do now, and why not (issue 12 §2): the F-keys' states and the shift indicator.

The rules are the services' own (a shift must be open for cash, a fully paid booking takes no
more, a role may not spend bonuses, no rate for today stops a foreign-currency payment): this
module asks them without moving anything, so a button is disabled exactly when pressing it
would be refused, and says the same reason the refusal would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cashier_app.services.context import DeskContext

ACTION_KEYS = ("documents", "cash", "card", "bonuses")


@dataclass(frozen=True, slots=True)
class ActionState:
    enabled: bool
    reason: str | None = None  # why not, in the user's language; None when enabled


@dataclass(frozen=True, slots=True)
class ShiftBadge:
    """The always-visible shift indicator."""

    open: bool
    number: str | None = None
    opened_at: datetime | None = None  # UTC; shown on the office's clock
    cashier: str | None = None  # full name of who opened it
    cash_on_hand_minor: int | None = None  # by the books, float + cash in − cash out


@dataclass(frozen=True, slots=True)
class CounterState:
    shift: ShiftBadge
    actions: dict[str, ActionState] = field(default_factory=dict)  # keys: ACTION_KEYS


def counter_state(ctx: DeskContext, card: Any | None) -> CounterState:
    """The desk's shift and, for ``card`` (an AccountCard, a BookingCard or None), each action's state."""
    raise NotImplementedError("issue 12: helper H5 implements this")
