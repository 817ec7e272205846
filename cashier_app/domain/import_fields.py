"""Import of a billing's subscriber list: the fields, the billings' column names, the cell parsers.

Pure functions: a cell's text → a value or ``FieldError`` (a Russian reason); the importer adds the
line and the column.  Lengths are the columns' of ``storage/models.py``: a value that does not fit is
refused with the limit named — never cut.
"""

from __future__ import annotations

import re

from cashier_app.domain.address import parse_address, squeeze_spaces
from cashier_app.domain.errors import ValidationError
from cashier_app.domain.normalize import phone_key, split_address
from cashier_app.i18n import N_, tr

# The generic export's columns, in the order a template file lists them.
REQUIRED = ["number", "full_name"]
FIELDS: list[str] = ["number", "contract", "login", "full_name", "phone", "address", "tariff", "monthly_charge",
                     "balance", "blocked", "services", "promised", "autopay", "email"]
# Translated where shown (``tr(FIELD_LABELS[name])``).
FIELD_LABELS: dict[str, str] = {
    "number": N_("лицевой счёт"), "contract": N_("договор"), "login": N_("логин"), "full_name": N_("ФИО"), "phone": N_("телефон"),
    "address": N_("адрес"), "tariff": N_("тариф"), "monthly_charge": N_("абонентская плата"), "balance": N_("баланс"),
    "blocked": N_("блокировка"), "services": N_("услуги"), "promised": N_("обещанный платёж"), "autopay": N_("автоплатёж"),
    "email": N_("e-mail"),
}

# Column name in the billing's export → field.  Matched case-insensitively after trimming spaces/BOM.
# ABillS (users list export, «Клиенты → Логины», CSV/XLS): names from ABillS' users table fields.
# NOT verified against a real export file here (no sample found by the search): LOGIN, FIO, DEPOSIT,
# CREDIT, PHONE, ADDRESS_FULL, TP_NAME, CONTRACT_ID, UID, DISABLE — ``UID`` is the account number.
# Ubilling (users list CSV): login, realname, Cash, Tariff, address, mobile, contract, Passive/Down —
# also unverified; Ubilling has no separate account number: the login is the account.
# LANBilling (agreements list): agrm_num/number, name, balance, tarif — unverified.
PRESETS: dict[str, dict[str, str]] = {
    "generic": {f: f for f in FIELDS},
    "abills": {
        "uid": "number", "contract_id": "contract", "login": "login", "fio": "full_name", "phone": "phone",
        "address_full": "address", "tp_name": "tariff", "deposit": "balance", "disable": "blocked",
        "email": "email", "credit": "promised",
    },
    "ubilling": {
        "login": "number", "contract": "contract", "realname": "full_name", "mobile": "phone",
        "address": "address", "tariff": "tariff", "cash": "balance", "down": "blocked", "email": "email",
    },
    "lanbilling": {
        "agrm_num": "number", "number": "number", "name": "full_name", "balance": "balance", "tarif": "tariff",
        "phone": "phone", "address": "address", "login": "login", "email": "email",
    },
}

# models.py column sizes (Contract / Account / Tariff).
LIMITS: dict[str, int] = {"number": 32, "contract": 32, "login": 64, "full_name": 160, "phone": 32, "email": 120,
                          "tariff": 120, "service": 120, "street": 120, "house": 16, "flat": 16, "city": 80,
                          "region": 80, "postal_index": 6}
MAX_MONEY_MINOR = 10**15  # a billing balance beyond ten trillion rubles is a broken cell


class FieldError(ValueError):
    """A cell that cannot be imported; ``str()`` is the reason in the current language."""


