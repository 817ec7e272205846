"""A payee's payment-register layout: which columns, in which order, and how values are written.

Kept per payee as one JSON document (table ``registry_layouts``, ``services/registry_layouts.py``);
no row means :data:`DEFAULT`.  Everything here is pure: the layout is validated as a whole (every
problem at once, each naming its field) because an accountant types it once and a bad separator or
date format silently breaks every file after it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

# The fixed vocabulary (issue 14): a column is one of these or the layout is refused.  The names are
# the register file's headers, the payee's format: not translated.
COLUMNS: dict[str, str] = {
    "number": "Номер платежа",  # i18n: data
    "txn_id": "Номер операции",  # i18n: data
    "date": "Дата",  # i18n: data
    "time": "Время",  # i18n: data
    "datetime": "Дата и время",  # i18n: data
    "account": "Лицевой счёт",  # i18n: data
    "full_name": "ФИО",  # i18n: data
    "address": "Адрес",  # i18n: data
    "amount": "Сумма",  # i18n: data
    "method": "Способ оплаты",  # i18n: data
    "desk": "Касса",  # i18n: data
    "cashier": "Кассир",  # i18n: data
    "payee_inn": "ИНН получателя",  # i18n: data
    "purpose": "Назначение платежа",  # i18n: data
    "prv_txn": "Номер в биллинге",  # i18n: data
}
SEPARATORS = {";": N_("точка с запятой"), ",": N_("запятая"), "\t": N_("табуляция"), "|": N_("вертикальная черта")}
AMOUNT_FORMATS = ("1234.50", "1234,50", "kopecks")
ENCODINGS = ("cp1251", "utf-8")
# A strftime subset: the directives that mean the same on every platform and locale
# (%b or %A would write the month's name in the desk's locale — not a register).
DATE_DIRECTIVES = frozenset("dmYyHMS")
_LITERALS = re.compile(r"[ .\-/:T_]")
MAX_COLUMNS = 30

# Field labels of the layout (source text: ``ValidationError`` translates them where shown).
F_COLUMNS = N_("Колонки")
F_SEPARATOR = N_("Разделитель")
F_DATE = N_("Формат даты")
F_TIME = N_("Формат времени")
F_AMOUNT = N_("Формат суммы")
F_ENCODING = N_("Кодировка")
F_PAYER = N_("Плательщик")


@dataclass(frozen=True, slots=True)
class RegistryLayout:
    """The layout of a CSV register.  ``payer_*`` is who hands the money over in the 1C file
    (the office as the payee's agent); empty means the payee itself (cash collected on its behalf)."""

    columns: tuple[str, ...] = ("number", "txn_id", "datetime", "account", "full_name", "amount", "method")
    separator: str = ";"
    date_format: str = "%d.%m.%Y"
    time_format: str = "%H:%M:%S"
    amount_format: str = "1234.50"
    encoding: str = "cp1251"
    header: bool = True
    crlf: bool = True
    totals: bool = True
    payer_name: str = ""
    payer_inn: str = ""
    payer_account: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["columns"] = list(self.columns)
        data.pop("extra")
        return data

    @property
    def newline(self) -> str:
        return "\r\n" if self.crlf else "\n"


DEFAULT = RegistryLayout()
_FIELDS = {f for f in RegistryLayout.__dataclass_fields__ if f != "extra"}


def _check_strftime(text: Any, field_name: str, separator: str) -> list[ValidationError]:
    if not isinstance(text, str) or not text:
        return [ValidationError(field_name, tr("укажите формат, например %d.%m.%Y"))]
    if len(text) > 32:
        return [ValidationError(field_name, tr("слишком длинный формат (не больше 32 символов)"))]
    problems: list[ValidationError] = []
    i = 0
    directives = 0
    while i < len(text):
        ch = text[i]
        if ch == "%":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt not in DATE_DIRECTIVES:
                shown = f"%{nxt}" if nxt else "%"
                return [ValidationError(field_name, tr("«{shown}» не поддерживается; можно %d %m %Y %y %H %M %S",
                                                            shown=shown))]
            directives += 1
            i += 2
            continue
        if not _LITERALS.fullmatch(ch):
            return [ValidationError(field_name, tr("символ «{ch}» недопустим; между полями — пробел . - / : T _",
                                                        ch=ch))]
        if ch == separator:
            problems.append(ValidationError(field_name, tr("содержит разделитель колонок — файл не прочитать")))
        i += 1
    if not directives:
        problems.append(ValidationError(field_name, tr("нет ни одного поля (%d, %m, %Y …)")))
    return problems


def _check_payer(data: dict[str, Any]) -> list[ValidationError]:
    problems = []
    inn = data.get("payer_inn") or ""
    if not isinstance(inn, str) or (inn and not re.fullmatch(r"[0-9]{10}|[0-9]{12}", inn)):
        problems.append(ValidationError(N_("Плательщик: ИНН"), tr("ИНН — 10 или 12 цифр")))
    acc = data.get("payer_account") or ""
    if not isinstance(acc, str) or (acc and not re.fullmatch(r"[0-9]{20}", acc)):
        problems.append(ValidationError(N_("Плательщик: счёт"), tr("расчётный счёт — 20 цифр")))
    name = data.get("payer_name") or ""
    if not isinstance(name, str) or len(name) > 160 or any(ord(c) < 32 for c in name):
        problems.append(ValidationError(N_("Плательщик: наименование"),
                                        tr("не длиннее 160 символов, без управляющих")))
    return problems


def problems(data: dict[str, Any]) -> list[ValidationError]:
    """Every problem of a layout document at once (an empty list: it is good)."""
    if not isinstance(data, dict):
        return [ValidationError(F_COLUMNS, tr("описание реестра должно быть объектом"))]
    out: list[ValidationError] = []
    unknown = sorted(str(k) for k in data if k not in _FIELDS)
    if unknown:
        out.append(ValidationError(N_("Реестр"), tr("неизвестные параметры: {names}", names=", ".join(unknown))))
    cols = data.get("columns", list(DEFAULT.columns))
    if not isinstance(cols, list | tuple) or not cols:
        out.append(ValidationError(F_COLUMNS, tr("нужна хотя бы одна колонка")))
        cols = []
    elif len(cols) > MAX_COLUMNS:
        out.append(ValidationError(F_COLUMNS, tr("не больше {n} колонок", n=MAX_COLUMNS)))
    seen: set[str] = set()
    for c in cols:
        if not isinstance(c, str) or c not in COLUMNS:
            out.append(ValidationError(F_COLUMNS, tr("неизвестная колонка «{column}»; можно: {known}",
                                                     column=str(c)[:40], known=", ".join(COLUMNS))))
        elif c in seen:
            out.append(ValidationError(F_COLUMNS, tr("колонка «{column}» указана дважды", column=c)))
        seen.add(str(c))
    if cols and "amount" not in cols:
        out.append(ValidationError(F_COLUMNS, tr("без колонки amount (сумма) реестр не сверить")))
    sep = data.get("separator", DEFAULT.separator)
    if sep not in SEPARATORS:
        out.append(ValidationError(F_SEPARATOR, tr("можно «;», «,», табуляцию или «|»")))
        sep = ""
    out += _check_strftime(data.get("date_format", DEFAULT.date_format), F_DATE, sep)
    out += _check_strftime(data.get("time_format", DEFAULT.time_format), F_TIME, sep)
    amount = data.get("amount_format", DEFAULT.amount_format)
    if amount not in AMOUNT_FORMATS:
        out.append(ValidationError(F_AMOUNT, tr("можно 1234.50, 1234,50 или kopecks")))
    elif amount == "1234,50" and sep == ",":
        out.append(ValidationError(F_AMOUNT, tr("запятая в сумме при разделителе «,» — файл не прочитать")))
    if data.get("encoding", DEFAULT.encoding) not in ENCODINGS:
        out.append(ValidationError(F_ENCODING, tr("можно cp1251 или utf-8")))
    for flag in ("header", "crlf", "totals"):
        if flag in data and not isinstance(data[flag], bool):
            out.append(ValidationError(flag, tr("да или нет (true/false)")))
    out += _check_payer(data)
    return out


def from_json(data: dict[str, Any]) -> RegistryLayout:
    """A validated layout from its JSON document (``ValidationError`` with the first problem)."""
    found = problems(data)
    if found:
        raise found[0]
    values = {k: v for k, v in data.items() if k in _FIELDS}
    if "columns" in values:
        values["columns"] = tuple(values["columns"])
    return replace(DEFAULT, **values)


def parse_assignments(pairs: list[str], base: RegistryLayout = DEFAULT) -> dict[str, Any]:
    """``KEY=VALUE`` pairs of the CLI (``columns=number,amount``, ``header=no``) over ``base``."""
    data = base.as_json()
    for pair in pairs:
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq:
            raise ValidationError(pair[:40], tr("нужно КЛЮЧ=ЗНАЧЕНИЕ"))
        if key == "columns":
            data[key] = [c.strip() for c in value.split(",") if c.strip()]
        elif key in ("header", "crlf", "totals"):
            low = value.strip().lower()
            if low not in ("yes", "no", "да", "нет", "true", "false", "1", "0"):  # i18n: data
                raise ValidationError(key, tr("да или нет"))
            data[key] = low in ("yes", "да", "true", "1")  # i18n: data
        elif key == "separator":
            data[key] = {"tab": "\t", "\\t": "\t"}.get(value, value)
        else:
            data[key] = value
    return data


def format_amount(minor: int, amount_format: str) -> str:
    """Kopecks as the layout writes them: exact, never through a float."""
    if amount_format == "kopecks":
        return str(minor)
    sign = "-" if minor < 0 else ""
    rub, kop = divmod(abs(minor), 100)
    point = "," if amount_format == "1234,50" else "."
    return f"{sign}{rub}{point}{kop:02d}"


_AMOUNT_RE = re.compile(r"-?[0-9]{1,13}(?:[.,][0-9]{1,2})?")  # ASCII digits only: \d takes «١٢»


def parse_amount(text: str, amount_format: str | None = None, field_name: str = N_("Сумма")) -> int:
    """A register's amount back to kopecks: «1234.50», «1234,50», «-12,3»; kopecks when the layout says so.

    Spaces (thousands) are dropped; «12,345», «1e3», «NaN» are refused — a wrong guess would be a
    wrong sum in an accountant's report.
    """
    raw = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if amount_format == "kopecks":
        if not re.fullmatch(r"-?[0-9]{1,15}", raw):
            raise ValidationError(field_name, tr("не сумма в копейках: «{typed}»", typed=text[:30]))
        return int(raw)
    if not _AMOUNT_RE.fullmatch(raw):
        raise ValidationError(field_name, tr("не сумма: «{typed}»", typed=text[:30]))
    return int((Decimal(raw.replace(",", ".")) * 100).to_integral_value())


def format_when(moment: datetime, fmt: str) -> str:
    """A validated strftime subset; zero-padded everywhere (no platform differences)."""
    return moment.strftime(fmt)
