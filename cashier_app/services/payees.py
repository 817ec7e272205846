"""Payees and their card gateways, for the administrator (issues 4, 5, 7).

Requisites are validated when saved (STANDARDS §5): every problem is reported
at once, each naming its field, and nothing is written while any remains.
Gateway settings keep only non-secret values in the database; the secret goes
to the OS keyring (``gateways.config.set_secret``) or, where the machine has
no keyring (CI, a bare server), to an environment variable the administrator
sets.  No secret reaches the database, the audit trail, a log or an exception
text: the audit records only whether a secret is available.
"""

from __future__ import annotations

import logging
import os
import re
import string
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import keyring
import keyring.errors
from sqlalchemy import select

from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.requisites import (
    _payee_errors,
    validate_bic,
    validate_corr_account,
    validate_inn,
    validate_kpp,
    validate_postal_index,
    validate_settlement_account,
)
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit
from cashier_app.services.card_gateway import DEMO_SECRETS, is_loopback
from cashier_app.services.context import DeskContext
from cashier_app.services.gateways.base import GatewayConfigError
from cashier_app.services.gateways.config import (
    KEYRING_SERVICE,
    PROVIDERS,
    _keyring_user,
    normalise_provider,
    secret_env_name,
    set_secret,
)
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

KINDS = ("isp", "travel")
KIND_LABELS = {"isp": N_("интернет / ТВ"), "travel": N_("туризм")}  # tr() where shown
# GOST R 56042 TechCode: 09 Интернет и ТВ, 11 Отдых и путешествия.
TECH_CODES = {"isp": "09", "travel": "11"}
# The placeholder a purpose template must carry, by kind: the receipt fills in the number.
PURPOSE_PLACEHOLDER = {"isp": "account", "travel": "booking"}

# Field names as the form labels them; every refusal starts with one of these.  They stay the
# Russian source (the form finds its widget by them); ValidationError translates them when shown.
F_CODE = N_("Код")
F_KIND = N_("Вид")
F_NAME = N_("Наименование")
F_INN = N_("ИНН")
F_KPP = N_("КПП")
F_ACCOUNT = N_("Расчётный счёт")
F_BANK = N_("Банк")
F_BIC = N_("БИК")
F_CORR = N_("Корр. счёт")
F_INDEX = N_("Индекс")
F_ADDRESS = N_("Адрес")
F_PURPOSE = N_("Назначение платежа")
F_TECH = "TechCode"  # GOST R 56042's own name, the same in every language
F_PROVIDER = N_("Шлюз")
F_URL = N_("Адрес шлюза")
F_LOGIN = N_("Логин / терминал")
F_CA = N_("Файл сертификата")
F_SECRET = N_("Секрет")

_CODE = re.compile(r"[a-z][a-z0-9_-]{1,31}")
# Column sizes (models.Payee) and GOST limits (Name 160, BankName 45, Purpose 210).
MAX_NAME, MAX_BANK, MAX_PURPOSE, MAX_ADDRESS = 160, 45, 210, 255
MAX_URL, MAX_LOGIN, MAX_CA_PATH = 255, 64, 255
# T-Bank's TerminalKey is at most 20 characters (API v2, Init).
MAX_LOGIN_BY_PROVIDER = {"tbank": 20}

SECRET_KEYRING, SECRET_ENV, SECRET_DEMO = "keyring", "env", "demo"
SECRET_SOURCE_TEXT = {  # tr() where shown
    SECRET_KEYRING: N_("в хранилище ключей"),
    SECRET_ENV: N_("в переменной окружения"),
    SECRET_DEMO: N_("демо-песочница"),
    None: N_("не задан"),
}


# --- DTOs ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PayeeRow:
    code: str
    kind: str
    name: str
    inn: str
    kpp: str | None
    account: str
    bank_name: str
    bic: str
    corr_account: str
    postal_index: str
    address: str
    purpose_template: str
    tech_code: str
    gateway_provider: str | None
    gateway_base_url: str | None
    gateway_login: str | None
    gateway_ca_file: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PayeeInput:
    """What the form or the command gives; text as typed, cleaned by :func:`save_payee`."""

    code: str
    kind: str
    name: str
    inn: str
    kpp: str | None
    account: str
    bank_name: str
    bic: str
    corr_account: str
    postal_index: str
    address: str
    purpose_template: str
    tech_code: str


