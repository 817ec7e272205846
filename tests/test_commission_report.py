"""Commission from the database: the card's line and the quarterly agency report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cashier_app.domain.commission import previous_quarter, quarter_bounds, quarter_of
from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.services import commission_report
from cashier_app.services.cards import booking_card
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_bonuses_service import add_booking
from tests.test_ledger import ctx_for


def _agency(db, name: str = "ООО «Тест»") -> int:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        a = m.Agency(name=name, is_network=False, registered_on=TODAY.replace(year=TODAY.year - 3))
        uow.session.add(a)
        uow.session.flush()
        aid = a.id
        uow.commit()
    return aid


def test_previous_quarter_volume_sets_the_tier(fresh_db) -> None:  # type: ignore[no-untyped-def]
    aid = _agency(fresh_db)
    prev_start, _ = quarter_bounds(previous_quarter(quarter_of(TODAY)))
    day = prev_start + timedelta(days=10)
    # 4 tourists in the previous quarter → 7 %; ticket-only and promo do not count.
    for tourists in (2, 2):
        add_booking(fresh_db, agency_id=aid, tourists=tourists, price=50_000, paid=50_000, paid_on=day,
                    confirmed_on=day - timedelta(days=1), departure=day + timedelta(days=30))
    add_booking(fresh_db, agency_id=aid, tourists=3, tour_type="promo", price=50_000, paid=50_000, paid_on=day,
                departure=day + timedelta(days=30))
    rows = commission_report.agency_report(fresh_db, quarter_of(TODAY), aid, TODAY)
    assert len(rows) == 1
    r = rows[0]
    assert (r.prev_tourists, r.prev_usd_minor, r.percent) == (4, 100_000, "7")
    assert "7 %" in r.reason
    number = add_booking(fresh_db, agency_id=aid, price=10_000, paid=0)
    card = booking_card(ctx_for(fresh_db), number, TODAY)
    assert card.commission_percent == "7" and card.commission and "7 %" in card.commission
    ticket = add_booking(fresh_db, agency_id=aid, tour_type="ticket_only", price=10_000, paid=0)
    assert booking_card(ctx_for(fresh_db), ticket, TODAY).commission_percent == "5"


def test_network_new_agency_and_no_agency(fresh_db) -> None:  # type: ignore[no-untyped-def]
    rows = {r.agency_id: r for r in commission_report.agency_report(fresh_db, quarter_of(TODAY), today=TODAY)}
    assert rows[2].percent == "9" and "сетевое" in rows[2].reason
    with fresh_db.uow() as uow:
        a = m.Agency(name="Новое", is_network=False, registered_on=TODAY.replace(month=1, day=1))
        uow.session.add(a)
        uow.session.flush()
        aid = a.id
        uow.commit()
    first = add_booking(fresh_db, agency_id=aid, price=10_000, paid=0)
    assert booking_card(ctx_for(fresh_db), first, TODAY).commission_percent == "6.5"
    orphan = add_booking(fresh_db, agency_id=None, price=10_000, paid=0)
    assert booking_card(ctx_for(fresh_db), orphan, TODAY).commission is None
    with pytest.raises(NotFound):
        commission_report.agency_report(fresh_db, quarter_of(TODAY), 9999, TODAY)


@pytest.mark.parametrize("text", ["2026Q5", "2026", "Q4", "abcQ1", ""])
def test_bad_quarter_names_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        commission_report.parse_quarter(text)
    assert err.value.field == "--quarter"


def test_quarter_parsing() -> None:
    assert commission_report.parse_quarter("2026q4") == (2026, 4)
    assert commission_report.parse_quarter("2026-Q1") == (2026, 1)


def test_eur_counts_at_cross_rate(fresh_db) -> None:  # type: ignore[no-untyped-def]
    with fresh_db.read() as uow:
        s = uow.session
        usd = s.execute(select(m.ExchangeRate.rate).where(m.ExchangeRate.currency == "USD",
                                                          m.ExchangeRate.day == TODAY)).scalar_one()
        eur = s.execute(select(m.ExchangeRate.rate).where(m.ExchangeRate.currency == "EUR",
                                                          m.ExchangeRate.day == TODAY)).scalar_one()
        assert commission_report.usd_per_unit(s, "EUR", TODAY) == eur / usd
        assert commission_report.usd_per_unit(s, "USD", TODAY) == 1
