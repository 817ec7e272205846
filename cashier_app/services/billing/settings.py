"""A payee's live connector to its billing (issue 14): OSMP «check / pay» at a URL, in a dialect.

One ``billing_settings`` row per payee; no row or protocol ``none``: no connector (no outbox rows,
no checks).  The login (when the billing wants one) is kept on the row; the password only in the OS
keyring under the same service as the gateways and ATOL Online (``gateways.config.KEYRING_SERVICE``,
user ``osmp:<payee code>``), or in ``CASHIER_GW_SECRET_OSMP_<CODE>`` — never in the database or the
audit.  Saved by an administrator only, audited ``payee.billing``.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import keyring
import keyring.errors
from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit
from cashier_app.services.billing.osmp_types import DIALECTS
from cashier_app.services.billing.txn_ids import txn_prefix
from cashier_app.services.context import DeskContext
from cashier_app.services.gateways.config import KEYRING_SERVICE
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

SECRET_PROVIDER = "osmp"
# Field names: keys the settings dialog compares (ValidationError translates them in the shown text).
F_URL = N_("Адрес биллинга (OSMP)")
F_DIALECT = N_("Диалект биллинга")
F_LOGIN = N_("Логин биллинга")
F_PASSWORD = N_("Пароль биллинга")
F_CA = N_("Файл сертификата")
DIALECT_LABELS = {"abills": "ABillS", "ubilling": "Ubilling"}


@dataclass(frozen=True, slots=True)
class Connector:
    """What the delivery and the checks need to talk to a payee's billing (the password read when used)."""

    payee_id: int
    payee_code: str
    url: str
    dialect: str
    login: str | None
    ca_file: str | None


# --- the password (keyring; the gateways' helper knows only gateway names, so the same scheme here) ------

def _keyring_user(payee_code: str) -> str:
    return f"{SECRET_PROVIDER}:{payee_code}"


def secret_env_name(payee_code: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", f"CASHIER_GW_SECRET_{SECRET_PROVIDER}_{payee_code}".upper())


def get_password(payee_code: str) -> str | None:
    try:
        secret = keyring.get_password(KEYRING_SERVICE, _keyring_user(payee_code))
    except keyring.errors.KeyringError:
        secret = None  # no backend / locked: the environment is the fallback, never a crash at the counter
    return secret or os.environ.get(secret_env_name(payee_code)) or None


def _set_password(payee_code: str, password: str) -> None:
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_user(payee_code), password)
    except keyring.errors.NoKeyringError:
        raise ValidationError(F_PASSWORD, tr("в системе нет хранилища паролей (keyring) — задайте пароль "
                                             "переменной окружения {name}", name=secret_env_name(payee_code))) from None
    except keyring.errors.KeyringError as exc:
        raise ValidationError(F_PASSWORD, tr("не удалось сохранить пароль: {error}",
                                             error=type(exc).__name__)) from None


# --- reading --------------------------------------------------------------------------------------------

def get(s: Session, payee_id: int | None) -> m.BillingSettings | None:
    """The payee's connector row, or None (no row, or protocol ``none``)."""
    if payee_id is None:
        return None
    row = s.get(m.BillingSettings, payee_id)
    return row if row is not None and row.protocol == "osmp" and row.url else None


def connector(s: Session, payee_id: int | None) -> Connector | None:
    row = get(s, payee_id)
    if row is None:
        return None
    code = s.execute(select(m.Payee.code).where(m.Payee.id == row.payee_id)).scalar_one()
    return Connector(row.payee_id, code, str(row.url), str(row.dialect), row.login, row.ca_file)


def _payee(s: Session, payee_code: str) -> m.Payee:
    p = s.execute(select(m.Payee).where(m.Payee.code == payee_code)).scalar_one_or_none()
    if p is None:
        raise NotFound(tr("Получатель «{code}» не найден.", code=payee_code))
    return p


def get_view(s: Session, payee_id: int) -> dict[str, Any] | None:
    """For the dialog and ``payees show``: url, dialect, login, ca_file and where the password is (never it)."""
    row = get(s, payee_id)
    if row is None:
        return None
    code = s.execute(select(m.Payee.code).where(m.Payee.id == payee_id)).scalar_one()
    return {"protocol": row.protocol, "url": row.url, "dialect": row.dialect, "login": row.login,
            "ca_file": row.ca_file, "password_set": get_password(code) is not None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}


def view(ctx: DeskContext, payee_code: str) -> dict[str, Any] | None:
    """:func:`get_view` by payee code, for the administrator's dialog (the UI reads no ORM)."""
    require(ctx, "manage_payees")
    with ctx.db.read() as uow:
        return get_view(uow.session, _payee(uow.session, payee_code).id)


# --- checks ---------------------------------------------------------------------------------------------