@dataclass(frozen=True, slots=True)
class SaveResult:
    payee: PayeeRow
    created: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    code: str
    provider: str | None
    base_url: str | None
    login: str | None
    ca_file: str | None
    secret_source: str | None  # keyring | env | demo | None — never the secret itself
    secret_env: str | None  # the variable name that would hold it

    @property
    def secret_available(self) -> bool:
        return self.secret_source is not None

    @property
    def secret_text(self) -> str:
        text = SECRET_SOURCE_TEXT[self.secret_source]
        if self.secret_source == SECRET_ENV and self.secret_env:
            text += f" {self.secret_env}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "provider": self.provider, "base_url": self.base_url, "login": self.login,
                "ca_file": self.ca_file, "secret": self.secret_source, "secret_env": self.secret_env}


class PayeeProblems(RuleViolation):
    """Every problem of a form at once; ``problems`` keeps the field of each for the UI."""

    def __init__(self, problems: list[ValidationError]) -> None:
        self.problems = list(problems)
        super().__init__([str(p) for p in self.problems])

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems]


# --- reading ---------------------------------------------------------------------------------------

def _row(p: m.Payee) -> PayeeRow:
    return PayeeRow(p.code, p.kind, p.name, p.inn, p.kpp, p.account, p.bank_name, p.bic, p.corr_account,
                    p.postal_index, p.address, p.purpose_template, p.tech_code, p.gateway_provider,
                    p.gateway_base_url, p.gateway_login, p.gateway_ca_file)


def list_payees(ctx: DeskContext) -> list[PayeeRow]:
    require(ctx, "lookup")
    with ctx.db.read() as uow:
        rows = uow.session.execute(select(m.Payee).order_by(m.Payee.code)).scalars().all()
        return [_row(p) for p in rows]


def list_for_admin(ctx: DeskContext) -> list[PayeeRow]:
    """The list the administrator's dialog opens with; refuses anyone who may not edit payees."""
    require(ctx, "manage_payees")
    return list_payees(ctx)


def get(ctx: DeskContext, code: str) -> PayeeRow:
    require(ctx, "lookup")
    with ctx.db.read() as uow:
        return _row(_find(uow.session, code))


def _find(s: Any, code: str) -> m.Payee:
    key = (code or "").strip().lower()
    p = s.execute(select(m.Payee).where(m.Payee.code == key)).scalar_one_or_none()
    if p is None:
        raise NotFound(tr("Получатель платежей «{code}» не найден.", code=code))
    return p


# --- requisites ------------------------------------------------------------------------------------

def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _spaces_out(value: str | None) -> str:
    return re.sub(r"[\s\u00a0\u202f-]", "", value or "")


def _check_purpose(template: str, kind: str | None) -> list[ValidationError]:
    out: list[ValidationError] = []
    if not template:
        return [ValidationError(F_PURPOSE, tr("укажите шаблон назначения платежа"))]
    if len(template) > MAX_PURPOSE:
        out.append(ValidationError(F_PURPOSE, _at_most(MAX_PURPOSE, len(template))))
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        # An unpaired brace would make every receipt of this payee fail to print.
        # The braces of the example go in as a value: a msgid's braces are its placeholders.
        return [*out, ValidationError(F_PURPOSE, tr("непарная фигурная скобка; подстановки пишутся как {example}",
                                                    example="{account}"))]
    allowed = set(PURPOSE_PLACEHOLDER.values())
    unknown = sorted(n or "{}" for n in names if n not in allowed)
    if unknown:
        out.append(ValidationError(F_PURPOSE, tr("неизвестная подстановка {names}; допустимы {account} и {booking}",
                                                 names=", ".join(unknown), account="{account}",
                                                 booking="{booking}")))
    need = PURPOSE_PLACEHOLDER.get(kind or "")
    if need and need not in names:
        out.append(ValidationError(F_PURPOSE, tr("должен содержать {placeholder} — туда подставится номер",
                                                 placeholder="{" + need + "}")))
    return out


