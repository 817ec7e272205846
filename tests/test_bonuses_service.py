"""Sales & Smiles on the database: spending, accrual, burning, refunds on a price decrease, roles."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from cashier_app.domain.bonus_rules import INSUFFICIENT_BONUSES, next_month_start
from cashier_app.domain.errors import PermissionDenied, RuleViolation, ValidationError
from cashier_app.domain.money import convert_to_rub
from cashier_app.services import audit, bonuses
from cashier_app.services.cards import booking_card
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_ledger import ctx_for

_seq = iter(range(1, 10_000))


def add_booking(db, *, price: int = 100_000, paid: int = 90_000, departure: date | None = None,  # type: ignore[no-untyped-def]
                tour_type: str = "standard", currency: str = "USD", status: str = "confirmed",
                manager_login: str = "manager", paid_on: date | None = None, confirmed_on: date | None = None,
                nights: int = 7, hotel_select: bool = False, plus: Decimal | None = None,
                non_commission: int = 0, agency_id: int | None = -1, tourists: int = 1) -> str:
    """A booking with one credited ledger payment of ``paid`` on ``paid_on``; returns its number."""
    departure = departure or TODAY + timedelta(days=20)
    paid_on = paid_on or TODAY
    n = next(_seq)
    number = f"T{n:07d}"
    with db.uow() as uow:
        s = uow.session
        mgr = s.execute(select(m.User).where(m.User.login == manager_login)).scalar_one()
        b = m.Booking(number=number, payee_id=s.execute(select(m.Payee.id).where(m.Payee.kind == "travel")).scalars().first(),
                      agency_id=mgr.agency_id if agency_id == -1 else agency_id, manager_id=mgr.id, status=status,
                      tour_type=tour_type, country="Турция", hotel="Test Hotel", hotel_select=hotel_select,
                      plus_bonus_percent=plus, departure_on=departure, return_on=departure + timedelta(days=nights),
                      currency=currency, price_minor=price, paid_minor=paid, non_commission_minor=non_commission,
                      created_on=min(paid_on, confirmed_on or paid_on) - timedelta(days=1),
                      confirmed_on=confirmed_on or (paid_on - timedelta(days=1) if status != "awaiting" else None),
                      first_paid_on=paid_on if paid else None,
                      fully_paid_on=paid_on if paid and paid >= price else None)
        s.add(b)
        s.flush()
        for i in range(tourists):
            s.add(m.Tourist(booking_id=b.id, full_name=f"Тестов Тест {i}", name_norm=f"тестов тест {i}",
                            passport_no=f"7{n:07d}{i}", birth_date=date(1980, 1, 1), is_lead=i == 0))
        if paid:
            rate = Decimal("90.0000")
            when = datetime.combine(paid_on, time(12), tzinfo=UTC)
            s.add(m.Payment(number=f"PT-{n:07d}", entry_kind="payment", method="cash", status="paid",
                            amount_minor=convert_to_rub(paid, rate), currency="RUB", target_amount_minor=paid,
                            target_currency=currency, rate=rate, rate_day=paid_on, booking_id=b.id,
                            payee_id=b.payee_id, desk="t", created_at=when, settled_at=when, credited=True))
        uow.commit()
    return number


def set_balance(db, login_or_agency: str | int, bonus_type: str, amount: int, currency: str = "USD") -> int:  # type: ignore[no-untyped-def]
    """Set an account's balance row; returns the account id (manager by login, agency by id)."""
    with db.uow() as uow:
        s = uow.session
        if isinstance(login_or_agency, str):
            user = s.execute(select(m.User).where(m.User.login == login_or_agency)).scalar_one()
            acc = bonuses.manager_account(s, user)
        else:
            acc = bonuses.agency_account(s, login_or_agency)
        assert acc is not None
        row = s.execute(select(m.BonusBalance).where(m.BonusBalance.account_id == acc.id,
                                                     m.BonusBalance.bonus_type == bonus_type,
                                                     m.BonusBalance.currency == currency)).scalar_one_or_none()
        if row is None:
            s.add(m.BonusBalance(account_id=acc.id, bonus_type=bonus_type, currency=currency, active_minor=amount))
        else:
            row.active_minor = amount
        uow.commit()
        return acc.id


