"""Fiscal register settings per payee and the cashier's fiscal name/INN (issue 13), for the administrator.

A payee's register: ``none`` (без ККТ), ``atol_web`` (a local ATOL register through ATOL Web
Server at ``url``) or ``atol_online`` (the cloud register: ``url``, ``group_code``, ``login``; the
password only in the OS keyring, as for the card gateways: ``gateways.config.set_secret("atol_online",
payee code)``).  What the receipts say (tax system, VAT, agent sign, supplier, payment object and
method, place of settlement) comes from the same row; unset values fall back to
``domain.fiscal_receipt.default_rules`` for the payee's kind.  Saved only by an administrator,
validated by ``check_rules`` (every problem at once, each naming its field) and audited
(``payee.fiscal``) — never with the password.

A desk may reach its local register at another address than the payee's (two desks, two
registers): the desk-local setting ``fiscal_register_url`` (``settings.DeskSettings``) overrides the
payee's URL for ``atol_web`` on this desk only (:func:`register_url_for`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.ru import inn as stdnum_inn

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit
from cashier_app.services.card_gateway import is_loopback
from cashier_app.services.context import DeskContext
from cashier_app.services.gateways.base import GatewayConfigError
from cashier_app.services.gateways.config import get_secret, secret_env_name, set_secret
from cashier_app.services.payees import SECRET_DEMO, SECRET_ENV, SECRET_KEYRING, PayeeProblems, _keyring_has
from cashier_app.services.permissions import require
from cashier_app.services.registers.base import Operator
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

MODES = ("none", "atol_web", "atol_online")
MODE_LABELS = {"none": N_("без ККТ"), "atol_web": N_("ККТ АТОЛ (ATOL Web Server)"), "atol_online": N_("АТОЛ Онлайн")}
DEFAULT_WEB_URL = "http://127.0.0.1:16732"
SECRET_PROVIDER = "atol_online"
DESK_URL_KEY = "fiscal_register_url"
# The register emulator's documented demo credentials (``cashier-app fiscal-sandbox``): loopback only.
DEMO_LOGIN, DEMO_PASSWORD, DEMO_GROUP = "demo-login", "demo-pass", "demo-group"

# Field names: keys the dialogs compare (ValidationError translates them in the shown text).
F_MODE = N_("ККТ")
F_URL = N_("Адрес ККТ")
F_GROUP = N_("Код группы АТОЛ Онлайн")
F_LOGIN = N_("Логин АТОЛ Онлайн")
F_PASSWORD = N_("Пароль АТОЛ Онлайн")
F_CASHIER_NAME = N_("ФИО кассира для чека")
F_CASHIER_INN = N_("ИНН кассира")
F_DESK_URL = N_("Адрес ККТ этой кассы")
LOGIN_IN_URL = N_("логин и пароль в адресе недопустимы — задайте их в полях ниже")

# FiscalSettings columns the rules mirror (all but the key and the timestamp).
_COLUMNS = tuple(c.key for c in m.FiscalSettings.__table__.columns if c.key not in ("payee_id", "updated_at"))
# What the rules may carry about the payee itself, filled from ``payees`` when FiscalRules has the field.
_PAYEE_FIELDS = {"payee_id": "id", "payee_code": "code", "payee_kind": "kind", "payee_name": "name",
                 "company_inn": "inn", "payee_inn": "inn"}


@dataclass(frozen=True, slots=True)
class FiscalInput:
    """What the dialog or ``payees fiscal`` gives; ``None`` keeps the stored value (or the default)."""

    mode: str | None = None
    url: str | None = None
    group_code: str | None = None
    login: str | None = None
    password: str | None = None  # to the keyring only; None/"" keeps the stored one
    company_email: str | None = None
    company_inn: str | None = None  # the register owner's INN (tag 1018); empty: the payee's
    card_by_bank: bool | None = None
    tax_system: str | None = None
    vat: str | None = None
    agent: str | None = None
    agent_operation: str | None = None
    agent_phone: str | None = None
    operator_phone: str | None = None
    supplier_name: str | None = None
    supplier_inn: str | None = None
    supplier_phone: str | None = None
    payment_object: str | None = None
    payment_method: str | None = None
    item_name: str | None = None
    place: str | None = None


@dataclass(frozen=True, slots=True)
class FiscalView:
    """The settings as the dialog and ``payees fiscal --show`` present them (never the password)."""

    payee_code: str
    configured: bool  # a fiscal_settings row exists (else: defaults shown, nothing saved yet)
    rules: Any  # FiscalRules
    secret_source: str | None  # keyring | env | demo | None (ATOL Online only)

    def as_json(self) -> dict[str, Any]:
        data = {k: getattr(self.rules, k) for k in _COLUMNS if hasattr(self.rules, k)}
        return {"payee": self.payee_code, "configured": self.configured, **data, "secret": self.secret_source}


@dataclass(frozen=True, slots=True)
class CashierFiscal:
    login: str
    name: str  # as printed (tag 1021)
    inn: str | None  # tag 1203


# --- reading (any service; no permission: the receipt path needs it) ---------------------------------

def _payee(s: Session, payee: int | str) -> m.Payee:
    if isinstance(payee, int) and not isinstance(payee, bool):
        row = s.get(m.Payee, payee)
    else:
        row = s.execute(select(m.Payee).where(m.Payee.code == str(payee).strip().lower())).scalar_one_or_none()
    if row is None:
        raise NotFound(tr("Получатель «{code}» не найден.", code=payee))
    return row


def _rule_fields() -> set[str]:
    return {f.name for f in dataclasses.fields(fr.FiscalRules)}


def _with_payee(rules: Any, p: m.Payee) -> Any:
    names = _rule_fields()
    extra = {k: getattr(p, attr) for k, attr in _PAYEE_FIELDS.items() if k in names}
    return dataclasses.replace(rules, **extra) if extra else rules


def _from_row(row: m.FiscalSettings, p: m.Payee) -> Any:
    base = _defaults(p)
    names = _rule_fields()
    values = {k: getattr(row, k) for k in _COLUMNS if k in names}
    values["card_by_bank"] = bool(values.get("card_by_bank"))
    if "company_inn" in names:
        # The register's owner (the office as agent); the payee's own INN when not set.
        values["company_inn"] = values.get("company_inn") or p.inn
    return dataclasses.replace(base, **values)


def _defaults(p: m.Payee) -> Any:
    rules = fr.default_rules(p.kind, p.name, p.inn)
    return _with_payee(rules, p)


def _session(s_or_ctx: Session | DeskContext) -> tuple[Session | None, DeskContext | None]:
    if isinstance(s_or_ctx, DeskContext):
        return None, s_or_ctx
    return s_or_ctx, None


def get_rules(s_or_ctx: Session | DeskContext, payee: int | str) -> Any | None:
    """The payee's FiscalRules (``payee``: id or code), or None when no register is set up for it.

    None means «not set up»: the outbox treats it as mode ``none`` (no receipt row).
    """
    s, ctx = _session(s_or_ctx)
    if s is None:
        assert ctx is not None
        with ctx.db.read() as uow:
            return get_rules(uow.session, payee)
    p = _payee(s, payee)
    row = s.get(m.FiscalSettings, p.id)
    return _from_row(row, p) if row is not None else None


def defaults_for(s: Session, payee: int | str) -> Any:
    """The defaults FISCAL.md gives for the payee's kind (ISP: payment agent; travel: agent + operator)."""
    return _defaults(_payee(s, payee))