def _at_most(limit: int, now: int) -> str:
    return ntr("не больше {n} знака (сейчас {now})", "не больше {n} знаков (сейчас {now})", limit, now=now)


def _problems(data: PayeeInput) -> list[ValidationError]:
    errors: list[ValidationError] = []
    code = (data.code or "").strip().lower()
    if not _CODE.fullmatch(code):
        errors.append(ValidationError(
            F_CODE, tr("латинские строчные буквы, цифры, «-» или «_», от 2 до 32 знаков, первая — буква")))
    kind = (data.kind or "").strip().lower()
    if kind not in KINDS:
        errors.append(ValidationError(F_KIND, tr("«{kind}» — допустимы isp (интернет / ТВ) или travel (туризм)",
                                                 kind=data.kind)))
        kind = ""
    # ИНН, КПП, БИК, accounts and the name's length: the domain collects them all.  Taken as errors,
    # not as their shown lines: a line's field is translated, the form finds its widget by the source.
    errors.extend(_payee_errors(_text(data.name), data.inn, data.kpp, data.bic, data.account, data.corr_account))
    bank = _text(data.bank_name)
    if not bank:
        errors.append(ValidationError(F_BANK, tr("укажите наименование банка")))
    elif len(bank) > MAX_BANK:
        errors.append(ValidationError(F_BANK, ntr("не больше {n} знака по ГОСТ Р 56042 (сейчас {now})",
                                                  "не больше {n} знаков по ГОСТ Р 56042 (сейчас {now})", MAX_BANK,
                                                  now=len(bank))))
    try:
        validate_postal_index(data.postal_index, F_INDEX)
    except ValidationError as err:
        errors.append(err)
    address = _text(data.address)
    if not address:
        errors.append(ValidationError(F_ADDRESS, tr("укажите почтовый адрес получателя")))
    elif len(address) > MAX_ADDRESS:
        errors.append(ValidationError(F_ADDRESS, _at_most(MAX_ADDRESS, len(address))))
    errors.extend(_check_purpose((data.purpose_template or "").strip(), kind))
    tech = (data.tech_code or "").strip()
    if tech not in TECH_CODES.values():
        errors.append(ValidationError(F_TECH, tr("«{code}» — допустимы 09 (интернет и ТВ) или 11 (туризм)",
                                                 code=data.tech_code)))
    elif kind and tech != TECH_CODES[kind]:
        errors.append(ValidationError(F_TECH, tr("для вида {kind} нужен код {code}", kind=kind,
                                                 code=TECH_CODES[kind])))
    return errors


def validate(data: PayeeInput) -> list[str]:
    """Every problem of a form, ``"Поле: что не так"``; empty = ready to save."""
    return [str(e) for e in _problems(data)]


def _cleaned(data: PayeeInput) -> dict[str, Any]:
    """Values as stored: spaces out of numbers, КПП upper-case or None (an ИП has none)."""
    bic = validate_bic(data.bic)
    kpp = _spaces_out(data.kpp)
    return {
        "kind": data.kind.strip().lower(),
        "name": _text(data.name),
        "inn": validate_inn(data.inn),
        "kpp": validate_kpp(kpp) if kpp else None,
        "account": validate_settlement_account(data.account, bic),
        "bank_name": _text(data.bank_name),
        "bic": bic,
        "corr_account": validate_corr_account(data.corr_account, bic),
        "postal_index": validate_postal_index(data.postal_index, F_INDEX),
        "address": _text(data.address),
        "purpose_template": data.purpose_template.strip(),
        "tech_code": data.tech_code.strip(),
    }


_REQUISITES = ("kind", "name", "inn", "kpp", "account", "bank_name", "bic", "corr_account", "postal_index",
               "address", "purpose_template", "tech_code")


