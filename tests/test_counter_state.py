"""counter_state: an action is enabled exactly when its service would go through, with the same reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cashier_app.domain.errors import UserError
from cashier_app.services import bonuses, card_open, cards, cash, shifts
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.counter_state import ACTION_KEYS, counter_state
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_bonuses_service import add_booking, ensure_rate, manager_ctx, set_balance
from tests.test_ledger import ctx_for


def refusal(call: Callable[[], object]) -> str | None:
    """The service's own refusal text, or None when it went through."""
    try:
        call()
    except UserError as exc:
        return str(exc)
    return None


def pay_cash(ctx: DeskContext, *, account: str | None = None, booking: str | None = None) -> str | None:
    return refusal(lambda: cash.take_cash(ctx, token=cash.new_token(), amount_minor=100,
                                          account=account, booking=booking))


def open_card(ctx: DeskContext, *, account: str | None = None, booking: str | None = None) -> str | None:
    # ``open_order`` writes the order before any bank call: the whole refusal path, no network.
    return refusal(lambda: card_open.open_order(ctx, account=account, booking=booking,
                                                amount_minor=10_000 if account else None))


def test_nothing_chosen_disables_every_action(fresh_db) -> None:  # type: ignore[no-untyped-def]
    state = counter_state(ctx_for(fresh_db, "cashier"), None)
    assert set(state.actions) == set(ACTION_KEYS)
    assert all(not a.enabled and a.reason == "Выберите лицевой счёт или заявку" for a in state.actions.values())
    assert state.shift.open is False and state.shift.number is None


def test_a_shift_open_under_another_user_is_named_not_called_closed(fresh_db) -> None:  # type: ignore[no-untyped-def]
    """The indicator says «открыта» (the desk's shift); the refusal for the other user must agree and say whose."""
    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    shifts.open_shift(cashier, 0)
    card = cards.account_card(manager, "0000001")
    state = counter_state(manager, card)
    expected = pay_cash(manager, account="0000001")
    assert expected is not None and "открыта пользователем" in expected and cashier.user.full_name in expected
    assert state.shift.open is True
    assert state.actions["cash"].enabled is False and state.actions["cash"].reason == expected


def test_cash_needs_an_open_shift_and_says_it_as_the_service_does(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    card = cards.account_card(ctx, "0000001")
    state = counter_state(ctx, card)
    expected = pay_cash(ctx, account="0000001")
    assert expected is not None and "смена не открыта" in expected
    assert state.actions["cash"].enabled is False and state.actions["cash"].reason == expected
    assert state.actions["documents"].enabled is True

    summary = shifts.open_shift(ctx, 150_000)
    cash.take_cash(ctx, token=cash.new_token(), amount_minor=20_000, account="0000002")
    state = counter_state(ctx, card)
    assert state.actions["cash"].enabled is True and state.actions["cash"].reason is None
    badge = state.shift
    assert badge.open and badge.number == summary.number and badge.cashier == ctx.user.full_name
    # The books' figure is shifts' own: float + the payment.
    assert badge.cash_on_hand_minor == shifts.current(ctx).expected_minor == 170_000
    assert badge.opened_at is not None and badge.opened_at.tzinfo is not None
    assert pay_cash(ctx, account="0000001") is None  # enabled ⇔ the payment goes through


def test_card_needs_no_shift_and_agrees_with_the_order(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    state = counter_state(ctx, cards.account_card(ctx, "0000001"))
    expected = open_card(ctx, account="0000001")
    assert state.actions["card"].enabled is (expected is None)
    assert state.actions["card"].reason == expected


def test_fully_paid_booking_refuses_cash_card_and_bonuses_alike(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "manager")
    shifts.open_shift(ctx, 0)
    number = add_booking(fresh_db, price=100_000, paid=100_000)
    set_balance(fresh_db, "manager", "plus", 5_000)
    card = cards.booking_card(ctx, number, TODAY)
    state = counter_state(ctx, card)
    for key, expected in (("cash", pay_cash(ctx, booking=number)), ("card", open_card(ctx, booking=number))):
        assert expected is not None, key
        assert state.actions[key].enabled is False and state.actions[key].reason == expected, key
    assert state.actions["bonuses"].enabled is False
    # The bonus dialog would open disabled with spend_info's first reason: the same words.
    info = bonuses.spend_info(manager_ctx(fresh_db), number, TODAY)
    assert info.reasons and state.actions["bonuses"].reason == info.reasons[0]


def test_no_rate_for_today_stops_a_foreign_currency_booking(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 0)
    number = add_booking(fresh_db, price=100_000, paid=20_000, currency="EUR")
    with fresh_db.uow() as uow:
        uow.session.execute(m.ExchangeRate.__table__.delete().where(m.ExchangeRate.currency == "EUR",
                                                                    m.ExchangeRate.day == TODAY))
        uow.commit()
    state = counter_state(ctx, cards.booking_card(ctx, number, TODAY))
    expected = pay_cash(ctx, booking=number)
    assert expected is not None and "курс" in expected
    assert state.actions["cash"] == type(state.actions["cash"])(False, expected)
    assert state.actions["card"].reason == open_card(ctx, booking=number)
    ensure_rate(fresh_db, TODAY, "EUR", "101.25")
    state = counter_state(ctx, cards.booking_card(ctx, number, TODAY))
    assert state.actions["cash"].enabled and pay_cash(ctx, booking=number) is None


def test_closed_account_takes_no_money(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 0)
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.Account).where(m.Account.number == "0000003")
                            .values(closed_on=TODAY - timedelta(days=2)))
        uow.commit()
    state = counter_state(ctx, cards.account_card(ctx, "0000003"))
    expected = pay_cash(ctx, account="0000003")
    assert expected is not None and "закрыт" in expected
    assert state.actions["cash"].enabled is False and state.actions["cash"].reason == expected
    assert state.actions["card"].enabled is False and state.actions["card"].reason == open_card(ctx, account="0000003")


