"""A payee's fiscal settings as the services hand them over, their defaults and their checks.

``FiscalRules`` mirrors ``storage.models.FiscalSettings``; :func:`check_rules` lists every problem
(each a ``ValidationError`` naming its field, for a form), :func:`clean_rules` returns them
normalised or raises the first.  Limits are the format's (FFD 1.2 as ATOL documents it): a value
over a limit is refused with a reason, never cut.  Re-exported by ``domain.fiscal_receipt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

OPERATIONS = ("sell", "sell_return", "sell_correction", "sell_return_correction")
TAX_SYSTEMS = ("osn", "usn_income", "usn_income_outcome", "esn", "patent")
VATS = ("none", "vat0", "vat5", "vat7", "vat10", "vat20", "vat105", "vat107", "vat110", "vat120")
AGENTS = ("none", "paying_agent", "paying_subagent", "bank_paying_agent", "bank_paying_subagent",
          "commission_agent", "attorney", "another")
PAYMENT_OBJECTS = ("service", "payment", "agent_commission", "another", "commodity")
PAYMENT_METHODS = ("full_prepayment", "prepayment", "advance", "full_payment")
PAYMENT_TYPES = ("cash", "electronically")
MODES = ("none", "atol_web", "atol_online")
DEFAULT_WEB_URL = "http://127.0.0.1:16732"
DEFAULT_ONLINE_URL = "https://online.atol.ru/possystem/v5"
CORRECTION_TYPES = ("self", "instruction")
# Limits of the format (FFD 1.2 tag lengths as ATOL documents them) and of our columns.
NAME_MAX = 128  # 1030, ATOL item name
OPERATOR_NAME_MAX = 64  # 1021
CONTACT_MAX = 64  # 1008
AGENT_OPERATION_MAX = 24  # 1044
SUPPLIER_NAME_MAX = 160  # fiscal_settings.supplier_name
PLACE_MAX = 255  # 1187 / ATOL Online payment_address
SHORT_TEXT_MAX = 64  # group code, login, company e-mail
URL_MAX = 255
# Agent signs that make a receipt carry the agent's and the payment operator's phones (1073, 1074)
# and the supplier's phone (1171): FFD 1.2 makes them mandatory for payment agents and subagents.
_PHONE_AGENTS = ("paying_agent", "paying_subagent", "bank_paying_agent", "bank_paying_subagent")
_BANK_AGENTS = ("bank_paying_agent", "bank_paying_subagent")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_PHONE_CHARS = re.compile(r"[+0-9 ()\-\u00a0]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_GROUP = re.compile(r"[A-Za-z0-9_.\-]+")
CONTACT_FIELD = N_("Телефон или e-mail покупателя")


@dataclass(frozen=True, slots=True)
class FiscalRules:
    """A payee's register settings: ``storage.models.FiscalSettings`` column for column, plus the owner's INN.

    ``company_inn`` is the INN of the register's owner (tag 1018; ATOL Online's ``company.inn``):
    a local register knows its own, a cloud one must be told.  Phones are ``+7XXXXXXXXXX``.
    """

    mode: str = "none"
    url: str | None = None
    group_code: str | None = None
    login: str | None = None
    company_email: str | None = None
    card_by_bank: bool = False
    tax_system: str = "usn_income"
    vat: str = "none"
    agent: str = "none"
    agent_operation: str | None = None
    agent_phone: str | None = None
    operator_phone: str | None = None
    supplier_name: str | None = None
    supplier_inn: str | None = None
    supplier_phone: str | None = None
    payment_object: str = "service"
    payment_method: str = "full_prepayment"
    item_name: str | None = None
    place: str | None = None
    company_inn: str | None = None


RULE_FIELDS = tuple(f.name for f in fields(FiscalRules))


def default_rules(payee_kind: str, payee_name: str, payee_inn: str, *, mode: str = "atol_web",
                  url: str | None = DEFAULT_WEB_URL, agent_phone: str | None = None,
                  operator_phone: str | None = None, supplier_phone: str | None = None) -> FiscalRules:
    """The defaults FISCAL.md gives; the accountant changes them in the payee's settings.

    An ISP office takes a subscriber's money for the provider as a **payment agent**: the position is
    «платёж», paid in full in advance (the service comes later), the provider is the supplier.
    A travel agency sells the operator's tour as an **agent** (sign «агент», FFD "another"): the
    position is a service paid in full in advance, the tour operator is the supplier.
    The payee is the supplier in both cases; the phones a payment agent must print are not known
    here and stay empty until the administrator fills them in (``check_rules`` says so).
    """
    common = {"mode": mode, "url": url, "supplier_name": payee_name, "supplier_inn": payee_inn,
              "supplier_phone": supplier_phone, "tax_system": "usn_income", "vat": "none",
              "payment_method": "full_prepayment"}
    if payee_kind == "isp":
        return FiscalRules(agent="paying_agent", payment_object="payment", agent_phone=agent_phone,
                           operator_phone=operator_phone, item_name="Оплата услуг связи", **common)  # i18n: data
    if payee_kind == "travel":
        return FiscalRules(agent="another", payment_object="service",
                           item_name="Оплата туристского продукта", **common)  # i18n: data
    # Someone the office sells for itself: no agent, no supplier.
    return FiscalRules(mode=mode, url=url, item_name="Оплата услуг")  # i18n: data


# ---------------------------------------------------------------- single values


def check_text(value: object, field: str, *, limit: int, required: bool = True,
               what: str = N_("значение")) -> str | None:
    """The stripped text or None; ``what`` (marked with ``N_``) names the value in «укажите …»."""
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise ValidationError(field, tr("укажите {what}", what=tr(what)))
        return None
    if _CONTROL.search(text):
        raise ValidationError(field, tr("недопустимые управляющие символы"))
    if len(text) > limit:
        # Never cut: a shortened name on a tax document is a different name.
        raise ValidationError(field, tr("не длиннее {limit} символов (сейчас {n})", limit=limit, n=len(text)))
    return text


def normalize_phone(value: str, field: str) -> str:
    """``8 (912) 345-67-89`` → ``+79123456789``; a foreign ``+<code><number>`` is kept as digits."""
    text = str(value).strip()
    if not text or not _PHONE_CHARS.fullmatch(text) or text.count("+") > 1 or "+" in text[1:]:
        raise ValidationError(field, tr("нужен номер вида +7XXXXXXXXXX, введено «{typed}»", typed=_shown(text)))
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78" and (digits[0] == "8" or text.startswith(("+", "7"))):
        return "+7" + digits[1:]
    if len(digits) == 10 and not text.startswith("+") and digits[0] == "9":
        return "+7" + digits
    if text.startswith("+") and not digits.startswith("7") and 8 <= len(digits) <= 15:
        return "+" + digits
    raise ValidationError(field, tr("нужен номер вида +7XXXXXXXXXX, введено «{typed}»", typed=_shown(text)))


def normalize_email(value: str, field: str) -> str:
    text = str(value).strip()
    if not _EMAIL.fullmatch(text) or _CONTROL.search(text):
        raise ValidationError(field, tr("неверный адрес e-mail «{typed}»", typed=_shown(text)))
    if len(text) > CONTACT_MAX:
        raise ValidationError(field, tr("адрес e-mail не длиннее {limit} символов", limit=CONTACT_MAX))
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_inn(value: object, field: str, *, person: bool = False) -> str:
    text = re.sub(r"[\s\u00a0]", "", "" if value is None else str(value))
    lengths = (12,) if person else (10, 12)
    if not text.isascii() or not text.isdigit() or len(text) not in lengths:
        shown = _shown(str(value))
        raise ValidationError(field, tr("нужно 12 цифр, введено «{typed}»", typed=shown) if person
                              else tr("нужно 10 или 12 цифр, введено «{typed}»", typed=shown))
    try:
        stdnum_inn.validate(text)
    except StdnumError:
        raise ValidationError(field, tr("«{typed}» не проходит проверку контрольной цифры — опечатка?",
                                        typed=text)) from None
    return text


def check_contact(text: str) -> str:
    """The buyer's e-mail or phone for an e-receipt (tag 1008), normalised; refused with a reason."""
    value = "" if text is None else str(text).strip()
    if not value:
        raise ValidationError(CONTACT_FIELD, tr("укажите телефон или e-mail"))
    if len(value) > CONTACT_MAX:
        raise ValidationError(CONTACT_FIELD, tr("не длиннее {limit} символов", limit=CONTACT_MAX))
    if "@" in value:
        return normalize_email(value, CONTACT_FIELD)
    try:
        return normalize_phone(value, CONTACT_FIELD)
    except ValidationError:
        raise ValidationError(
            CONTACT_FIELD, tr("нужен телефон +7XXXXXXXXXX или e-mail, введено «{typed}»", typed=_shown(value))
        ) from None