def view(ctx: DeskContext, payee_code: str) -> FiscalView:
    require(ctx, "manage_payees")
    with ctx.db.read() as uow:
        s = uow.session
        p = _payee(s, payee_code)
        row = s.get(m.FiscalSettings, p.id)
        rules = _from_row(row, p) if row is not None else _defaults(p)
        mode = getattr(rules, "mode", None)
        source = secret_source(p.code, getattr(rules, "url", None)) if mode == "atol_online" else None
        return FiscalView(p.code, row is not None, rules, source)


def secret_source(payee_code: str, url: str | None) -> str | None:
    """Where the ATOL Online password would come from: keyring | env | demo | None (never the password)."""
    if _keyring_has(SECRET_PROVIDER, payee_code):
        return SECRET_KEYRING
    if os.environ.get(secret_env_name(SECRET_PROVIDER, payee_code)):
        return SECRET_ENV
    if is_loopback(url):
        return SECRET_DEMO
    return None


def secret_for(payee_code: str, url: str | None) -> str | None:
    """ATOL Online's password: keyring / environment, else the emulator's demo one for a loopback URL only."""
    secret = get_secret(SECRET_PROVIDER, payee_code)
    if secret:
        return secret
    return DEMO_PASSWORD if is_loopback(url) else None


def desk_register_url() -> str | None:
    """This desk's own address of its local register (desk settings file), or None."""
    from cashier_app.settings import DeskSettings

    value = DeskSettings().get(DESK_URL_KEY)
    return str(value).strip().rstrip("/") if value and str(value).strip() else None


def register_url_for(ctx: DeskContext | Session, payee_id: int | str) -> str | None:
    """Where this desk reaches the payee's register; None for mode ``none`` or no settings.

    ``atol_web``: the desk-local ``fiscal_register_url`` if set (each desk has its own register),
    else the payee's URL.  ``atol_online``: always the payee's URL (one cloud register).
    """
    rules = get_rules(ctx, payee_id)
    if rules is None or rules.mode == "none":
        return None
    if rules.mode == "atol_web":
        return desk_register_url() or (rules.url or DEFAULT_WEB_URL).rstrip("/")
    return (rules.url or "").rstrip("/") or None