def test_a_user_without_rights_gets_reasons_not_exceptions(fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    nobody = DeskContext(fresh_db, ctx.desk)  # signed out: no rights at all
    card = cards.account_card(ctx, "0000001")
    state = counter_state(nobody, card)
    assert all(not a.enabled and a.reason and "Войдите" in a.reason for k, a in state.actions.items()
               if k != "bonuses")
    assert state.actions["cash"].reason == pay_cash(nobody, account="0000001")

    number = add_booking(fresh_db, price=100_000, paid=90_000)
    state = counter_state(ctx, cards.booking_card(ctx, number, TODAY))
    expected = refusal(lambda: bonuses.spend(ctx, number, {"plus": 100}, TODAY))
    assert expected is not None and "Недостаточно прав" in expected
    assert state.actions["bonuses"].enabled is False and state.actions["bonuses"].reason == expected


@pytest.mark.parametrize("case", ["account", "blocked", "no_bonus_account", "empty", "ok"])
def test_bonuses_reasons_match_the_spending_dialog(fresh_db, case: str) -> None:  # type: ignore[no-untyped-def]
    ctx = manager_ctx(fresh_db)
    if case == "account":
        state = counter_state(ctx, cards.account_card(ctx, "0000001"))
        assert state.actions["bonuses"].enabled is False and "заявку" in (state.actions["bonuses"].reason or "")
        return
    number = add_booking(fresh_db, price=100_000, paid=50_000 if case == "blocked" else 90_000)
    if case == "no_bonus_account":
        with fresh_db.uow() as uow:  # a new manager outside any agency, without an own account
            user = m.User(login="newbie", full_name="Новикова Н. Н.", role="manager", password_hash="x")
            uow.session.add(user)
            uow.session.flush()
            ctx = DeskContext(fresh_db, "desk-1", UserInfo(user.id, user.login, user.full_name, user.role),
                              today_override=TODAY)
            uow.commit()
    elif case != "empty":
        set_balance(fresh_db, "manager", "plus", 5_000)
    else:
        with fresh_db.uow() as uow:
            uow.session.execute(update(m.BonusBalance).values(active_minor=0))
            uow.commit()
    state = counter_state(ctx, cards.booking_card(ctx, number, TODAY)).actions["bonuses"]
    info = bonuses.spend_info(ctx, number, TODAY)
    if case == "ok":
        assert state.enabled and info.reasons == []
        own = next(a for a in info.accounts if a.kind == "manager")
        assert refusal(lambda: bonuses.spend(ctx, number, {"plus": 1_000}, TODAY, account=own.account_id)) is None
    elif case == "empty":
        assert not state.enabled and "списывать нечего" in (state.reason or "")
        assert all(v == 0 for a in info.accounts for v in a.balances.values())
    else:
        assert not state.enabled and info.reasons and state.reason == info.reasons[0]


def test_one_read_transaction_for_a_busy_card(fresh_db) -> None:  # type: ignore[no-untyped-def]
    """Cheap: the main window calls it after every card; count the statements it sends."""
    from sqlalchemy import event

    ctx = manager_ctx(fresh_db)
    shifts.open_shift(ctx, 0)
    number = add_booking(fresh_db, price=100_000, paid=90_000)
    card = cards.booking_card(ctx, number, TODAY)
    statements: list[str] = []

    def count(*_a: object) -> None:
        statements.append("x")

    event.listen(fresh_db.engine, "before_cursor_execute", count)
    try:
        counter_state(ctx, card)
    finally:
        event.remove(fresh_db.engine, "before_cursor_execute", count)
    assert 0 < len(statements) < 60


def test_badge_shows_another_cashiers_shift_on_this_desk(fresh_db) -> None:  # type: ignore[no-untyped-def]
    cashier = ctx_for(fresh_db, "cashier")
    shifts.open_shift(cashier, 5_000)
    manager = ctx_for(fresh_db, "manager")
    state = counter_state(manager, cards.account_card(manager, "0000001"))
    assert state.shift.open and state.shift.cashier == cashier.user.full_name
    assert state.shift.cash_on_hand_minor == 5_000
    # The manager has no shift of their own here: the cash desk refuses, and says so.
    assert state.actions["cash"].reason == pay_cash(manager, account="0000001")
    with fresh_db.read() as uow:
        assert uow.session.execute(select(m.CashShift.status)).scalars().all().count("open") == 1