def save_payee(ctx: DeskContext, data: PayeeInput, *, create: bool | None = None) -> SaveResult:
    """Create or update a payee; ``create=True`` refuses an existing code, ``False`` a new one."""
    require(ctx, "manage_payees")
    problems = _problems(data)
    code = (data.code or "").strip().lower()
    with ctx.db.uow() as uow:
        s = uow.session
        p = s.execute(select(m.Payee).where(m.Payee.code == code)).scalar_one_or_none() if code else None
        if create is True and p is not None:
            problems.insert(0, ValidationError(F_CODE, tr("код «{code}» уже занят получателем «{name}»", code=code,
                                                          name=p.name)))
        if create is False and p is None and code:
            problems.insert(0, ValidationError(F_CODE, tr("получателя с кодом «{code}» нет", code=code)))
        if p is not None and not problems and data.kind.strip().lower() != p.kind:
            used = s.execute(select(m.Payment.id).where(m.Payment.payee_id == p.id).limit(1)).first()
            if used is not None:
                problems.append(ValidationError(F_KIND, tr("по получателю уже есть платежи — вид сменить нельзя")))
        if problems:
            raise PayeeProblems(problems)
        values = _cleaned(data)
        before = {k: getattr(p, k) for k in _REQUISITES} if p is not None else None
        if p is None:
            p = m.Payee(code=code, **values)
            s.add(p)
        else:
            for k, v in values.items():
                setattr(p, k, v)
        after = {k: getattr(p, k) for k in _REQUISITES}
        changed = before != after
        if changed:
            action = "payee.create" if before is None else "payee.update"
            diff_before = None if before is None else {k: v for k, v in before.items() if after[k] != v}
            diff_after = after if before is None else {k: v for k, v in after.items() if before[k] != v}
            audit.record(s, ctx, action, "payee", code, diff_before, diff_after)
        s.flush()
        row = _row(p)
        uow.commit()
    return SaveResult(row, before is None, changed)


# --- gateway ---------------------------------------------------------------------------------------

def _keyring_has(provider: str, code: str) -> bool:
    try:
        return bool(keyring.get_password(KEYRING_SERVICE, _keyring_user(provider, code)))
    except keyring.errors.KeyringError:
        return False  # no backend (NoKeyringError) or a locked one: not available here


def secret_source(provider: str | None, code: str, base_url: str | None) -> str | None:
    """Where the card flow would take the secret from (``card_gateway.gateway_secret``'s order)."""
    if not provider:
        return None
    if _keyring_has(provider, code):
        return SECRET_KEYRING
    if os.environ.get(secret_env_name(provider, code)):
        return SECRET_ENV
    if is_loopback(base_url) and normalise_provider(provider) in DEMO_SECRETS:
        return SECRET_DEMO
    return None


def _status(p: m.Payee) -> GatewayStatus:
    provider = p.gateway_provider
    env = secret_env_name(provider, p.code) if provider else None
    return GatewayStatus(p.code, provider, p.gateway_base_url, p.gateway_login, p.gateway_ca_file,
                         secret_source(provider, p.code, p.gateway_base_url), env)


def gateway_status(ctx: DeskContext, code: str) -> GatewayStatus:
    require(ctx, "gateway_settings")
    with ctx.db.read() as uow:
        return _status(_find(uow.session, code))


def _check_url(url: str) -> list[ValidationError]:
    if not url:
        return [ValidationError(F_URL, tr("укажите адрес, например https://securepayments.sberbank.ru"))]
    if len(url) > MAX_URL:
        return [ValidationError(F_URL, ntr("не больше {n} знака", "не больше {n} знаков", MAX_URL))]
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a port out of range
    except ValueError:
        return [ValidationError(F_URL, tr("«{url}» — не адрес", url=url))]
    if parts.scheme not in ("https", "http") or not host:
        return [ValidationError(F_URL, tr("«{url}» — не адрес; нужен вид https://хост[/путь]", url=url))]
    if parts.username is not None or parts.password is not None:
        # A password in the URL would be stored in the database and printed in logs.
        return [ValidationError(F_URL, tr("логин и пароль в адресе недопустимы — задайте их в полях ниже"))]
    if parts.query or parts.fragment:
        return [ValidationError(F_URL, tr("адрес без параметров после «?» и «#»"))]
    if parts.scheme != "https" and not is_loopback(url):
        return [ValidationError(F_URL, tr("только https:// (http — лишь для песочницы на 127.0.0.1)"))]
    return []


