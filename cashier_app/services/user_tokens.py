"""Per-user tokens for scripts: issued and revoked by an administrator, stored hashed.

A token is 32 random bytes (``ct_`` + URL-safe text), shown once when issued.
Only its SHA-256 is stored: the token carries full entropy, so a slow hash
(argon2, as for passwords) would add nothing but a delay on every command.
A script passes it in ``CASHIER_TOKEN`` (never on the command line, where
``ps`` and shell history would show it); the token acts as its user, who must
still be active and not locked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.i18n import ntr, tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.permissions import require
from cashier_app.services.users import SignInError, refuse_if_barred
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

PREFIX = "ct_"
MAX_LABEL = 80


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    login: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    row: TokenRow
    token: str  # the only time the token itself exists outside the caller's hands


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _row(t: m.UserToken, login: str) -> TokenRow:
    return TokenRow(t.id, login, t.label, t.created_at, t.last_used_at, t.revoked_at)


def issue(ctx: DeskContext, login: str, label: str = "", *, now: datetime | None = None) -> IssuedToken:
    require(ctx, "manage_users")
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        raise ValidationError("--label", ntr("не длиннее {n} символа", "не длиннее {n} символов", MAX_LABEL))
    now = now or datetime.now(UTC)
    token = PREFIX + secrets.token_urlsafe(32)
    with ctx.db.uow() as uow:
        s = uow.session
        u = s.execute(select(m.User).where(m.User.login == login)).scalar_one_or_none()
        if u is None:
            raise NotFound(tr("Пользователь «{login}» не найден.", login=login))
        t = m.UserToken(user_id=u.id, token_hash=_digest(token), label=label, created_at=now,
                        created_by=ctx.user.id if ctx.user else None)
        s.add(t)
        s.flush()
        audit.record(s, ctx, "user.token_issue", "user", login, None, {"token_id": t.id, "label": label}, now=now)
        uow.commit()
        return IssuedToken(_row(t, u.login), token)


def list_tokens(ctx: DeskContext, login: str | None = None) -> list[TokenRow]:
    require(ctx, "manage_users")
    with ctx.db.read() as uow:
        q = select(m.UserToken, m.User.login).join(m.User, m.User.id == m.UserToken.user_id).order_by(m.UserToken.id)
        if login:
            q = q.where(m.User.login == login)
        return [_row(t, ul) for t, ul in uow.session.execute(q).all()]


def revoke(ctx: DeskContext, token_id: int, *, now: datetime | None = None) -> TokenRow:
    require(ctx, "manage_users")
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        found = s.execute(select(m.UserToken, m.User.login).join(m.User, m.User.id == m.UserToken.user_id)
                          .where(m.UserToken.id == token_id).with_for_update()).first()
        if found is None:
            raise NotFound(tr("Токен № {id} не найден.", id=token_id))
        t, login = found
        if t.revoked_at is None:
            t.revoked_at = now
            audit.record(s, ctx, "user.token_revoke", "user", login, None, {"token_id": t.id}, now=now)
        uow.commit()
        return _row(t, login)


def authenticate_token(db: Database, desk: str, token: str, *, login: str | None = None,
                       now: datetime | None = None) -> UserInfo:
    """The token's user, or ``SignInError``; a revoked token, a locked or disabled user are refused."""
    now = now or datetime.now(UTC)
    anonymous = DeskContext(db, desk, None)
    token = (token or "").strip()
    with db.uow() as uow:
        s = uow.session
        found = s.execute(select(m.UserToken, m.User).join(m.User, m.User.id == m.UserToken.user_id)
                          .where(m.UserToken.token_hash == _digest(token))).first() if token else None
        # compare_digest on the stored hash: the lookup above is by an index, this guards a collation quirk.
        if found is None or not hmac.compare_digest(found[0].token_hash, _digest(token)):
            audit.record(s, anonymous, "auth.failed", "user", login or None, None, {"reason": "token", "via": "cli"},
                         now=now)
            uow.commit()
            raise SignInError(tr("CASHIER_TOKEN: токен не найден — попросите администратора выдать новый."))
        t, u = found
        if t.revoked_at is not None:
            raise SignInError(tr("CASHIER_TOKEN: токен № {id} отозван администратором.", id=t.id))
        if login and login.strip().lower() != u.login:
            raise SignInError(tr("CASHIER_TOKEN выдан пользователю «{owner}», а не «{login}».", owner=u.login,
                                 login=login))
        refuse_if_barred(u, now)
        t.last_used_at = now
        info = UserInfo(u.id, u.login, u.full_name, u.role)
        audit.record(s, DeskContext(db, desk, info), "auth.sign_in", "user", u.login, None,
                     {"via": "token", "token_id": t.id}, now=now)
        uow.commit()
        return info
