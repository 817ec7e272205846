"""Issue 12 §3: the passport typed as people write it finds the booking; the card highlights its tourist;
the results table says «Баланс» and «К оплате» apart."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from cashier_app.domain.money import convert_to_rub
from cashier_app.services import cards, lookup
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_ledger import ctx_for


def _booking_with_tourists(db) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """A demo booking with two tourists or more, and its *second* tourist's passport and name."""
    with db.read() as uow:
        for b in uow.session.execute(select(m.Booking).where(m.Booking.status == "confirmed")
                                     .order_by(m.Booking.id)).scalars():
            if len(b.tourists) > 1:
                t = sorted(b.tourists, key=lambda x: x.id)[1]
                return b.number, t.passport_no, t.full_name
    raise AssertionError("the demo has no booking with two tourists")


def test_foreign_passport_with_its_series_apart_finds_the_booking(demo_db) -> None:  # type: ignore[no-untyped-def]
    number, passport, name = _booking_with_tourists(demo_db)
    assert len(passport) == 9  # the demo's passports: 2-digit series + 7-digit number
    ctx = ctx_for(demo_db)
    for query in (f"{number} {passport[:2]} {passport[2:]}", f"{number} {passport}",
                  f"{number}  {passport[:2]}-{passport[2:]}", f"{number}, {passport[:2]} № {passport[2:]}"):
        r = lookup.search(ctx, query)
        assert r.open_directly is not None and r.open_directly.number == number, query
        assert r.open_directly.matched_passport == passport and r.open_directly.matched_tourist == name, query
    # The passport is the tourist's credential: it never leaves in the JSON the CLI prints.
    assert passport not in str(lookup.search(ctx, f"{number} {passport}").hits[0].to_json())


def test_the_booking_card_highlights_the_tourist_whose_passport_matched(demo_db) -> None:  # type: ignore[no-untyped-def]
    number, passport, name = _booking_with_tourists(demo_db)
    ctx = ctx_for(demo_db)
    hit = lookup.search(ctx, f"{number} {passport[:2]} {passport[2:]}").open_directly
    assert hit is not None
    card = cards.booking_card(ctx, hit.number, TODAY, matched_passport=hit.matched_passport)
    assert card.matched_tourist == name
    assert [t.full_name for t in card.tourists if t.matched] == [name]
    plain = cards.booking_card(ctx, number, TODAY)
    assert plain.matched_tourist is None and not any(t.matched for t in plain.tourists)


def test_russian_internal_passport_in_its_grouped_forms(fresh_db) -> None:  # type: ignore[no-untyped-def]
    with fresh_db.uow() as uow:
        b = uow.session.execute(select(m.Booking).where(m.Booking.status == "confirmed").limit(1)).scalar_one()
        number = b.number
        uow.session.add(m.Tourist(booking_id=b.id, full_name="Сидоров Пётр Ильич", name_norm="сидоров петр ильич",
                                  passport_no="4507123456", is_lead=False))
        uow.commit()
    ctx = ctx_for(fresh_db)
    for query in (f"{number} 45 07 123456", f"{number} 4507 123456", f"{number} 4507123456"):
        r = lookup.search(ctx, query)
        assert r.open_directly is not None and r.open_directly.number == number, query
        assert r.open_directly.matched_tourist == "Сидоров Пётр Ильич", query
    wrong = lookup.search(ctx, f"{number} 45 07 123457")
    assert wrong.open_directly is None and "Паспорт не совпадает" in (wrong.message or "")


def test_hits_carry_the_balance_or_the_due_in_rubles(demo_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(demo_db)
    acc = lookup.search(ctx, "0000001").hits[0]
    assert acc.kind == "account" and acc.balance_minor == acc.amount_minor and acc.due_minor is None
    number, _passport, _name = _booking_with_tourists(demo_db)
    hit = next(h for h in lookup.search(ctx, number).hits if h.kind == "booking")
    assert hit.balance_minor is None and hit.due_minor is not None
    card = cards.booking_card(ctx, number, ctx.today())
    if card.rate_is_today and card.currency != "RUB":
        assert hit.due_rub_minor == convert_to_rub(hit.due_minor, Decimal(card.rate or "0"))
    else:
        assert hit.due_rub_minor is None
    # The main window's refresh builds a hit by position: still possible.
    old = lookup.SearchHit("account", "0000001", "", "", 0, "RUB", "")
    assert old.balance_minor is None and old.matched_passport is None