def header_key(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def mapping_for(columns: list[str], preset: str = "generic", overrides: dict[str, str] | None = None) -> dict[str, str]:
    """File column (as written) → field, from the preset and ``--map COLUMN=field`` (which wins).

    Unknown preset, unknown field, a mapped column the file lacks, or two columns on one field
    → ``ValidationError``.
    """
    if preset not in PRESETS:
        raise ValidationError("--preset", tr("неизвестный набор колонок «{preset}»: {known}", preset=preset,
                                              known=", ".join(PRESETS)))
    by_key = {header_key(c): c for c in columns}
    result: dict[str, str] = {}
    for col in columns:
        field = PRESETS[preset].get(header_key(col))
        if field:
            result[col] = field
    for col, field in (overrides or {}).items():
        if field not in FIELDS and field != "-":
            raise ValidationError("--map", tr("неизвестное поле «{field}»: {known}", field=field,
                                              known=", ".join(FIELDS)))
        real = by_key.get(header_key(col))
        if real is None:
            raise ValidationError("--map", tr("в файле нет колонки «{column}»", column=col))
        if field == "-":
            result.pop(real, None)  # «--map COL=-»: ignore that column
        else:
            result[real] = field
    seen: dict[str, str] = {}
    for col, field in result.items():
        if field in seen:
            raise ValidationError("--map", tr("поле «{field}» дают две колонки: «{first}» и «{second}»", field=field,
                                                   first=seen[field], second=col))
        seen[field] = col
    return result


def missing_required(mapping: dict[str, str]) -> list[str]:
    return [f for f in REQUIRED if f not in mapping.values()]


def _fits(value: str, limit_key: str) -> str:
    limit = LIMITS[limit_key]
    if len(value) > limit:
        raise FieldError(tr("слишком длинно: {n} знаков, не больше {limit}", n=len(value), limit=limit))
    return value


def parse_number(text: str) -> str:
    """An account/contract number: text as written (leading zeros kept), no spaces inside, ≤ 32."""
    value = text.strip()
    if not value:
        raise FieldError(tr("пусто — номер обязателен"))
    if any(ch.isspace() for ch in value):
        raise FieldError(tr("пробел внутри номера: \"{value}\"", value=value))
    if not value.isprintable():
        raise FieldError(tr("недопустимые символы"))
    return _fits(value, "number")


def parse_text(text: str, limit_key: str, *, required: bool = False) -> str | None:
    value = squeeze_spaces(text)
    if not value:
        if required:
            raise FieldError(tr("пусто — значение обязательно"))
        return None
    if not value.isprintable():
        raise FieldError(tr("недопустимые символы"))
    return _fits(value, limit_key)


_GROUPED = re.compile(r"[0-9]{1,3}(?: [0-9]{3})+(?:[.,][0-9]{1,2})?")
_PLAIN = re.compile(r"[0-9]+(?:[.,][0-9]{1,2})?")
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")


def parse_money(text: str, *, required: bool = False) -> int | None:
    """«1 234,50» / «1234.50» / «-5» / «1 234.5» → kopecks (signed).  Empty → None.

    Refused: «12,345» (a thousands comma or three decimals? — ambiguous), «1,234.50» (two separators),
    «1e3», «NaN», «12 34» (spaces not in groups of three).  Integer arithmetic only: no float ever.
    """
    raw = text.strip()
    if not raw:
        if required:
            raise FieldError(tr("пусто — сумма обязательна"))
        return None
    body = _SPACES.sub(" ", raw)
    sign = 1
    if body[:1] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:].lstrip()
    if not body.isascii() or not (_PLAIN.fullmatch(body) or _GROUPED.fullmatch(body)):
        raise FieldError(tr("не число: \"{typed}\"", typed=raw))
    digits = body.replace(" ", "")
    whole, _, frac = digits.replace(",", ".").partition(".")
    minor = int(whole) * 100 + int(frac.ljust(2, "0") or 0)
    if minor > MAX_MONEY_MINOR:
        raise FieldError(tr("слишком большая сумма: \"{typed}\"", typed=raw))
    return sign * minor


