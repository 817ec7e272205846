"""Issue 10 leftover: ПД-4, ф. 112ЭП and CONTACT sheets for a booking leave open card orders' amount alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cashier_app.domain.errors import RuleViolation
from cashier_app.domain.tours import PaymentMethod
from cashier_app.services import booking_payments, card_payments, documents, shifts
from tests.conftest import TODAY
from tests.test_bonuses_service import add_booking, ensure_rate, manager_ctx


@pytest.fixture
def ctx(fresh_db):  # type: ignore[no-untyped-def]
    ensure_rate(fresh_db, TODAY)
    ctx = manager_ctx(fresh_db)
    shifts.open_shift(ctx, 0)
    return ctx


@pytest.mark.parametrize(("kind", "method"), [("pd4", PaymentMethod.BANK_RECEIPT), ("post112", PaymentMethod.POST),
                                              ("info_contact", PaymentMethod.CONTACT)])
def test_document_amount_leaves_the_open_card_order_alone(fresh_db, ctx, kind: str, method: PaymentMethod) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=220_100, paid=20_100, departure=TODAY + timedelta(days=30))
    before = documents.document_options(ctx, booking=number, today=TODAY).option(kind)
    assert before.available
    card_payments.open_order(ctx, booking=number, amount_minor=60_000)  # 600 of the 2 000 USD due
    after = documents.document_options(ctx, booking=number, today=TODAY).option(kind)
    # The same figure cash and card would take now: what is due minus the order.
    assert after.amount_rub_minor == booking_payments.quote(ctx, number, method.value, None, TODAY).rub_minor
    assert after.amount_rub_minor < before.amount_rub_minor
    doc_kind, doc_method = ("info", "contact") if kind == "info_contact" else (kind, None)
    with pytest.raises(RuleViolation, match=r"не больше|только полная"):
        documents.issue(ctx, doc_kind, method=doc_method, booking=number, amount_rub_minor=before.amount_rub_minor,
                        today=TODAY)


def test_no_document_while_a_card_order_holds_the_whole_due(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=220_100, paid=20_100, departure=TODAY + timedelta(days=30))
    order = card_payments.open_order(ctx, booking=number)
    opt = documents.document_options(ctx, booking=number, today=TODAY).option("pd4")
    assert not opt.available and order.order_number in (opt.reason or "")
    with pytest.raises(RuleViolation, match=order.order_number):
        documents.issue(ctx, "pd4", booking=number, today=TODAY)