def _check_ca(ca_file: str) -> tuple[str | None, list[ValidationError]]:
    path = Path(ca_file).expanduser()
    try:
        path = path.resolve()
        head = path.read_bytes()[:1_000_000] if path.is_file() else None
    except OSError:
        head = None
    if head is None:
        return None, [ValidationError(F_CA, tr("файл «{path}» не найден", path=ca_file))]
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return None, [ValidationError(F_CA, tr("«{name}» не похож на сертификат в формате PEM (BEGIN CERTIFICATE)",
                                               name=path.name))]
    if len(str(path)) > MAX_CA_PATH:
        return None, [ValidationError(F_CA, ntr("путь длиннее {n} знака — положите файл ближе к корню",
                                                "путь длиннее {n} знаков — положите файл ближе к корню", MAX_CA_PATH))]
    return str(path), []


def _gw_audit(p: m.Payee) -> dict[str, Any]:
    return {"provider": p.gateway_provider, "base_url": p.gateway_base_url, "login": p.gateway_login,
            "ca_file": p.gateway_ca_file,
            "secret_set": secret_source(p.gateway_provider, p.code, p.gateway_base_url) is not None}


def set_gateway(
    ctx: DeskContext,
    code: str,
    provider: str | None,
    base_url: str | None,
    login: str | None,
    ca_file: str | None = None,
    secret: str | None = None,
) -> GatewayStatus:
    """Set or clear (``provider=None``) a payee's gateway; an empty ``secret`` keeps the stored one."""
    require(ctx, "gateway_settings")
    problems: list[ValidationError] = []
    name: str | None = None
    url = (base_url or "").strip()
    user = (login or "").strip()
    ca_path: str | None = None
    if provider is not None and provider.strip():
        try:
            name = normalise_provider(provider)
        except GatewayConfigError:
            problems.append(ValidationError(F_PROVIDER, tr("«{provider}» — допустимы {known}", provider=provider,
                                                           known=", ".join(PROVIDERS))))
        problems.extend(_check_url(url))
        limit = MAX_LOGIN_BY_PROVIDER.get(name or "", MAX_LOGIN)
        if not user:
            problems.append(ValidationError(F_LOGIN, tr("укажите логин API / ключ терминала / product_id")))
        elif len(user) > limit or any(ch.isspace() for ch in user):
            problems.append(ValidationError(F_LOGIN, ntr("без пробелов, не больше {n} знака",
                                                         "без пробелов, не больше {n} знаков", limit)))
        if ca_file and ca_file.strip():
            ca_path, ca_problems = _check_ca(ca_file.strip())
            problems.extend(ca_problems)
    elif secret:
        problems.append(ValidationError(F_SECRET, tr("выберите шлюз, к которому относится секрет")))
    with ctx.db.uow() as uow:
        s = uow.session
        p = _find(s, code)
        if problems:
            raise PayeeProblems(problems)
        if secret and name is not None:
            # Keyring first: if it refuses, nothing is written and the form keeps its values.
            try:
                set_secret(name, p.code, secret)
            except GatewayConfigError as exc:
                raise PayeeProblems([ValidationError(F_SECRET, str(exc))]) from None
            log.info("gateway secret stored in the keyring for payee %s (%s)", p.code, name)
        before = _gw_audit(p)
        if name is None:
            p.gateway_provider = p.gateway_base_url = p.gateway_login = p.gateway_ca_file = None
        else:
            p.gateway_provider, p.gateway_base_url, p.gateway_login = name, url.rstrip("/"), user
            p.gateway_ca_file = ca_path
        after = _gw_audit(p)
        if before != after or secret:
            after_rec = {**after, "secret_changed": bool(secret and name)}
            audit.record(s, ctx, "payee.gateway", "payee", p.code, before, after_rec)
        status = _status(p)
        uow.commit()
    return status


__all__ = [
    "GatewayStatus", "PayeeInput", "PayeeProblems", "PayeeRow", "SaveResult", "gateway_status", "get",
    "list_for_admin", "list_payees", "save_payee", "secret_source", "set_gateway", "validate",
]