_YES = {"1", "да", "yes", "y", "true", "t", "д", "+", "blocked", "block", "disabled", "disable", "down", "off",  # i18n: data
        "заблокирован", "заблокирована", "блокирован", "блок", "отключен", "отключён", "passive"}  # i18n: data
_NO = {"0", "нет", "no", "n", "false", "f", "н", "-", "", "active", "on", "enabled", "up", "активен", "активна",  # i18n: data
       "включен", "включён", "норма", "ok"}  # i18n: data


def parse_blocked(text: str) -> bool:
    """1/0, да/нет, yes/no, true/false, or a state's name (blocked/active, заблокирован/активен)."""
    key = text.strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise FieldError(tr("не понятно, заблокирован ли: \"{typed}\" (1/0, да/нет)", typed=text.strip()))


def parse_phone(text: str) -> tuple[str | None, str | None]:
    """The phone as written (≤ 32) and its search key (``normalize.phone_key``; None when not Russian)."""
    value = parse_text(text, "phone")
    if value is None:
        return None, None
    return value, phone_key(value)


def parse_email(text: str) -> str | None:
    value = parse_text(text, "email")
    if value is not None and ("@" not in value or " " in value):
        raise FieldError(tr("не адрес почты: \"{value}\"", value=value))
    return value


def parse_services(text: str) -> list[str]:
    """Service names separated by «,» or «;»; each ≤ 120; duplicates once, order kept."""
    names: list[str] = []
    for part in re.split(r"[;,]", text):
        name = squeeze_spaces(part)
        if name and name not in names:
            names.append(_fits(name, "service"))
    return names


# The contract keeps the bare number («5», «12»): the card and the slip print «д.»/«кв.» themselves.
_HOUSE_WORD = re.compile(r"^(?:д|дом)\.?\s*", re.I)  # i18n: data
_FLAT_WORD = re.compile(r"^(?:кв|квартира)\.?\s*", re.I)  # i18n: data
ADDRESS_KEYS = ("postal_index", "region", "city", "street", "house", "flat")


def parse_address_cell(text: str) -> dict[str, str | None]:
    """An address → the contract's columns (postal_index, region, city, street, house, flat).

    Split by ``domain.address.parse_address`` (the boxes of ф. 112ЭП).  A billing's address that
    fits no box («Ленина 5-12») is not a bad row — the billing is the record: it falls back to the
    counter's own street/house split (``normalize.split_address``), then to the whole text as the
    street, so the lookup still finds it; the payer check refuses it at print time if it must.
    The district joins the region and the settlement the city (the contract has no such columns).
    """
    value = squeeze_spaces(text)
    out: dict[str, str | None] = dict.fromkeys(ADDRESS_KEYS)
    if not value:
        return out
    try:
        p = parse_address(value, "address")
        parts = {"postal_index": p.postal_index, "region": ", ".join(x for x in (p.region, p.district) if x),
                 "city": ", ".join(x for x in (p.city, p.settlement) if x), "street": p.street,
                 "house": _HOUSE_WORD.sub("", p.house), "flat": _FLAT_WORD.sub("", p.flat)}
        if not parts["street"]:
            raise ValidationError("address", tr("нет улицы"))
    except ValidationError:
        split = split_address(value)
        street, house = value, ""
        if split:
            at = value.find(split[1], len(split[0]))
            if at >= 0 and not value[at + len(split[1]):].strip():  # «Ленина 5»: nothing after the house
                street, house = split
        # Anything longer stays whole in the street: a part is never dropped.
        parts = {"postal_index": "", "region": "", "city": "", "street": street, "house": house, "flat": ""}
    for key in ADDRESS_KEYS:
        v = parts[key] or None
        if v is not None and len(v) > LIMITS[key]:
            raise FieldError(tr("слишком длинно ({field}): {n} знаков, не больше {limit}", field=key, n=len(v),
                                  limit=LIMITS[key]))
        out[key] = v
    return out
