"""Sign-in and the administrator's user management; every change is audited.

Sign-in locks an account for ``LOCK_MINUTES`` after ``MAX_FAILED`` wrong
passwords in a row: a counter machine is shared, and a guessed password opens
the cash drawer.  The lock is stored in the database so that another desk or a
restart does not reset it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from cashier_app.domain.errors import NotFound, RuleViolation, UserError, ValidationError
from cashier_app.domain.money import ABSURD_AMOUNT_MINOR
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.passwords import hash_password, verify_password
from cashier_app.services.permissions import ROLE_PERMISSIONS, require
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

MAX_FAILED = 5
LOCK_MINUTES = 5
MIN_PASSWORD = 6
ROLES = tuple(ROLE_PERMISSIONS)
_LOGIN = re.compile(r"^[a-z0-9_.-]{2,64}$")


class SignInError(UserError):
    """Wrong login or password, or a locked/disabled user."""


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    login: str
    full_name: str
    role: str
    active: bool
    locked_until: datetime | None
    failed_attempts: int
    cash_limit_minor: int | None


def refuse_if_barred(u: m.User, now: datetime) -> None:
    """A locked or disabled user may not act anywhere: the window, the command line, a token."""
    locked = u.locked_until
    if locked is not None and locked > now:
        left = max(1, int((locked - now).total_seconds() + 59) // 60)
        raise SignInError(ntr(
            "Пользователь «{login}» заблокирован после {n} неверного пароля; попробуйте через {left} мин. "
            "или попросите администратора сбросить пароль.",
            "Пользователь «{login}» заблокирован после {n} неверных паролей; попробуйте через {left} мин. "
            "или попросите администратора сбросить пароль.", MAX_FAILED, login=u.login, left=left))
    if not u.active:
        raise SignInError(tr("Пользователь «{login}» отключён; обратитесь к администратору.", login=u.login))


def authenticate(db: Database, desk: str, login: str, password: str, *, now: datetime | None = None,
                 via: str | None = None) -> UserInfo:
    """The signed-in user, or ``SignInError`` with one sentence; failures are counted and audited.

    ``via`` ("cli") is written to the audit trail next to the sign-in or the failure.
    """
    now = now or datetime.now(UTC)
    login = (login or "").strip().lower()
    if not login:
        raise ValidationError(N_("Пользователь"), tr("введите имя пользователя"))
    anonymous = DeskContext(db, desk, None)
    extra: dict[str, object] = {"via": via} if via else {}
    with db.uow() as uow:
        s = uow.session
        # FOR UPDATE: parallel wrong passwords (desks, scripts) queue on the user's row, so each
        # one sees the previous count and the lock it set; without it, counts are lost on
        # PostgreSQL and 24 parallel attempts never lock (issue 10).  SQLite: BEGIN IMMEDIATE.
        u = s.execute(select(m.User).where(m.User.login == login).with_for_update()).scalar_one_or_none()
        if u is None:
            # The same text as a wrong password: do not tell which logins exist.
            audit.record(s, anonymous, "auth.failed", "user", login, None, {"reason": "unknown", **extra}, now=now)
            uow.commit()
            raise SignInError(tr("Неверное имя пользователя или пароль."))
        refuse_if_barred(u, now)
        if not verify_password(u.password_hash, password or ""):
            u.failed_attempts = (u.failed_attempts or 0) + 1
            after: dict[str, object] = {"failed_attempts": u.failed_attempts, **extra}
            if u.failed_attempts >= MAX_FAILED:
                u.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                u.failed_attempts = 0
                after["locked_until"] = u.locked_until
            audit.record(s, anonymous, "auth.failed", "user", login, None, after, now=now)
            uow.commit()
            if "locked_until" in after:
                raise SignInError(ntr("Неверный пароль {n} раз подряд: пользователь «{login}» заблокирован на "
                                      "{minutes} мин.",
                                      "Неверный пароль {n} раз подряд: пользователь «{login}» заблокирован на "
                                      "{minutes} мин.", MAX_FAILED, login=login, minutes=LOCK_MINUTES))
            left_tries = MAX_FAILED - u.failed_attempts
            raise SignInError(tr("Неверное имя пользователя или пароль (осталось попыток: {n}).", n=left_tries))
        u.failed_attempts = 0
        u.locked_until = None
        info = UserInfo(u.id, u.login, u.full_name, u.role)
        audit.record(s, DeskContext(db, desk, info), "auth.sign_in", "user", login, None, extra or None, now=now)
        uow.commit()
        return info


def sign_out(ctx: DeskContext) -> None:
    if ctx.user is None:
        return
    with ctx.db.uow() as uow:
        audit.record(uow.session, ctx, "auth.sign_out", "user", ctx.user.login)
        uow.commit()


def user_cash_limit(db: Database, user_id: int) -> int | None:
    with db.read() as uow:
        return uow.session.execute(select(m.User.cash_limit_minor).where(m.User.id == user_id)).scalar()


# --- administration ---------------------------------------------------------------

def _row(u: m.User) -> UserRow:
    return UserRow(u.id, u.login, u.full_name, u.role, bool(u.active), u.locked_until,
                   u.failed_attempts or 0, u.cash_limit_minor)


def list_users(ctx: DeskContext) -> list[UserRow]:
    require(ctx, "manage_users")
    with ctx.db.read() as uow:
        return [_row(u) for u in uow.session.execute(select(m.User).order_by(m.User.login)).scalars()]


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(N_("Пароль"), ntr("не короче {n} символа", "не короче {n} символов", MIN_PASSWORD))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(N_("Роль"), tr("«{role}» — нет такой роли; допустимо: {known}", role=role,
                                             known=", ".join(ROLES)))


def _check_limit(limit: int | None) -> None:
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ValidationError(N_("Лимит наличных"), tr("лимит должен быть больше нуля (пусто — без лимита)"))
    if limit > ABSURD_AMOUNT_MINOR:
        raise ValidationError(N_("Лимит наличных"), tr("слишком большой лимит"))


def add_user(ctx: DeskContext, login: str, full_name: str, role: str, password: str,
             cash_limit_minor: int | None = None) -> UserRow:
    require(ctx, "manage_users")
    login = (login or "").strip().lower()
    if not _LOGIN.fullmatch(login):
        raise ValidationError(N_("Логин"), tr("2–64 символа: латинские буквы, цифры, точка, дефис, подчёркивание"))
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError(N_("ФИО"), tr("введите ФИО"))
    if len(full_name) > 160:
        raise ValidationError(N_("ФИО"), ntr("не длиннее {n} символа", "не длиннее {n} символов", 160))
    _check_role(role)
    _check_password(password)
    _check_limit(cash_limit_minor)
    with ctx.db.uow() as uow:
        s = uow.session
        if s.execute(select(m.User.id).where(m.User.login == login)).first():
            raise ValidationError(N_("Логин"), tr("пользователь «{login}» уже есть", login=login))
        u = m.User(login=login, full_name=full_name, role=role, password_hash=hash_password(password),
                   active=True, failed_attempts=0, cash_limit_minor=cash_limit_minor)
        s.add(u)
        s.flush()
        audit.record(s, ctx, "user.add", "user", login, None,
                     {"role": role, "full_name": full_name, "cash_limit_minor": cash_limit_minor})
        uow.commit()
        return _row(u)


def _change(ctx: DeskContext, login: str, action: str, apply) -> UserRow:  # type: ignore[no-untyped-def]
    require(ctx, "manage_users")
    with ctx.db.uow() as uow:
        s = uow.session
        u = s.execute(select(m.User).where(m.User.login == login)).scalar_one_or_none()
        if u is None:
            raise NotFound(tr("Пользователь «{login}» не найден.", login=login))
        before, after = apply(s, u)
        audit.record(s, ctx, action, "user", login, before, after)
        uow.commit()
        return _row(u)


def _other_active_admins(s, u: m.User) -> int:  # type: ignore[no-untyped-def]
    return int(s.execute(select(func.count()).select_from(m.User).where(
        m.User.role == "admin", m.User.active.is_(True), m.User.id != u.id)).scalar_one())


def set_role(ctx: DeskContext, login: str, role: str) -> UserRow:
    _check_role(role)

    def apply(s, u):  # type: ignore[no-untyped-def]
        if u.role == "admin" and role != "admin" and _other_active_admins(s, u) == 0:
            raise RuleViolation(tr("это последний администратор: назначьте сначала другого"))
        before = {"role": u.role}
        u.role = role
        return before, {"role": role}

    return _change(ctx, login, "user.set_role", apply)


def reset_password(ctx: DeskContext, login: str, password: str) -> UserRow:
    _check_password(password)

    def apply(s, u):  # type: ignore[no-untyped-def]
        u.password_hash = hash_password(password)
        u.failed_attempts = 0
        u.locked_until = None
        # The hash itself never goes into the audit trail.
        return None, {"password": "reset", "unlocked": True}

    return _change(ctx, login, "user.reset_password", apply)


def set_active(ctx: DeskContext, login: str, active: bool) -> UserRow:
    def apply(s, u):  # type: ignore[no-untyped-def]
        if not active and ctx.user is not None and u.id == ctx.user.id:
            raise RuleViolation(tr("нельзя отключить самого себя"))
        if not active and u.role == "admin" and _other_active_admins(s, u) == 0:
            raise RuleViolation(tr("это последний администратор: его нельзя отключить"))
        before = {"active": bool(u.active)}
        u.active = active
        return before, {"active": active}

    return _change(ctx, login, "user.enable" if active else "user.disable", apply)


def set_cash_limit(ctx: DeskContext, login: str, cash_limit_minor: int | None) -> UserRow:
    _check_limit(cash_limit_minor)

    def apply(s, u):  # type: ignore[no-untyped-def]
        before = {"cash_limit_minor": u.cash_limit_minor}
        u.cash_limit_minor = cash_limit_minor
        return before, {"cash_limit_minor": cash_limit_minor}

    return _change(ctx, login, "user.set_cash_limit", apply)
