"""One broadcast of what a write changed (issue 12 §1), like Anki's ``OpChanges``.

A write operation says what it changed — an account, a booking, the shift, the rates… — as a
:class:`ChangeSet`; the main window's :class:`ChangeBus` hands it to every view that shows
something (the results rows, the card, the journals, the shift indicator, the pending counter),
and each view decides whether it is concerned.  No view is refreshed by hand by the action that
made the change: a new view subscribes once and is always current.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal


class Change(StrEnum):
    ACCOUNT = "account"
    BOOKING = "booking"
    SHIFT = "shift"
    RATES = "rates"
    USERS = "users"
    DOCUMENTS = "documents"
    PENDING_ORDERS = "pending_orders"
    PAYEES = "payees"
    FISCAL = "fiscal"


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What one write changed: the kinds, and the numbers of the accounts and bookings it touched.

    A kind without numbers means «some of them» (an import of accounts): a view showing any
    record of that kind refreshes.
    """

    kinds: frozenset[Change] = frozenset()
    accounts: frozenset[str] = field(default_factory=frozenset)
    bookings: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *kinds: Change | str, accounts: Iterable[str | None] = (),
           bookings: Iterable[str | None] = ()) -> ChangeSet:
        acc = frozenset(a for a in accounts if a)
        bk = frozenset(b for b in bookings if b)
        all_kinds = {Change(k) for k in kinds}
        if acc:
            all_kinds.add(Change.ACCOUNT)
        if bk:
            all_kinds.add(Change.BOOKING)
        return cls(frozenset(all_kinds), acc, bk)

    @classmethod
    def payment(cls, account: str | None = None, booking: str | None = None, *extra: Change) -> ChangeSet:
        """A payment (cash, card, bonuses, a refund): its target, the shift's cash, documents, the receipt."""
        return cls.of(Change.SHIFT, Change.DOCUMENTS, Change.FISCAL, *extra, accounts=[account], bookings=[booking])

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def __or__(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet(self.kinds | other.kinds, self.accounts | other.accounts, self.bookings | other.bookings)

    def has(self, kind: Change | str) -> bool:
        return Change(kind) in self.kinds

    def touches(self, kind: str, number: str | None) -> bool:
        """Whether the record ``kind`` (``"account"``/``"booking"``) ``number`` may have changed."""
        if kind == "account":
            return Change.ACCOUNT in self.kinds and (not self.accounts or number in self.accounts)
        if kind == "booking":
            return Change.BOOKING in self.kinds and (not self.bookings or number in self.bookings)
        return False

    def touches_card(self, card: Any) -> bool:
        """Whether the card shown (an AccountCard, a BookingCard or None) may be stale now."""
        if card is None:
            return False
        from cashier_app.services.cards import BookingCard

        kind = "booking" if isinstance(card, BookingCard) else "account"
        return self.touches(kind, getattr(card, "number", None))


class ChangeBus(QObject):
    """The main window's broadcast: ``announce`` on the GUI thread, every subscriber hears ``changed``."""

    changed = Signal(object)  # ChangeSet

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: list[ChangeSet] = []  # this session's announcements, newest last (tests, debugging)

    def announce(self, changes: ChangeSet | None) -> None:
        if not changes:
            return
        self.history.append(changes)
        del self.history[:-50]
        self.changed.emit(changes)


def changes_of(result: Any) -> ChangeSet | None:
    """The ChangeSet a write's function returned: itself, or a ``changes`` attribute of its result."""
    if isinstance(result, ChangeSet):
        return result
    found = getattr(result, "changes", None)
    return found if isinstance(found, ChangeSet) else None


__all__ = ["Change", "ChangeBus", "ChangeSet", "changes_of"]