def _shown(text: str) -> str:
    return _CONTROL.sub("?", text)[:40]


def _url(value: str | None, field: str, *, https: bool) -> str:
    url = check_text(value, field, limit=URL_MAX, what=N_("адрес"))
    assert url is not None
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValidationError(field, tr("неверный адрес «{url}»", url=_shown(url))) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(field, tr("адрес должен начинаться с http:// или https://: «{url}»",
                                        url=_shown(url)))
    if https and parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValidationError(field, tr("облачная касса — только по https://"))
    return url


# ---------------------------------------------------------------- the rules


def check_choice(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise ValidationError(field, tr("«{value}» — нет такого значения ({allowed})", value=_shown(str(value)),
                                        allowed=", ".join(allowed)))


def _rule_checks(rules: FiscalRules) -> list[tuple[str, Any]]:
    """(column, check) pairs: each check returns the cleaned value or raises ValidationError."""
    checks: list[tuple[str, Any]] = [("mode", lambda: check_choice(rules.mode, MODES, N_("Режим ККТ")) or rules.mode)]
    if rules.mode == "atol_web":
        checks.append(("url", lambda: _url(rules.url, N_("Адрес ККТ (АТОЛ Web-сервер)"), https=False)))
    if rules.mode == "atol_online":
        checks += [
            ("url", lambda: _url(rules.url, N_("Адрес АТОЛ Онлайн"), https=True)),
            ("group_code", lambda: _group(rules.group_code)),
            ("login", lambda: check_text(rules.login, N_("Логин АТОЛ Онлайн"), limit=SHORT_TEXT_MAX, what=N_("логин"))),
            ("company_inn", lambda: check_inn(rules.company_inn, N_("ИНН организации (владельца ККТ)"))),
            ("company_email", lambda: normalize_email(rules.company_email or "", N_("E-mail организации"))),
            ("place", lambda: check_text(rules.place, N_("Место расчётов"), limit=PLACE_MAX, what=N_("адрес сайта или место расчётов"))),
        ]
    elif rules.company_email:
        checks.append(("company_email", lambda: normalize_email(rules.company_email or "", N_("E-mail организации"))))
    if rules.mode == "none" and not rules.card_by_bank:
        return checks  # no receipts at all: the rest is not used
    checks += [
        ("tax_system", lambda: check_choice(rules.tax_system, TAX_SYSTEMS, N_("Система налогообложения")) or rules.tax_system),
        ("vat", lambda: check_choice(rules.vat, VATS, N_("НДС")) or rules.vat),
        ("agent", lambda: check_choice(rules.agent, AGENTS, N_("Признак агента")) or rules.agent),
        ("payment_object", lambda: check_choice(rules.payment_object, PAYMENT_OBJECTS, N_("Предмет расчёта"))
         or rules.payment_object),
        ("payment_method", lambda: check_choice(rules.payment_method, PAYMENT_METHODS, N_("Способ расчёта"))
         or rules.payment_method),
        ("item_name", lambda: check_text(rules.item_name, N_("Наименование позиции"), limit=NAME_MAX, required=False)),
    ]
    if rules.mode != "atol_online":
        checks.append(("place", lambda: check_text(rules.place, N_("Место расчётов"), limit=PLACE_MAX, required=False)))
    agent = rules.agent
    if agent in _BANK_AGENTS:
        checks.append(("agent", lambda: _refuse_bank_agent(rules.agent)))
    if agent in AGENTS and agent != "none":
        phones = agent in _PHONE_AGENTS
        checks += [
            ("supplier_name", lambda: check_text(rules.supplier_name, N_("Поставщик (наименование)"),
                                            limit=SUPPLIER_NAME_MAX, what=N_("наименование поставщика"))),
            ("supplier_inn", lambda: check_inn(rules.supplier_inn, N_("ИНН поставщика"))),
            ("supplier_phone", lambda: _phone(rules.supplier_phone, N_("Телефон поставщика"), required=phones)),
            ("agent_operation", lambda: check_text(rules.agent_operation, N_("Операция платёжного агента"),
                                              limit=AGENT_OPERATION_MAX, required=agent in _BANK_AGENTS,
                                              what=N_("операцию банковского платёжного агента"))),
            ("agent_phone", lambda: _phone(rules.agent_phone, N_("Телефон платёжного агента"), required=phones)),
            ("operator_phone", lambda: _phone(rules.operator_phone, N_("Телефон оператора по приёму платежей"),
                                              required=phones)),
        ]
    return checks


def _refuse_bank_agent(agent: str) -> str:
    # FFD 1.2 makes a bank payment agent print the money-transfer operator (1005, 1016, 1026, 1075),
    # which the settings do not hold: a receipt without them would be refused or, worse, wrong.
    raise ValidationError(N_("Признак агента"), tr("банковский платёжный агент (субагент) требует данных оператора "
                                                  "перевода, которых нет в настройках: выберите «платёжный агент» "
                                                  "или другой признак"))


def _group(value: str | None) -> str:
    text = check_text(value, N_("Код группы АТОЛ Онлайн"), limit=SHORT_TEXT_MAX, what=N_("код группы"))
    assert text is not None
    if not _GROUP.fullmatch(text):
        raise ValidationError(N_("Код группы АТОЛ Онлайн"), tr("только латинские буквы, цифры, «_», «-» и "
                                                               "«.»"))
    return text


def _phone(value: str | None, field: str, *, required: bool) -> str | None:
    if value is None or not str(value).strip():
        if required:
            raise ValidationError(field, tr("обязателен для платёжного агента (ФФД 1.2)"))
        return None
    return normalize_phone(value, field)


def check_rules(rules: FiscalRules) -> list[ValidationError]:
    """Every problem of the settings at once (a form shows them all), each naming its field."""
    errors: list[ValidationError] = []
    for _column, check in _rule_checks(rules):
        try:
            check()
        except ValidationError as err:
            errors.append(err)
    return errors


def clean_rules(rules: FiscalRules) -> FiscalRules:
    """The rules with phones, e-mail and INNs normalised; the first problem is raised."""
    changes: dict[str, Any] = {}
    for column, check in _rule_checks(rules):
        changes[column] = check()
    return replace(rules, **changes)