def check_url(url: str) -> str:
    """The URL as stored (no trailing spaces), or ``ValidationError`` naming the field."""
    url = (url or "").strip()
    if not url:
        raise ValidationError(F_URL, tr("укажите адрес, например {example}", example="https://billing.example.ru/osmp"))
    if len(url) > 255:
        raise ValidationError(F_URL, ntr("не больше {n} знака", "не больше {n} знаков", 255))
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise ValidationError(F_URL, tr("«{url}» — не адрес", url=url)) from None
    if parts.scheme not in ("http", "https") or not host or any(ch.isspace() for ch in url):
        raise ValidationError(F_URL, tr("«{url}» — не адрес; нужен вид https://хост/путь", url=url))
    if parts.username is not None or parts.password is not None:
        raise ValidationError(F_URL, tr("логин и пароль в адресе недопустимы — задайте их отдельно"))
    if parts.query or parts.fragment:
        raise ValidationError(F_URL, tr("адрес без параметров после «?» и «#»"))
    return url


def _check(url: str, dialect: str, login: str | None, ca_file: str | None) -> tuple[str, str, str | None, str | None]:
    url = check_url(url)
    dialect = (dialect or "").strip().lower()
    if dialect not in DIALECTS:
        raise ValidationError(F_DIALECT, tr("«{dialect}» — допустимы: {allowed}", dialect=dialect,
                                            allowed=", ".join(DIALECTS)))
    login = (login or "").strip() or None
    if login is not None and len(login) > 64:
        raise ValidationError(F_LOGIN, ntr("не длиннее {n} знака", "не длиннее {n} знаков", 64))
    ca_file = (ca_file or "").strip() or None
    if ca_file is not None:
        if len(ca_file) > 255:
            raise ValidationError(F_CA, ntr("путь не длиннее {n} знака", "путь не длиннее {n} знаков", 255))
        if not os.path.isfile(ca_file):
            raise ValidationError(F_CA, tr("файл «{path}» не найден", path=ca_file))
    return url, dialect, login, ca_file


# --- writing (administrator) ----------------------------------------------------------------------------

def _snapshot(row: m.BillingSettings | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"protocol": row.protocol, "url": row.url, "dialect": row.dialect, "login": row.login,
            "ca_file": row.ca_file}


def configure(ctx: DeskContext, payee_code: str, *, url: str, dialect: str, login: str | None = None,
              password: str | None = None, ca_file: str | None = None) -> dict[str, Any]:
    """Connect the payee to its billing; returns :func:`get_view`.  The password to the keyring only."""
    require(ctx, "manage_payees")
    url, dialect, login, ca_file = _check(url, dialect, login, ca_file)
    if password is not None and len(password) > 255:
        raise ValidationError(F_PASSWORD, ntr("не длиннее {n} знака", "не длиннее {n} знаков", 255))
    with ctx.db.uow() as uow:
        s = uow.session
        p = _payee(s, payee_code)
        if p.kind != "isp":
            # Bookings have no billing account to credit: a travel payee's connector would never be used.
            raise ValidationError(N_("Получатель"), tr("«{code}» — туроператор; биллинг подключается к провайдеру (isp)",
                                                       code=p.code))
        row = s.get(m.BillingSettings, p.id)
        before = _snapshot(row)
        if password:
            _set_password(p.code, password)
            log.info("billing password stored in the keyring for payee %s", p.code)
        if row is None:
            row = m.BillingSettings(payee_id=p.id)
            s.add(row)
        row.protocol, row.url, row.dialect, row.login, row.ca_file = "osmp", url, dialect, login, ca_file
        row.updated_at = datetime.now(UTC)
        s.flush()
        # The database's txn_id prefix made now, not by the first payment's transaction at the counter.
        txn_prefix(s)
        after = _snapshot(row)
        if before != after or password:
            audit.record(s, ctx, "payee.billing", "payee", p.code, before, {**(after or {}),
                                                                            "password_changed": bool(password)})
        uow.commit()
        view = get_view(s, p.id)
    assert view is not None
    return view


def disable(ctx: DeskContext, payee_code: str) -> None:
    """No connector any more: new payments get no outbox rows; rows already queued keep their frozen URL."""
    require(ctx, "manage_payees")
    with ctx.db.uow() as uow:
        s = uow.session
        p = _payee(s, payee_code)
        row = s.get(m.BillingSettings, p.id)
        before = _snapshot(row)
        if row is None:
            row = m.BillingSettings(payee_id=p.id)
            s.add(row)
        row.protocol, row.updated_at = "none", datetime.now(UTC)
        s.flush()
        if before is not None and before.get("protocol") != "none":
            audit.record(s, ctx, "payee.billing", "payee", p.code, before, _snapshot(row))
        uow.commit()


__all__ = ["DIALECT_LABELS", "Connector", "check_url", "configure", "connector", "disable", "get", "get_password",
           "get_view", "view"]