def operator_for(s: Session, user_id: int | None) -> Operator:
    """The cashier as the receipt prints it: the fiscal name (else the full name) and the INN."""
    u = s.get(m.User, user_id) if user_id is not None else None
    if u is None:  # printed on the fiscal receipt (tag 1021): the document's language, not the UI's
        return Operator(name="Кассир")  # i18n: data
    name = (u.fiscal_name or u.full_name or u.login or "Кассир").strip()  # i18n: data
    return Operator(name=name[:64], inn=u.fiscal_inn or None)


# --- checks ------------------------------------------------------------------------------------------

def _check_url(url: str, mode: str) -> list[ValidationError]:
    if not url:
        return [ValidationError(F_URL, tr("укажите адрес, например {example}", example=(
            DEFAULT_WEB_URL if mode == "atol_web" else "https://online.atol.ru/possystem/v5")))]
    if len(url) > 255:
        return [ValidationError(F_URL, ntr("не больше {n} знака", "не больше {n} знаков", 255))]
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return [ValidationError(F_URL, tr("«{url}» — не адрес", url=url))]
    if parts.scheme not in ("http", "https") or not host or any(ch.isspace() for ch in url):
        return [ValidationError(F_URL, tr("«{url}» — не адрес; нужен вид http://хост:порт", url=url))]
    if parts.username is not None or parts.password is not None:
        return [ValidationError(F_URL, tr(LOGIN_IN_URL))]
    if parts.query or parts.fragment:
        return [ValidationError(F_URL, tr("адрес без параметров после «?» и «#»"))]
    # ATOL Web Server runs on the cashier's PC or the office LAN (plain http is what it speaks);
    # the cloud register carries the password: https only, except the emulator on loopback.
    if mode == "atol_online" and parts.scheme != "https" and not is_loopback(url):
        return [ValidationError(F_URL, tr("только https:// (http — лишь для эмулятора на 127.0.0.1)"))]
    return []


def _short(field: str, value: str | None, limit: int, what: str) -> list[ValidationError]:
    if not value:
        return [ValidationError(field, tr("укажите {what}", what=what))]
    if len(value) > limit or any(ch.isspace() for ch in value):
        return [ValidationError(field, ntr("без пробелов, не больше {n} знака", "без пробелов, не больше {n} знаков", limit))]
    return []


def _problems(rules: Any, payee_code: str, password: str | None) -> list[ValidationError]:
    out: list[ValidationError] = list(fr.check_rules(rules))  # mode, URL, group, login, agent, supplier...
    if rules.mode in ("atol_web", "atol_online") and rules.url:
        out.extend(p for p in _check_url(rules.url, rules.mode) if p.message == tr(LOGIN_IN_URL))
    if rules.mode == "atol_online":
        if not password and secret_for(payee_code, rules.url) is None:
            out.append(ValidationError(F_PASSWORD, tr("укажите пароль (он хранится только в хранилище ключей)")))
    elif password:
        out.append(ValidationError(F_PASSWORD, tr("пароль нужен только для АТОЛ Онлайн")))
    return out


def _audit(rules: Any, payee_code: str) -> dict[str, Any]:
    data: dict[str, Any] = {k: getattr(rules, k) for k in _COLUMNS if hasattr(rules, k)}
    if data.get("mode") == "atol_online":
        data["secret_set"] = secret_source(payee_code, data.get("url")) is not None
    return data


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


# --- writing (administrator) ------------------------------------------------------------------------

def save(ctx: DeskContext, payee_code: str, data: FiscalInput) -> Any:
    """Set a payee's register and receipt rules; every problem at once (``PayeeProblems``); audited.

    Fields left ``None`` keep the stored value, or the kind's default on the first save.
    The password goes to the keyring before anything is written; it is never stored or audited.
    """
    require(ctx, "manage_payees")
    with ctx.db.uow() as uow:
        s = uow.session
        p = _payee(s, payee_code)
        row = s.get(m.FiscalSettings, p.id)
        before_rules = _from_row(row, p) if row is not None else None
        base = before_rules if before_rules is not None else _defaults(p)
        names = _rule_fields()
        changes = {k: _clean(v) for k, v in dataclasses.asdict(data).items()
                   if k != "password" and v is not None and k in names}
        if "url" in changes and isinstance(changes["url"], str):
            changes["url"] = changes["url"].rstrip("/")
        rules = dataclasses.replace(base, **changes)
        if rules.mode == "atol_web" and not rules.url:
            rules = dataclasses.replace(rules, url=DEFAULT_WEB_URL)
        password = data.password or None
        problems = _problems(rules, p.code, password)
        if problems:
            raise PayeeProblems(problems)
        rules = fr.clean_rules(rules)  # phones as +7XXXXXXXXXX, e-mail and INNs as stored
        if password:
            try:
                set_secret(SECRET_PROVIDER, p.code, password)
            except GatewayConfigError as exc:
                raise PayeeProblems([ValidationError(F_PASSWORD, str(exc))]) from None
            log.info("ATOL Online password stored in the keyring for payee %s", p.code)
        if row is None:
            row = m.FiscalSettings(payee_id=p.id)
            s.add(row)
        for k in _COLUMNS:
            if hasattr(rules, k):
                setattr(row, k, getattr(rules, k))
        if row.company_inn == p.inn:
            row.company_inn = None  # «the payee's own»: follows a change of the payee's INN
        row.updated_at = datetime.now(UTC)
        s.flush()
        before = _audit(before_rules, p.code) if before_rules is not None else None
        after = {**_audit(rules, p.code), "secret_changed": bool(password)}
        if before is None or before != _audit(rules, p.code) or password:
            audit.record(s, ctx, "payee.fiscal", "payee", p.code, before, after)
        uow.commit()
        return rules


