"""The demo office is realistic and obeys the ledger's invariants."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from cashier_app.domain.requisites import validate_payee
from cashier_app.services.passwords import verify_password
from cashier_app.storage import models as m
from cashier_app.storage.demo import DEMO_USERS
from tests.conftest import TODAY


def test_every_payee_has_valid_requisites(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as uow:
        payees = uow.session.execute(select(m.Payee)).scalars().all()
        assert len(payees) == 5
        for p in payees:
            problems = validate_payee(
                name=p.name, inn=p.inn, kpp=p.kpp, bic=p.bic, account=p.account, corr_account=p.corr_account
            )
            assert problems == [], (p.code, problems)
            assert len(p.postal_index) == 6 and p.postal_index.isdigit()
        assert {p.tech_code for p in payees} == {"09", "11"}


def test_accounts_unique_with_leading_zeros_kept(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as uow:
        s = uow.session
        numbers = s.execute(select(m.Account.number)).scalars().all()
        assert 1900 <= len(numbers) <= 2100
        assert len(numbers) == len(set(numbers))
        assert "0000001" in numbers and "01" in numbers and "1" in numbers
        assert sum(1 for n in numbers if n.startswith("0")) > 500
        logins = s.execute(select(m.Account.login)).scalars().all()
        assert "dem001" in logins and len(set(logins)) == len(logins)
        multi = s.execute(
            select(m.Account.contract_id).group_by(m.Account.contract_id).having(func.count() > 1)
        ).all()
        assert len(multi) > 50
        negative = s.execute(select(func.count()).where(m.Account.balance_minor < 0)).scalar_one()
        assert 200 < negative < 800


def test_balances_equal_ledger(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Every account: balance = credited payments − charges; every booking: paid = credited payments."""
    with demo_db.read() as uow:
        s = uow.session
        paid = dict(s.execute(
            select(m.Payment.account_id, func.sum(m.Payment.amount_minor))
            .where(m.Payment.account_id.is_not(None), m.Payment.credited.is_(True))
            .group_by(m.Payment.account_id)
        ).all())
        charged = dict(s.execute(
            select(m.AccountCharge.account_id, func.sum(m.AccountCharge.amount_minor)).group_by(
                m.AccountCharge.account_id)
        ).all())
        for aid, balance in s.execute(select(m.Account.id, m.Account.balance_minor)):
            assert balance == paid.get(aid, 0) - charged.get(aid, 0), aid
        booking_paid = dict(s.execute(
            select(m.Payment.booking_id, func.sum(m.Payment.target_amount_minor))
            .where(m.Payment.booking_id.is_not(None), m.Payment.credited.is_(True))
            .group_by(m.Payment.booking_id)
        ).all())
        for bid, paid_minor in s.execute(select(m.Booking.id, m.Booking.paid_minor)):
            assert paid_minor == booking_paid.get(bid, 0), bid


def test_bookings_cover_every_tour_type_currency_and_date_range(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as uow:
        s = uow.session
        rows = s.execute(select(m.Booking)).unique().scalars().all()
        assert 450 <= len(rows) <= 550
        assert set(Counter(b.tour_type for b in rows)) == {
            "standard", "individual", "hotel_only", "ticket_only", "fit", "domestic", "promo", "group"}
        assert {b.currency for b in rows} == {"USD", "EUR"}
        soon = [b for b in rows if TODAY < b.departure_on <= TODAY + timedelta(days=3)]
        far = [b for b in rows if b.departure_on > TODAY + timedelta(days=90)]
        assert soon and far
        shares = {b.paid_minor * 100 // b.price_minor for b in rows if b.price_minor}
        assert {0, 100} <= shares and len(shares) >= 5
        assert all(b.tourists and all(t.passport_no.isdigit() for t in b.tourists) for b in rows)
        rates = s.execute(select(m.ExchangeRate.currency, func.count()).group_by(m.ExchangeRate.currency)).all()
        assert dict(rates) == {"USD": 31, "EUR": 31}
        assert s.execute(select(func.count()).select_from(m.BonusAccount)).scalar_one() >= 4


def test_demo_users_sign_in_with_printed_passwords(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as uow:
        users = {u.login: u for u in uow.session.execute(select(m.User)).scalars()}
    for login, password, role, _name in DEMO_USERS:
        assert users[login].role == role
        assert verify_password(users[login].password_hash, password)
        assert not verify_password(users[login].password_hash, password + "x")


def test_demo_is_deterministic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_sqlite_office

    a = make_sqlite_office(tmp_path / "a.sqlite3", accounts=300)
    b = make_sqlite_office(tmp_path / "b.sqlite3", accounts=300)
    q = select(m.Account.number, m.Account.balance_minor, m.Contract.full_name).join(m.Contract).order_by(m.Account.id)
    with a.read() as ua, b.read() as ub:
        assert ua.session.execute(q).all() == ub.session.execute(q).all()
    a.dispose()
    b.dispose()


def test_demo_on_postgresql(pg_demo_db) -> None:  # type: ignore[no-untyped-def]
    with pg_demo_db.read() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(m.Account)).scalar_one() == 2000
        assert s.execute(select(m.Account.number).where(m.Account.number == "0000001")).scalar_one()
    # Sequences moved past the explicit ids: a new row gets a fresh id.
    with pg_demo_db.uow() as uow:
        uow.session.add(m.Counter(name="probe", value=1))
        rate = m.ExchangeRate(currency="CNY", day=TODAY, rate=12)
        uow.session.add(rate)
        uow.session.flush()
        assert rate.id > 62
        uow.rollback()
