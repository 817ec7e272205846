"""A card order's life as a pure function: the bank's word → our next state and what to do.

``services/card_payments`` asks the bank (a poll, a cancel, reconcile) and hands
the answer to :func:`settle_step`; the step says which state the order takes and
whether money is credited, held for a human, or nothing moves.  Nothing here
reads the database, the bank or the clock, so every transition is tested as a
table (``tests/test_card_order_states.py``).  The service applies a step with a
conditional UPDATE from an :data:`ACTIVE_STATES` state, so two desks settling
one order still credit it once.

States: ``new`` (our row, not yet at the bank) → ``registered`` (the bank has
it, link shown) → ``pending`` (the customer is paying, 3-D Secure) → one of
:data:`FINAL_STATES`.  ``manual`` (ChronoPay) waits for the bank statement and
is settled by a person, not by this function.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cashier_app.domain.money import format_money

# Orders the poller and reconcile still look at; every other state is final for the counter.
ACTIVE_STATES: tuple[str, ...] = ("new", "registered", "pending")
FINAL_STATES = frozenset({"paid", "declined", "expired", "cancelled", "refunded", "partially_refunded", "held"})
# What the bank says when money reached the payee at some point.
_MONEY_MOVED = frozenset({"paid", "refunded", "partially_refunded"})


class Action(StrEnum):
    CREDIT = "credit"  # paid, and the amount is ours: the order's state and the ledger credit in one transaction
    HOLD = "hold"  # money may have moved but is not provably ours: held, not credited, a person decides
    MARK = "mark"  # a final state that moves no money (declined, expired, cancelled)
    WAIT = "wait"  # still open: keep watching, remember the bank's note
    NOTE = "note"  # the state stays as it is; only the note changes (nothing the bank said can be trusted)


@dataclass(frozen=True, slots=True)
class Step:
    action: Action
    state: str  # the order's state after the step (the payment's status follows it)
    reason: str | None = None  # plain Russian for the cashier and the journal


FOREIGN_ID_HELD = "у заказа в банке чужой идентификатор — платёж не наш, не зачислен"  # i18n: data
FOREIGN_ID_NOTE = "у заказа в банке чужой идентификатор — проверьте заказ в личном кабинете банка"  # i18n: data
REFUND_UNCONFIRMED = "банк сообщает о возврате по неподтверждённому у нас платежу"  # i18n: data
NOT_FOUND_YET = "банк пока не нашёл заказ"  # i18n: data
CANCELLED = "заказ отменён"  # i18n: data


def settle_step(current: str, bank_state: str, *, our_amount: int, bank_amount: int | None,
                bank_reason: str | None = None, foreign_identity: bool = False,
                cancelling: bool = False) -> Step:
    """The next step for an open order (``current`` in :data:`ACTIVE_STATES`) given the bank's status.

    ``bank_state`` is the gateway's normalised state (``paid``, ``pending``, ``declined``,
    ``expired``, ``reversed``, ``refunded``, ``partially_refunded``, ``refunding``,
    ``unknown_order``); ``foreign_identity``: the bank echoed an order identity that is not
    ours; ``cancelling``: the answer is to our own cancel request.
    """
    if current not in ACTIVE_STATES:
        raise ValueError(f"order in state {current!r} is not open; nothing to settle")
    if foreign_identity:
        # Someone else's order under our number: never credited, never marked as ours.
        if bank_state in _MONEY_MOVED:
            return Step(Action.HOLD, "held", FOREIGN_ID_HELD)
        return Step(Action.NOTE, current, FOREIGN_ID_NOTE)
    if bank_state == "paid":
        if bank_amount != our_amount:
            got = format_money(bank_amount) if bank_amount is not None else "неизвестно"  # i18n: data
            return Step(Action.HOLD, "held",
                        f"банк сообщает сумму {got}, а заказ на {format_money(our_amount)} — проверьте вручную")  # i18n: data
        return Step(Action.CREDIT, "paid")
    if bank_state in ("declined", "expired", "reversed"):
        if cancelling or bank_state == "reversed":
            return Step(Action.MARK, "cancelled", bank_reason or CANCELLED)
        return Step(Action.MARK, bank_state, bank_reason)
    if bank_state in ("refunded", "partially_refunded", "refunding"):
        # The bank took and returned money we never credited (done in the bank's cabinet): a person decides.
        return Step(Action.HOLD, "held", REFUND_UNCONFIRMED)
    if bank_state == "pending":
        # 3-D Secure in progress, or the customer has the page open.
        return Step(Action.WAIT, "pending", bank_reason)
    # A bank that does not know a registered order yet (``unknown_order``): the state stays.
    return Step(Action.WAIT, current, NOT_FOUND_YET)