def ensure_rate(db, day: date, currency: str = "USD", rate: str = "92.4567") -> None:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        s = uow.session
        if s.execute(select(m.ExchangeRate).where(m.ExchangeRate.currency == currency,
                                                  m.ExchangeRate.day == day)).first() is None:
            s.add(m.ExchangeRate(currency=currency, day=day, rate=Decimal(rate)))
        uow.commit()


def snapshot(db, number: str) -> tuple:  # type: ignore[no-untyped-def]
    """Everything a refused write-off must leave untouched."""
    with db.read() as uow:
        s = uow.session
        b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one()
        return (b.paid_minor,
                tuple(s.execute(select(m.BonusBalance.id, m.BonusBalance.active_minor).order_by(m.BonusBalance.id)).all()),
                s.execute(select(func.count()).select_from(m.BonusTransaction)).scalar_one(),
                s.execute(select(func.count()).select_from(m.Payment)).scalar_one(),
                s.execute(select(func.count()).select_from(m.AuditEvent)).scalar_one())


def manager_ctx(db, today: date = TODAY) -> DeskContext:  # type: ignore[no-untyped-def]
    ctx = ctx_for(db, "manager")
    return DeskContext(db, "desk-1", ctx.user, today_override=today)


# --- spending ---------------------------------------------------------------------


def test_spend_ok_moves_balance_paid_and_ledger(fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=90_000, departure=TODAY + timedelta(days=8))
    acc = set_balance(fresh_db, "manager", "plus", 50_000)
    ctx = manager_ctx(fresh_db)
    info = bonuses.spend_info(ctx, number, TODAY)
    assert info.reasons == [] and info.cap_minor == 10_000
    own = next(a for a in info.accounts if a.kind == "manager")
    assert own.max_by_type["plus"] == 10_000  # min(balance 500, cap 100, due 100)
    r = bonuses.spend(ctx, number, {"plus": 6_000}, TODAY)
    assert r.total_minor == 6_000 and r.paid_minor == 96_000 and r.account_id == acc
    with fresh_db.read() as uow:
        s = uow.session
        bal = s.execute(select(m.BonusBalance.active_minor).where(m.BonusBalance.account_id == acc,
                                                                  m.BonusBalance.bonus_type == "plus",
                                                                  m.BonusBalance.currency == "USD")).scalar_one()
        assert bal == 44_000
        p = s.execute(select(m.Payment).where(m.Payment.number == r.payment_number)).scalar_one()
        rate = s.execute(select(m.ExchangeRate.rate).where(m.ExchangeRate.currency == "USD",
                                                           m.ExchangeRate.day == TODAY)).scalar_one()
        assert (p.method, p.credited, p.target_amount_minor, p.rate_day) == ("bonus", True, 6_000, TODAY)
        assert p.amount_minor == convert_to_rub(6_000, Decimal(rate))
        t = s.execute(select(m.BonusTransaction).where(m.BonusTransaction.kind == "spend",
                                                       m.BonusTransaction.booking_id == p.booking_id)).scalar_one()
        assert (t.state, t.amount_minor, t.currency) == ("spent", 6_000, "USD")
    card = booking_card(ctx_for(fresh_db), number, TODAY)
    assert card.paid_minor == 96_000
    bonus_line = next(x for x in card.methods if x.method == "bonuses")
    assert bonus_line.max_minor == 4_000  # the cap left after 60 spent
    assert audit.verify(fresh_db).ok


@pytest.mark.parametrize("requested", [{"plus": 10_001}, {"plus": 6_000, "select": 4_001}, {"select": 30_001}])
def test_more_than_allowed_is_refused_and_changes_nothing(fresh_db, requested) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=90_000)
    set_balance(fresh_db, "manager", "plus", 50_000)
    set_balance(fresh_db, "manager", "select", 30_000)
    before = snapshot(fresh_db, number)
    with pytest.raises(RuleViolation, match=INSUFFICIENT_BONUSES):
        bonuses.spend(manager_ctx(fresh_db), number, requested, TODAY)
    assert snapshot(fresh_db, number) == before


@pytest.mark.parametrize(("days", "ok"), [(7, False), (8, True)])
def test_days_before_departure(fresh_db, days: int, ok: bool) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, departure=TODAY + timedelta(days=days))
    set_balance(fresh_db, "manager", "plus", 50_000)
    if ok:
        assert bonuses.spend(manager_ctx(fresh_db), number, {"plus": 1_000}, TODAY).total_minor == 1_000
    else:
        before = snapshot(fresh_db, number)
        with pytest.raises(RuleViolation, match="до вылета 7 дней"):
            bonuses.spend(manager_ctx(fresh_db), number, {"plus": 1_000}, TODAY)
        assert snapshot(fresh_db, number) == before