def set_desk_register(ctx: DeskContext, url: str | None) -> str | None:
    """This desk's address of its local register (``None``/"" removes it: the payee's URL applies)."""
    require(ctx, "manage_settings")
    from cashier_app.settings import DeskSettings

    value = (url or "").strip().rstrip("/")
    if value:
        problems = [ValidationError(F_DESK_URL, p.message) for p in _check_url(value, "atol_web")]
        if problems:
            raise PayeeProblems(problems)
    before = desk_register_url()
    DeskSettings().set(DESK_URL_KEY, value or None)
    with ctx.db.uow() as uow:
        audit.record(uow.session, ctx, "desk.fiscal_register", "desk", ctx.desk, {"url": before},
                     {"url": value or None})
        uow.commit()
    return value or None


def check_cashier_inn(inn: str | None) -> str | None:
    """A person's INN (12 digits, checksums by python-stdnum) or None when empty."""
    cleaned = "".join((inn or "").split())
    if not cleaned:
        return None
    if not cleaned.isdigit() or len(cleaned) != 12:
        raise ValidationError(F_CASHIER_INN, tr("ИНН физического лица — 12 цифр"))
    if not stdnum_inn.is_valid(cleaned):
        raise ValidationError(F_CASHIER_INN, tr("«{inn}» — неверная контрольная сумма ИНН", inn=cleaned))
    return cleaned


def set_cashier(ctx: DeskContext, login: str, name: str | None, inn: str | None) -> CashierFiscal:
    """The cashier's name and INN as printed on receipts (tags 1021, 1203); admin, audited ``user.fiscal``.

    ``None`` keeps the stored value, ``""`` clears it (the name then is the user's full name).
    """
    require(ctx, "manage_users")
    clean_name = " ".join((name or "").split()) or None
    if clean_name is not None and len(clean_name) > 64:
        raise ValidationError(F_CASHIER_NAME, ntr("не длиннее {n} символа", "не длиннее {n} символов", 64))
    clean_inn = check_cashier_inn(inn)
    with ctx.db.uow() as uow:
        s = uow.session
        u = s.execute(select(m.User).where(m.User.login == (login or "").strip().lower())).scalar_one_or_none()
        if u is None:
            raise NotFound(tr("Пользователь «{login}» не найден.", login=login))
        before = {"fiscal_name": u.fiscal_name, "fiscal_inn": u.fiscal_inn}
        clean_name = u.fiscal_name if name is None else clean_name
        clean_inn = u.fiscal_inn if inn is None else clean_inn
        u.fiscal_name, u.fiscal_inn = clean_name, clean_inn
        after = {"fiscal_name": clean_name, "fiscal_inn": clean_inn}
        if before != after:
            audit.record(s, ctx, "user.fiscal", "user", u.login, before, after)
        uow.commit()
        return CashierFiscal(u.login, clean_name or u.full_name, clean_inn)


def get_cashier(ctx: DeskContext, login: str) -> CashierFiscal:
    require(ctx, "manage_users")
    with ctx.db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == login.strip().lower())).scalar_one_or_none()
        if u is None:
            raise NotFound(tr("Пользователь «{login}» не найден.", login=login))
        return CashierFiscal(u.login, u.fiscal_name or u.full_name, u.fiscal_inn)


__all__ = [
    "DEFAULT_WEB_URL", "DESK_URL_KEY", "MODES", "MODE_LABELS", "CashierFiscal", "FiscalInput", "FiscalView",
    "check_cashier_inn", "defaults_for", "desk_register_url", "get_cashier", "get_rules", "operator_for",
    "register_url_for", "save", "secret_for", "secret_source", "set_cashier", "set_desk_register", "view",
]
