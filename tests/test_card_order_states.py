"""The card order's transitions as a table, without a database or a bank (issue 11 §8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashier_app.domain.card_order_states import (
    ACTIVE_STATES,
    FINAL_STATES,
    Action,
    Step,
    settle_step,
)

BANK_STATES = ("paid", "pending", "declined", "expired", "reversed", "refunded", "partially_refunded",
               "refunding", "unknown_order")


@pytest.mark.parametrize(("current", "bank", "kw", "expected"), [
    ("registered", "paid", {}, Step(Action.CREDIT, "paid")),
    ("pending", "paid", {}, Step(Action.CREDIT, "paid")),
    ("registered", "declined", {"bank_reason": "недостаточно средств"},
     Step(Action.MARK, "declined", "недостаточно средств")),
    ("pending", "expired", {}, Step(Action.MARK, "expired")),
    # Our own cancel answered «declined»: the order is cancelled, not declined.
    ("registered", "declined", {"cancelling": True}, Step(Action.MARK, "cancelled", "заказ отменён")),
    ("pending", "reversed", {"bank_reason": "отмена"}, Step(Action.MARK, "cancelled", "отмена")),
    ("registered", "pending", {"bank_reason": "3-D Secure"}, Step(Action.WAIT, "pending", "3-D Secure")),
    ("registered", "unknown_order", {}, Step(Action.WAIT, "registered", "банк пока не нашёл заказ")),
    ("pending", "refunding", {}, Step(Action.HOLD, "held", "банк сообщает о возврате по неподтверждённому у нас "
                                                          "платежу")),
])
def test_transitions(current: str, bank: str, kw: dict[str, object], expected: Step) -> None:
    assert settle_step(current, bank, our_amount=10_000, bank_amount=10_000, **kw) == expected  # type: ignore[arg-type]


def test_a_paid_order_with_another_amount_is_held_and_says_both_amounts() -> None:
    step = settle_step("pending", "paid", our_amount=10_000, bank_amount=9_999)
    assert step.action is Action.HOLD and step.state == "held"
    assert "99,99" in (step.reason or "") and "100,00" in (step.reason or "")
    unknown = settle_step("pending", "paid", our_amount=10_000, bank_amount=None)
    assert unknown.action is Action.HOLD and "неизвестно" in (unknown.reason or "")


def test_someone_elses_identity_is_never_credited() -> None:
    assert settle_step("pending", "paid", our_amount=1, bank_amount=1, foreign_identity=True).action is Action.HOLD
    note = settle_step("registered", "declined", our_amount=1, bank_amount=1, foreign_identity=True)
    assert note == Step(Action.NOTE, "registered", note.reason) and "чужой" in (note.reason or "")


@pytest.mark.parametrize("current", ["paid", "manual", "held", "cancelled"])
def test_only_an_open_order_is_settled(current: str) -> None:
    with pytest.raises(ValueError, match="not open"):
        settle_step(current, "paid", our_amount=1, bank_amount=1)


@given(current=st.sampled_from(ACTIVE_STATES), bank=st.sampled_from(BANK_STATES),
       ours=st.integers(1, 10**8), theirs=st.one_of(st.none(), st.integers(0, 10**8)),
       foreign=st.booleans(), cancelling=st.booleans())
def test_money_is_credited_only_for_our_order_at_our_amount(current: str, bank: str, ours: int, theirs: int | None,
                                                            foreign: bool, cancelling: bool) -> None:
    step = settle_step(current, bank, our_amount=ours, bank_amount=theirs, foreign_identity=foreign,
                       cancelling=cancelling)
    assert (step.action is Action.CREDIT) == (bank == "paid" and theirs == ours and not foreign)
    if step.action in (Action.WAIT, Action.NOTE):
        assert step.state in ACTIVE_STATES  # still watched
    else:
        assert step.state in FINAL_STATES  # and the conditional UPDATE moves it out of the active set once
    if step.action is Action.HOLD:
        assert step.reason  # a person must be told why