@pytest.mark.parametrize(("paid", "ok"), [(89_990, False), (90_000, True)])
def test_paid_share_boundary(fresh_db, paid: int, ok: bool) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=paid)
    set_balance(fresh_db, "manager", "plus", 50_000)
    if ok:
        bonuses.spend(manager_ctx(fresh_db), number, {"plus": 1_000}, TODAY)
    else:
        with pytest.raises(RuleViolation, match="оплачено 89,99 %"):
            bonuses.spend(manager_ctx(fresh_db), number, {"plus": 1_000}, TODAY)


def test_seed_example_tour_on_28_01_paid_90_on_20_01(fresh_db) -> None:  # type: ignore[no-untyped-def]
    day = date(TODAY.year + 1, 1, 20)
    ensure_rate(fresh_db, day)
    number = add_booking(fresh_db, price=200_000, paid=180_000, departure=date(day.year, 1, 28), paid_on=day)
    set_balance(fresh_db, "manager", "select", 30_000)
    r = bonuses.spend(manager_ctx(fresh_db, day), number, {"select": 20_000}, day)
    assert r.paid_minor == 200_000


def test_agency_account_and_no_rate_refusal(fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db)
    set_balance(fresh_db, 1, "agent", 5_000)
    r = bonuses.spend(manager_ctx(fresh_db), number, {"agent": 5_000}, TODAY, account="agency")
    assert r.account_name.startswith("ООО «Турагентство Магеллан»")
    number2 = add_booking(fresh_db, currency="EUR")
    set_balance(fresh_db, "manager", "plus", 5_000, "EUR")
    with fresh_db.uow() as uow:
        uow.session.execute(m.ExchangeRate.__table__.delete().where(m.ExchangeRate.currency == "EUR",
                                                                    m.ExchangeRate.day == TODAY))
        uow.commit()
    with pytest.raises(RuleViolation, match="нет курса EUR"):
        bonuses.spend(manager_ctx(fresh_db), number2, {"plus": 1_000}, TODAY)


def test_roles_and_bad_input(fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db)
    with pytest.raises(PermissionDenied, match="списание бонусов"):
        bonuses.spend(ctx_for(fresh_db, "cashier"), number, {"plus": 100}, TODAY)
    with pytest.raises(PermissionDenied):
        bonuses.spend_info(ctx_for(fresh_db, "cashier"), number, TODAY)
    with pytest.raises(ValidationError, match="Тип бонуса"):
        bonuses.spend(manager_ctx(fresh_db), number, {"gold": 100}, TODAY)
    with pytest.raises(ValidationError, match="Sales & Smiles Plus"):
        bonuses.spend(manager_ctx(fresh_db), number, {"plus": -1}, TODAY)
    with pytest.raises(RuleViolation, match="введите сумму"):
        bonuses.spend(manager_ctx(fresh_db), number, {}, TODAY)
    with pytest.raises(PermissionDenied):
        bonuses.accrue(manager_ctx(fresh_db), TODAY)


def test_forbidden_tour_type(fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, tour_type="hotel_only")
    set_balance(fresh_db, "manager", "plus", 50_000)
    with pytest.raises(RuleViolation, match="Только отель"):
        bonuses.spend(manager_ctx(fresh_db), number, {"plus": 100}, TODAY)


# --- price changes ---------------------------------------------------------------------


def test_price_decrease_returns_spent_bonuses_first(fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=90_000)
    acc = set_balance(fresh_db, "manager", "plus", 20_000)
    ctx = manager_ctx(fresh_db)
    bonuses.spend(ctx, number, {"plus": 7_000}, TODAY)  # paid 970, spent 70
    first = bonuses.change_price(ctx, number, 95_000, TODAY)  # overpaid 20 → all bonuses
    assert (first.bonus_refund_minor, first.money_refund_minor) == (2_000, 0)
    second = bonuses.change_price(ctx, number, 80_000, TODAY)  # paid 950, overpaid 150: 50 bonus + 100 money
    assert (second.bonus_refund_minor, second.money_refund_minor) == (5_000, 10_000)
    with fresh_db.read() as uow:
        s = uow.session
        b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one()
        assert b.paid_minor == 90_000 and b.price_minor == 80_000
        ledger_sum = s.execute(select(func.sum(m.Payment.target_amount_minor)).where(
            m.Payment.booking_id == b.id, m.Payment.credited.is_(True))).scalar_one()
        assert ledger_sum == b.paid_minor  # the balance still equals the credited entries
        bal = s.execute(select(m.BonusBalance.active_minor).where(
            m.BonusBalance.account_id == acc, m.BonusBalance.bonus_type == "plus",
            m.BonusBalance.currency == "USD")).scalar_one()
        assert bal == 20_000
    assert audit.verify(fresh_db).ok
    with pytest.raises(ValidationError, match="Новая стоимость"):
        bonuses.change_price(ctx, number, 80_000, TODAY)
    with pytest.raises(PermissionDenied):
        bonuses.change_price(ctx_for(fresh_db, "cashier"), number, 70_000, TODAY)


