"""Sign-in, lockout after 5 wrong passwords, user administration, and the role matrix over guarded services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cashier_app.domain.errors import PermissionDenied, RuleViolation, ValidationError
from cashier_app.services import (
    audit,
    audit_log,
    booking_payments,
    cards,
    cash,
    corrections,
    documents,
    journal,
    lookup,
    payments_journal,
    rates,
    shifts,
    users,
)
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.permissions import ROLE_PERMISSIONS, allowed
from cashier_app.services.users import SignInError
from cashier_app.storage import models as m
from tests.test_ledger import ctx_for


def test_demo_users_sign_in_and_wrong_password_is_refused(fresh_db) -> None:  # type: ignore[no-untyped-def]
    for login in ("admin", "manager", "cashier"):
        info = users.authenticate(fresh_db, "desk-1", login, login)
        assert info.login == login and info.role == login
    with pytest.raises(SignInError, match="Неверное имя пользователя или пароль"):
        users.authenticate(fresh_db, "desk-1", "cashier", "nope")
    with pytest.raises(SignInError, match="Неверное имя пользователя или пароль"):
        users.authenticate(fresh_db, "desk-1", "ghost", "cashier")
    with pytest.raises(ValidationError, match="Пользователь"):
        users.authenticate(fresh_db, "desk-1", "  ", "x")
    assert audit.verify(fresh_db).ok


def test_lockout_after_five_wrong_passwords_for_five_minutes(fresh_db) -> None:  # type: ignore[no-untyped-def]
    t0 = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
    for i in range(4):
        with pytest.raises(SignInError, match=f"осталось попыток: {4 - i}"):
            users.authenticate(fresh_db, "d", "cashier", "wrong", now=t0)
    with pytest.raises(SignInError, match="заблокирован на 5 мин"):
        users.authenticate(fresh_db, "d", "cashier", "wrong", now=t0)
    # Even the right password is refused while locked, on any desk.
    with pytest.raises(SignInError, match="заблокирован"):
        users.authenticate(fresh_db, "other-desk", "cashier", "cashier", now=t0 + timedelta(minutes=4))
    info = users.authenticate(fresh_db, "d", "cashier", "cashier", now=t0 + timedelta(minutes=5, seconds=1))
    assert info.login == "cashier"
    with fresh_db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == "cashier")).scalar_one()
        assert u.failed_attempts == 0 and u.locked_until is None
    actions = [r.action for r in audit_log.list_events(ctx_for(fresh_db, "admin"), action="auth")]
    assert actions.count("auth.failed") == 5 and "auth.sign_in" in actions


def test_admin_reset_unlocks_and_disabled_user_cannot_sign_in(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    for _ in range(5):
        with pytest.raises(SignInError):
            users.authenticate(fresh_db, "d", "manager", "bad")
    users.reset_password(admin, "manager", "new-secret")
    assert users.authenticate(fresh_db, "d", "manager", "new-secret").role == "manager"
    users.set_active(admin, "manager", False)
    with pytest.raises(SignInError, match="отключён"):
        users.authenticate(fresh_db, "d", "manager", "new-secret")
    with pytest.raises(RuleViolation, match="самого себя"):
        users.set_active(admin, "admin", False)
    with pytest.raises(RuleViolation, match="последний администратор"):
        users.set_role(admin, "admin", "cashier")


def test_user_administration_refuses_wrong_input_naming_the_field(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    cases = [
        (dict(login="Bad Login!", full_name="X", role="cashier", password="secret1"), "Логин"),
        (dict(login="cashier", full_name="X", role="cashier", password="secret1"), "Логин"),
        (dict(login="new1", full_name="  ", role="cashier", password="secret1"), "ФИО"),
        (dict(login="new1", full_name="X", role="boss", password="secret1"), "Роль"),
        (dict(login="new1", full_name="X", role="cashier", password="123"), "Пароль"),
        (dict(login="new1", full_name="X", role="cashier", password="secret1", cash_limit_minor=0), "Лимит наличных"),
        (dict(login="new1", full_name="X", role="cashier", password="secret1", cash_limit_minor=-5), "Лимит наличных"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as err:
            users.add_user(admin, **kwargs)
        assert err.value.field == field, kwargs
    row = users.add_user(admin, "new1", "Новый Кассир", "cashier", "secret1", 100_000)
    assert row.cash_limit_minor == 100_000
    assert users.set_cash_limit(admin, "new1", None).cash_limit_minor is None
    assert users.set_role(admin, "new1", "manager").role == "manager"
    assert users.authenticate(fresh_db, "d", "new1", "secret1").role == "manager"
    actions = {r.action for r in audit_log.list_events(admin, action="user.")}
    assert {"user.add", "user.set_cash_limit", "user.set_role"} <= actions


# Every guarded service, the permission it needs, and a call that reaches the check.
def _calls(db):  # type: ignore[no-untyped-def]
    return {
        "take_cash": ("take_payment", lambda c: cash.take_cash(c, token=cash.new_token(), amount_minor=100,
                                                               account="0000001")),
        "open_shift": ("shift_own", lambda c: shifts.open_shift(c, 0)),
        "x_report": ("shift_own", lambda c: shifts.x_report(c)),
        "cancel": ("correct", lambda c: corrections.cancel_payment(c, "P-000000001", "ошибка")),
        "refund": ("refund", lambda c: corrections.refund_payment(c, "P-000000001", "ошибка")),
        "journal": ("lookup", lambda c: payments_journal.query(c)),
        "audit_list": ("view_audit", lambda c: audit_log.list_events(c)),
        "audit_verify": ("view_audit", lambda c: audit_log.verify(c)),
        "list_users": ("manage_users", lambda c: users.list_users(c)),
        "add_user": ("manage_users", lambda c: users.add_user(c, "zz", "Z", "cashier", "secret1")),
        "set_limit": ("manage_users", lambda c: users.set_cash_limit(c, "cashier", 1000)),
        # Reading what the counter shows (issue 11 §7): each use case checks who asks.
        "search": ("lookup", lambda c: lookup.search(c, "0000001")),
        "account_card": ("lookup", lambda c: cards.account_card(c, "0000001")),
        "booking_card": ("lookup", lambda c: cards.booking_card(c, _a_booking(db))),
        "quote": ("lookup", lambda c: booking_payments.quote(c, _a_booking(db), "cash", None)),
        "list_rates": ("view_rates", lambda c: rates.list_rates(c)),
        "currencies": ("view_rates", lambda c: rates.currencies(c)),
        "reprint": ("print", lambda c: documents.reprint(c, _a_document(db))),
        # The payments journal's «Квитанция» path: the journal itself refuses, whoever calls it.
        "journal_reprint": ("print", lambda c: journal.reprint(c.db, c, _a_document(db))),
    }


def _a_booking(db) -> str:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Booking.number).order_by(m.Booking.id)).scalars().first()


def _a_document(db) -> str:  # type: ignore[no-untyped-def]
    """A journaled document (one is issued as the cashier if the office has none yet)."""
    with db.read() as uow:
        number = uow.session.execute(select(m.Document.number).order_by(m.Document.id)).scalars().first()
    if number is None:
        with db.read() as uow:
            account = uow.session.execute(select(m.Account.number).order_by(m.Account.id)).scalars().first()
        number = documents.issue(ctx_for(db, "cashier"), "pd4", account=account, amount_rub_minor=10_000).number
    return number


EXPECTED = {
    # service: roles allowed
    "take_cash": {"cashier", "manager", "admin"},
    "open_shift": {"cashier", "manager", "admin"},
    "x_report": {"cashier", "manager", "admin"},
    "cancel": {"manager", "admin"},
    "refund": {"manager", "admin"},
    "journal": {"cashier", "manager", "admin"},
    "audit_list": {"admin"},
    "audit_verify": {"admin"},
    "list_users": {"admin"},
    "add_user": {"admin"},
    "set_limit": {"admin"},
    "search": {"cashier", "manager", "admin"},
    "account_card": {"cashier", "manager", "admin"},
    "booking_card": {"cashier", "manager", "admin"},
    "quote": {"cashier", "manager", "admin"},
    "list_rates": {"cashier", "manager", "admin"},
    "currencies": {"cashier", "manager", "admin"},
    "reprint": {"cashier", "manager", "admin"},
    "journal_reprint": {"cashier", "manager", "admin"},
}


def test_the_matrix_is_the_permission_table(fresh_db) -> None:  # type: ignore[no-untyped-def]
    """EXPECTED is what permissions.py grants: a permission moved between roles shows up here."""
    calls = _calls(fresh_db)
    assert set(calls) == set(EXPECTED)
    for name, (perm, _call) in calls.items():
        assert {r for r in ROLE_PERMISSIONS if allowed(r, perm)} == EXPECTED[name], name


# ``None``: not signed in; ``ghost``: signed in with a role that grants nothing (so a check that only asks
# «is someone signed in?» instead of the permission fails too).
@pytest.mark.parametrize("role", ["cashier", "manager", "admin", None, "ghost"])
def test_role_matrix_over_guarded_services(fresh_db, role) -> None:  # type: ignore[no-untyped-def]
    if role == "ghost":
        ctx = DeskContext(fresh_db, "desk-1", UserInfo(10_000, "ghost", "Призрак", "ghost"))
    else:
        ctx = ctx_for(fresh_db, role) if role else DeskContext(fresh_db, "desk-1", None)
    for name, (_perm, call) in _calls(fresh_db).items():
        if role in EXPECTED[name]:
            try:
                call(ctx)
            except PermissionDenied as exc:  # pragma: no cover - the failure message
                pytest.fail(f"{role} refused {name}: {exc}")
            except Exception:
                pass  # a rule or missing data after the permission check is fine here
        else:
            with pytest.raises(PermissionDenied) as err:
                call(ctx)
            assert ("Недостаточно прав" in str(err.value)) or ("Войдите" in str(err.value)), name


# --- the lockout counter under parallel attempts (PostgreSQL, issue 10) -------------------------------

RACE_PROCESSES = 8
RACE_ATTEMPTS = 3  # 24 wrong passwords in all: far more than MAX_FAILED


def _wrong_passwords(args: tuple[str, int, object, object]) -> None:
    """One desk guessing: its own engine, three wrong passwords, each answer sent back."""
    from cashier_app.storage.db import Database

    url, n, barrier, answers = args
    db = Database(url)
    barrier.wait()  # type: ignore[attr-defined]  # all desks start together so the attempts overlap
    for _ in range(RACE_ATTEMPTS):
        try:
            users.authenticate(db, f"desk-{n}", "racer", "wrong-guess")
            answers.put("signed in")  # type: ignore[attr-defined]
        except SignInError as exc:
            answers.put(str(exc))  # type: ignore[attr-defined]
    db.dispose()


def test_parallel_wrong_passwords_lock_after_exactly_five_on_postgresql(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    """24 wrong passwords from 8 processes at once: five are counted, the fifth locks, the rest are refused.

    Without the row lock in ``authenticate`` the counts are lost (each desk reads the same
    count and writes it back plus one) and the account is never locked.
    """
    from cashier_app.services.bootstrap import open_database
    from cashier_app.services.passwords import hash_password
    from tests.race_helpers import desk_processes

    url = pg_database_factory()
    db = open_database(url)
    with db.uow() as uow:
        uow.session.add(m.User(login="racer", full_name="Гонка", role="cashier", password_hash=hash_password("right-1"),
                               active=True, failed_attempts=0))
        uow.commit()
    ctx = desk_processes()  # spawn-like, started from a preloaded fork server
    barrier, answers = ctx.Barrier(RACE_PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_wrong_passwords, args=((url, n, barrier, answers),)) for n in range(RACE_PROCESSES)]
    for p in procs:
        p.start()
    got = [answers.get(timeout=120) for _ in range(RACE_PROCESSES * RACE_ATTEMPTS)]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    counted = [a for a in got if "осталось попыток" in a]
    locking = [a for a in got if "заблокирован на 5 мин" in a]
    refused = [a for a in got if "заблокирован после" in a]
    assert len(counted) == 4 and len(locking) == 1, got
    assert len(refused) == RACE_PROCESSES * RACE_ATTEMPTS - 5, got
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == "racer")).scalar_one()
        assert u.locked_until is not None
        failed = uow.session.execute(select(m.AuditEvent).where(m.AuditEvent.action == "auth.failed")).scalars().all()
    assert len(failed) == 5
    # Locked means locked: the right password is refused too.
    with pytest.raises(SignInError, match="заблокирован"):
        users.authenticate(db, "desk-x", "racer", "right-1")
    db.dispose()
