"""Every kind of query the counter's search field understands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cashier_app.domain.normalize import phone_key, street_key, text_key
from cashier_app.printing.gost import build_payload
from cashier_app.services import lookup
from cashier_app.services.lookup import classify
from cashier_app.storage import models as m
from tests.test_ledger import ctx_for


def search(db, raw: str, **kw):  # type: ignore[no-untyped-def]
    """The service as the counter calls it: a signed-in cashier (``lookup`` checks who asks)."""
    return lookup.search(ctx_for(db), raw, **kw)


@pytest.fixture
def office(fresh_db):  # type: ignore[no-untyped-def]
    """The demo office plus a subscriber whose data exercises ё, phone formats and addresses."""
    with fresh_db.uow() as uow:
        s = uow.session
        c = m.Contract(
            number="INT-9000001", payee_id=1, full_name="Ёлкин Пётр Семёнович", name_norm=text_key("Ёлкин Пётр Семёнович"),
            phone="8 (920) 882-14-41", phone_norm=phone_key("8 (920) 882-14-41"), postal_index="248001",
            region="Калужская обл.", city="г. Калуга", street="ул. Лёни Голикова", house="85а", flat="3",
            street_norm=street_key("ул. Лёни Голикова"),
        )
        s.add(c)
        s.flush()
        s.add_all([
            m.Account(number="00777", login="elk001", contract_id=c.id, balance_minor=-15000),
            m.Account(number="777", login="elk002", contract_id=c.id, balance_minor=25000),
        ])
        uow.commit()
    return fresh_db


def numbers(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(h.kind, h.number) for h in result.hits]


def test_account_number_is_exact_and_leading_zeros_matter(office) -> None:  # type: ignore[no-untyped-def]
    assert numbers(search(office, "00777")) == [("account", "00777")]
    assert numbers(search(office, "777")) == [("account", "777")]
    assert search(office, "0777").hits == []
    assert numbers(search(office, "01")) == [("account", "01")]
    assert numbers(search(office, "1")) == [("account", "1")]


def test_login_and_contract(office) -> None:  # type: ignore[no-untyped-def]
    assert numbers(search(office, "elk001")) == [("account", "00777")]
    assert numbers(search(office, "ELK002")) == [("account", "777")]
    r = search(office, "INT-9000001")
    assert sorted(numbers(r)) == [("account", "00777"), ("account", "777")]
    assert {h.amount_minor for h in r.hits} == {-15000, 25000}
    assert numbers(search(office, "int-9000001")) == numbers(r)


@pytest.mark.parametrize("phone", ["8 920 882-14-41", "+79208821441", "+7 (920) 882-14-41", "89208821441", "9208821441"])
def test_phone_in_any_format(office, phone: str) -> None:  # type: ignore[no-untyped-def]
    assert ("account", "00777") in numbers(search(office, phone))


@pytest.mark.parametrize("query", ["ёлкин", "ЕЛКИН", "Елкин Петр", "елкин пётр семенович", "Ёлк"])
def test_name_prefix_case_and_yo(office, query: str) -> None:  # type: ignore[no-untyped-def]
    r = search(office, query)
    assert ("account", "00777") in numbers(r)
    assert all(h.title.lower().replace("ё", "е").startswith(text_key(query)) for h in r.hits)


@pytest.mark.parametrize("query", ["Лени Голикова 85", "ул. Лёни Голикова, д. 85а", "лени голикова 85а"])
def test_address_street_and_house(office, query: str) -> None:  # type: ignore[no-untyped-def]
    r = search(office, query)
    assert ("account", "00777") in numbers(r)
    assert all("Голикова" in h.detail for h in r.hits)


def test_house_85_does_not_match_850(office) -> None:  # type: ignore[no-untyped-def]
    with office.uow() as uow:
        c = uow.session.get(m.Contract, 1)
        c.street, c.street_norm, c.house = "ул. Лёни Голикова", "лени голикова", "850"
        uow.commit()
    details = [h.detail for h in search(office, "лени голикова 85").hits]
    assert details and not any("д. 850" in d for d in details)


def _a_booking(db) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        b = uow.session.execute(select(m.Booking).where(m.Booking.status == "confirmed").limit(1)).scalar_one()
        t = b.tourists[-1]
        return b.number, t.passport_no, t.full_name


def test_booking_number_and_tourist_surname(demo_db) -> None:  # type: ignore[no-untyped-def]
    number, _passport, name = _a_booking(demo_db)
    assert ("booking", number) in numbers(search(demo_db, number))
    surname = name.split()[0]
    r = search(demo_db, surname, limit=500)
    assert ("booking", number) in numbers(r)


def test_booking_plus_passport_opens_directly(demo_db) -> None:  # type: ignore[no-untyped-def]
    number, passport, _ = _a_booking(demo_db)
    for query in (f"{number} {passport}", f"{number} {passport[:2]} {passport[2:]}", f"{number}/{passport}"):
        r = search(demo_db, query)
        assert r.open_directly is not None and r.open_directly.number == number, query


def test_booking_with_wrong_passport_is_not_opened(demo_db) -> None:  # type: ignore[no-untyped-def]
    number, passport, _ = _a_booking(demo_db)
    wrong = passport[:-1] + ("0" if passport[-1] != "0" else "1")
    r = search(demo_db, f"{number} {wrong}")
    assert r.hits == [] and r.open_directly is None
    assert "Паспорт не совпадает" in (r.message or "")


def test_scanned_gost_string_opens_the_account(demo_db) -> None:  # type: ignore[no-untyped-def]
    payload = build_payload([
        ("Name", "ООО «ДЭМ Интернет»"), ("PersonalAcc", "40702810210000123456"), ("BankName", "АО «ТБанк»"),
        ("BIC", "044525974"), ("CorrespAcc", "30101810145250000974"), ("Sum", "110000"),
        ("PersAcc", "0000001"),
    ])
    # A keyboard-wedge scanner delivers the cp1251 bytes as Latin-1 characters.
    typed = payload.decode("latin-1")
    r = search(demo_db, typed)
    assert r.open_directly is not None and r.open_directly.number == "0000001"
    r = search(demo_db, payload.decode("cp1251"))
    assert r.open_directly is not None and r.open_directly.number == "0000001"


def test_nothing_found_suggests_what_to_try(demo_db) -> None:  # type: ignore[no-untyped-def]
    r = search(demo_db, "Щщщщщщ")
    assert r.hits == [] and "Попробуйте" in (r.message or "")


def test_paging_returns_every_row_once(demo_db) -> None:  # type: ignore[no-untyped-def]
    first = search(demo_db, "а", limit=20)  # no name starts with «а»? then use a common prefix
    query = "к" if not first.hits else "а"
    seen: list[tuple[str, str]] = []
    offset = 0
    while True:
        page = search(demo_db, query, offset=offset, limit=20)
        seen += numbers(page)
        offset = page.next_offset
        if not page.has_more:
            break
    assert len(seen) > 40
    assert len(seen) == len(set(seen))


def test_classify_recognises_kinds() -> None:
    assert "phone" in classify("+7 920 882-14-41").kinds
    assert "login" in classify("dem001").kinds
    assert "contract" in classify("DEM-0000002").kinds
    assert "booking_passport" in classify("5100007 75 5211554").kinds
    assert "address" in classify("Ленина 85").kinds
    assert classify("ST00012|Name=x").kinds == ("gost",)
    assert classify("   ").kinds == ()


def test_search_on_postgresql(pg_demo_db) -> None:  # type: ignore[no-untyped-def]
    assert numbers(search(pg_demo_db, "0000001")) == [("account", "0000001")]
    assert numbers(search(pg_demo_db, "dem001")) == [("account", "0000001")]
    r = search(pg_demo_db, "ива")
    by_name = [h for h in r.hits if h.matched_by == "ФИО абонента"]
    assert by_name and all(h.title.lower().startswith("ива") for h in by_name)
    by_address = [h for h in r.hits if h.matched_by == "адрес"]
    assert all("ул. Ива" in h.detail for h in by_address)