def test_cancelled_booking_keeps_spent_bonuses(fresh_db) -> None:  # type: ignore[no-untyped-def]
    number = add_booking(fresh_db, price=100_000, paid=90_000)
    set_balance(fresh_db, "manager", "plus", 20_000)
    ctx = manager_ctx(fresh_db)
    bonuses.spend(ctx, number, {"plus": 5_000}, TODAY)
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.Booking).where(m.Booking.number == number).values(status="cancelled"))
        uow.commit()
    with pytest.raises(RuleViolation, match="не возвращаются"):
        bonuses.change_price(ctx, number, 50_000, TODAY)


# --- accrual and burning -----------------------------------------------------------------


def _accruals(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.BonusTransaction.dedupe_key, m.BonusTransaction.state,
                                          m.BonusTransaction.amount_minor, m.BonusTransaction.active_from)
                                   .where(m.BonusTransaction.kind == "accrual")
                                   .order_by(m.BonusTransaction.dedupe_key)).all()


def _balances(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.BonusBalance.id, m.BonusBalance.active_minor)
                                   .order_by(m.BonusBalance.id)).all()


def test_accrue_select_plus_and_idempotent(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    dep = TODAY - timedelta(days=12)
    # Returned 5 days ago, fully paid 40 days before departure: Select for both and Plus.
    done = add_booking(fresh_db, price=200_000, paid=200_000, departure=dep, nights=7, paid_on=dep - timedelta(days=40),
                       hotel_select=True, plus=Decimal("1.5"), non_commission=10_000)
    # Exactly 30 days before departure: no Select; returns in the future: expected only.
    edge = add_booking(fresh_db, price=100_000, paid=100_000, departure=TODAY + timedelta(days=30), paid_on=TODAY,
                       hotel_select=True, plus=Decimal("2"))
    promo = add_booking(fresh_db, price=100_000, paid=100_000, departure=dep, paid_on=dep - timedelta(days=60),
                        tour_type="promo", hotel_select=True)
    first = bonuses.accrue(admin, TODAY)
    rows, bal = _accruals(fresh_db), _balances(fresh_db)
    second = bonuses.accrue(admin, TODAY)
    assert (second.created, second.activated, second.updated, second.removed, second.agent) == (0, 0, 0, 0, 0)
    assert _accruals(fresh_db) == rows and _balances(fresh_db) == bal
    assert first.created >= 4
    with fresh_db.read() as uow:
        s = uow.session

        def txns(number: str) -> dict[str, tuple]:
            bid = s.execute(select(m.Booking.id).where(m.Booking.number == number)).scalar_one()
            return {t.dedupe_key.split(":")[1] + ":" + s.get(m.BonusAccount, t.account_id).owner_kind:
                    (t.state, t.amount_minor) for t in s.execute(select(m.BonusTransaction).where(
                        m.BonusTransaction.booking_id == bid, m.BonusTransaction.kind == "accrual")).scalars()}

        # 0.25 % of (2000 − 100) = 4.75; Plus 1.5 % = 28.50; active: returned 5 days ago.
        assert txns(done) == {"select:manager": ("active", 475), "select:agency": ("active", 475),
                              "plus:manager": ("active", 2850)}
        assert txns(edge) == {"plus:manager": ("expected", 2000)}
        assert txns(promo) == {}
    # A later cancellation takes the expected accrual out of the programme.
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.Booking).where(m.Booking.number == edge).values(status="cancelled"))
        uow.commit()
    assert bonuses.accrue(admin, TODAY).removed == 1


