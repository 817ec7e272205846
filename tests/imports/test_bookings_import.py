"""Bookings import: one row per tourist, upsert by number, paid never below what was credited here."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from cashier_app.services.importing import bookings_import as bi
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.race_helpers import desk_ctx

HEAD = ["number", "status", "tour_type", "country", "hotel", "departure", "return", "price", "currency", "paid",
        "agency", "agency_inn", "manager", "tourist", "passport", "birth_date"]


def _file(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="cp1251", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(HEAD)
        w.writerows(rows)
    return path


def _b(number: str, paid: str, tourist: str, passport: str) -> list[str]:
    return [number, "confirmed", "standard", "Турция", "Hotel 5*", "2027-06-01", "10.06.2027", "1 500,00", "USD",
            paid, "Агентство Ромашка", "7701234567", "manager", tourist, passport, "01.02.1980"]


def test_bookings_upsert_tourists_and_paid_floor(fresh_db: Database, tmp_path: Path) -> None:
    ctx = desk_ctx(fresh_db, "manager", "t")
    p = _file(tmp_path / "b.csv", [_b("IMP-1", "100", "Ёлкин Иван", "75 1234567"),
                                   _b("IMP-1", "100", "Ёлкина Анна", "75 7654321"), _b("IMP-2", "0", "Щукин Пётр", "751")])
    rep = bi.run(ctx, p)
    assert (rep.created, rep.bad_total) == (2, 0)
    with fresh_db.read() as uow:
        b = uow.session.execute(select(m.Booking).where(m.Booking.number == "IMP-1")).scalar_one()
        assert b.price_minor == 150000 and b.paid_minor == 10000 and b.return_on.isoformat() == "2027-06-10"
        assert sorted(t.passport_no for t in b.tourists) == ["751234567", "757654321"]
    again = bi.run(ctx, p)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    with fresh_db.uow() as uow:  # this app credited more than the operator knows
        uow.session.execute(select(m.Booking).where(m.Booking.number == "IMP-1")).scalar_one().paid_minor = 50000
        uow.commit()
    low = bi.run(ctx, _file(tmp_path / "c.csv", [_b("IMP-1", "100", "Ёлкин Иван", "75 1234567")]))
    assert any("оставлено большее" in w for w in low.warnings) and low.updated == 1  # a tourist left
    with fresh_db.read() as uow:
        b = uow.session.execute(select(m.Booking).where(m.Booking.number == "IMP-1")).scalar_one()
        assert b.paid_minor == 50000 and [t.passport_no for t in b.tourists] == ["751234567"]


def test_bad_booking_row_named_and_nothing_written(fresh_db: Database, tmp_path: Path) -> None:
    bad = _b("IMP-3", "x", "Иванов", "1")
    rep = bi.run(desk_ctx(fresh_db, "admin", "t"), _file(tmp_path / "b.csv", [_b("IMP-4", "0", "А", "2"), bad]))
    assert rep.bad_total == 1 and rep.bad[0].line == 3 and rep.bad[0].column == "paid" and not rep.written
    with fresh_db.read() as uow:
        assert uow.session.execute(select(m.Booking).where(m.Booking.number == "IMP-4")).first() is None