def _burn_setup(db, with_sale: bool) -> tuple[int, date]:  # type: ignore[no-untyped-def]
    """A manager with 100 USD active since before last month, 30 USD activated in it."""
    month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    with db.uow() as uow:
        s = uow.session
        u = m.User(login=f"burn{int(with_sale)}", full_name="Бурова Анна", role="manager", password_hash="!",
                   agency_id=4)
        s.add(u)
        s.flush()
        acc = bonuses.manager_account(s, u)
        s.add(m.BonusBalance(account_id=acc.id, bonus_type="plus", currency="USD", active_minor=13_000))
        for key, amount, since in (("old", 10_000, month - timedelta(days=5)), ("new", 3_000, month + timedelta(days=3))):
            s.add(m.BonusTransaction(account_id=acc.id, bonus_type="plus", kind="accrual", amount_minor=amount,
                                     currency="USD", state="active", created_on=since, active_from=since,
                                     dedupe_key=f"t:{u.login}:{key}"))
        uow.commit()
        acc_id = acc.id
    if with_sale:
        add_booking(db, manager_login=f"burn{int(with_sale)}", price=100_000, paid=60_000,
                    confirmed_on=month + timedelta(days=2), paid_on=month + timedelta(days=3),
                    departure=month + timedelta(days=60))
    return acc_id, month


@pytest.mark.parametrize("with_sale", [False, True])
def test_burn_with_and_without_sales(fresh_db, with_sale: bool) -> None:  # type: ignore[no-untyped-def]
    acc, month = _burn_setup(fresh_db, with_sale)
    admin = ctx_for(fresh_db, "admin")
    with pytest.raises(RuleViolation, match="не закончился"):
        bonuses.burn(admin, TODAY, TODAY)
    today = next_month_start(month)
    bonuses.burn(admin, month, today)
    again = bonuses.burn(admin, month, today)
    assert again.burnt_by_currency.get("USD", 0) == 0
    with fresh_db.read() as uow:
        s = uow.session
        bal = s.execute(select(m.BonusBalance.active_minor).where(m.BonusBalance.account_id == acc)).scalar_one()
        states = dict(s.execute(select(m.BonusTransaction.dedupe_key, m.BonusTransaction.state).where(
            m.BonusTransaction.account_id == acc, m.BonusTransaction.kind == "accrual")).all())
        burns = s.execute(select(func.count()).select_from(m.BonusTransaction).where(
            m.BonusTransaction.account_id == acc, m.BonusTransaction.kind == "burn")).scalar_one()
    login = f"burn{int(with_sale)}"
    if with_sale:
        assert bal == 13_000 and burns == 0 and states[f"t:{login}:old"] == "active"
    else:
        # The old 100 burn; the 30 activated within the month stay.
        assert bal == 3_000 and burns == 1
        assert states == {f"t:{login}:old": "burnt", f"t:{login}:new": "active"}


def test_burn_spares_exempt_accounts(fresh_db) -> None:  # type: ignore[no-untyped-def]
    acc, month = _burn_setup(fresh_db, False)
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.BonusAccount).where(m.BonusAccount.id == acc).values(tied_to_agency_user=False))
        uow.commit()
    bonuses.burn(ctx_for(fresh_db, "admin"), month, next_month_start(month))
    with fresh_db.read() as uow:
        assert uow.session.execute(select(m.BonusBalance.active_minor).where(
            m.BonusBalance.account_id == acc)).scalar_one() == 13_000


def test_booking_facts_milestones_from_ledger(fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services.travel_facts import booking_facts

    day = TODAY - timedelta(days=10)
    number = add_booking(fresh_db, price=100_000, paid=40_000, paid_on=day)
    with fresh_db.uow() as uow:
        s = uow.session
        b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one()
        for i, (d, amount) in enumerate(((day + timedelta(days=2), 20_000), (day + timedelta(days=5), 40_000))):
            s.add(m.Payment(number=f"PX-{number}-{i}", method="cash", status="paid", amount_minor=amount * 90,
                            target_amount_minor=amount, target_currency="USD", rate=Decimal(90), rate_day=d,
                            booking_id=b.id, desk="t", created_at=datetime.now(UTC), credited=True))
        b.paid_minor = 100_000
        uow.commit()
    with fresh_db.read() as uow:
        s = uow.session
        b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one()
        f = booking_facts(s, b, TODAY)
        assert (f.paid_50_on, f.fully_paid_on) == (day + timedelta(days=2), day + timedelta(days=5))
