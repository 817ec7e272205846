"""The operator's internal exchange rates: one exact rate per currency per day.

Rubles for a booking are the tour-currency amount × the rate of the payment
day; without that day's rate ruble payments and documents are refused
(``booking_rules``).  Setting a rate needs ``manage_rates`` and leaves an audit
event with the old and new value.  A CSV import is all-or-nothing: every line
is checked before anything is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import parse_rate
from cashier_app.i18n import N_, tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_RU_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
CSV_HEADER = ("currency", "date", "rate")


@dataclass(frozen=True, slots=True)
class RateRow:
    currency: str
    day: date
    rate: Decimal
    entered_by: str | None
    entered_at: datetime | None

    def to_json(self) -> dict[str, object]:
        return {"currency": self.currency, "date": self.day.isoformat(), "rate": str(self.rate),
                "entered_by": self.entered_by,
                "entered_at": self.entered_at.isoformat() if self.entered_at else None}


@dataclass(frozen=True, slots=True)
class SetResult:
    row: RateRow
    previous: Decimal | None  # None: a new day; equal to row.rate: nothing changed


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int


def parse_currency(text: str, field: str = N_("Валюта")) -> str:
    code = (text or "").strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ValidationError(field, tr("«{value}» — не код валюты; нужно три латинские буквы, например USD",
                                        value=text))
    if code == "RUB":
        # A ruble is a ruble: a stored RUB rate could only ever be wrong.
        raise ValidationError(field, tr("курс рубля к рублю не вводится"))
    return code


def parse_day(text: str, field: str = N_("Дата")) -> date:
    """``2026-01-20`` or ``20.01.2026``."""
    raw = (text or "").strip()
    try:
        if mt := _RU_DATE.fullmatch(raw):
            return date(int(mt.group(3)), int(mt.group(2)), int(mt.group(1)))
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(field, tr("«{value}» — не дата; нужно ГГГГ-ММ-ДД или ДД.ММ.ГГГГ", value=text)) from exc


def _to_row(r: m.ExchangeRate) -> RateRow:
    return RateRow(r.currency, r.day, Decimal(r.rate).quantize(Decimal("0.0001")), r.entered_by, r.entered_at)


def rate_on(s: Session, currency: str, day: date) -> Decimal | None:
    """The rate of exactly ``day`` (never an older one: yesterday's rate must not be used)."""
    if currency == "RUB":
        return Decimal(1)
    value = s.execute(
        select(m.ExchangeRate.rate).where(m.ExchangeRate.currency == currency, m.ExchangeRate.day == day)
    ).scalar_one_or_none()
    return None if value is None else Decimal(value)


def _upsert(s: Session, ctx: DeskContext, currency: str, day: date, rate: Decimal, now: datetime) -> Decimal | None:
    row = s.execute(
        select(m.ExchangeRate).where(m.ExchangeRate.currency == currency, m.ExchangeRate.day == day)
        .with_for_update()
    ).scalar_one_or_none()
    login = ctx.user.login if ctx.user else None
    if row is None:
        s.add(m.ExchangeRate(currency=currency, day=day, rate=rate, entered_by=login, entered_at=now))
        previous = None
    else:
        previous = Decimal(row.rate).quantize(Decimal("0.0001"))
        if previous == rate:
            return previous  # same value again: no write, no audit noise
        row.rate, row.entered_by, row.entered_at = rate, login, now
    s.flush()
    audit.record(s, ctx, "rate.set", "exchange_rate", f"{currency}:{day.isoformat()}",
                 None if previous is None else {"rate": str(previous)}, {"rate": str(rate)}, now=now)
    return previous


def set_rate(ctx: DeskContext, currency: str, rate: str | Decimal, day: date | None = None) -> SetResult:
    """Enter or correct the internal rate of ``currency`` for ``day`` (default: today)."""
    require(ctx, "manage_rates")
    code = parse_currency(currency)
    value = parse_rate(str(rate), N_("Курс"))
    day = day or ctx.today()
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        previous = _upsert(uow.session, ctx, code, day, value, now)
        uow.commit()
    with ctx.db.read() as uow:
        row = uow.session.execute(
            select(m.ExchangeRate).where(m.ExchangeRate.currency == code, m.ExchangeRate.day == day)
        ).scalar_one()
        return SetResult(_to_row(row), previous)


# A bad line is named in the field; the field of a line is shown as built (no fixed source label).
FILE = N_("Файл")


def _line(n: int) -> str:
    return tr("Строка {n}", n=n)


def _cell(n: int, column: str) -> str:
    return tr("Строка {n}, поле {column}", n=n, column=column)


def parse_csv(text: str) -> list[tuple[str, date, Decimal]]:
    """Every line checked; the first bad one refuses the whole file, naming line and field.

    Separator ``,`` or ``;`` (taken from the header).  With ``,`` a decimal comma
    splits the rate into two cells (``USD,2026-01-20,92,4567``); four cells are
    therefore read as rate = third + "," + fourth.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise ValidationError(FILE, tr("пустой файл; первая строка — заголовок currency,date,rate"))
    sep = ";" if ";" in lines[0] else ","
    header = [h.strip().lower() for h in lines[0].split(sep)]
    if tuple(header) != CSV_HEADER:
        raise ValidationError(_line(1), tr("заголовок должен быть «{header}», а не «{found}»",
                                           header=sep.join(CSV_HEADER), found=lines[0]))
    out: list[tuple[str, date, Decimal]] = []
    seen: dict[tuple[str, date], int] = {}
    for n, cells in enumerate(csv.reader(io.StringIO("\n".join(lines[1:])), delimiter=sep), start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if sep == "," and len(cells) == 4:
            cells = [cells[0], cells[1], f"{cells[2]},{cells[3]}"]
        if len(cells) != 3:
            raise ValidationError(_line(n), tr("нужно три поля ({header}), а их {count}", header=sep.join(CSV_HEADER),
                                               count=len(cells)))
        code = parse_currency(cells[0], _cell(n, "currency"))
        day = parse_day(cells[1], _cell(n, "date"))
        rate = parse_rate(cells[2], _cell(n, "rate"))
        if (code, day) in seen:
            raise ValidationError(_line(n), tr("курс {code} на {day} уже есть в строке {line}", code=code,
                                               day=f"{day:%d.%m.%Y}", line=seen[(code, day)]))
        seen[(code, day)] = n
        out.append((code, day, rate))
    if not out:
        raise ValidationError(FILE, tr("в файле нет ни одного курса"))
    return out


def import_csv(ctx: DeskContext, source: str | Path) -> ImportResult:
    """Import a rates file (path or its text); all lines or none."""
    require(ctx, "manage_rates")
    if isinstance(source, Path):
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise ValidationError(FILE, tr("не удалось прочитать {path}: {error}", path=source,
                                           error=exc.strerror)) from exc
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1251")  # Excel on a Russian Windows saves CSV so
    else:
        text = source
    rows = parse_csv(text)
    now = datetime.now(UTC)
    added = changed = unchanged = 0
    with ctx.db.uow() as uow:
        for code, day, rate in rows:
            previous = _upsert(uow.session, ctx, code, day, rate, now)
            if previous is None:
                added += 1
            elif previous == rate:
                unchanged += 1
            else:
                changed += 1
        uow.commit()
    return ImportResult(added, changed, unchanged)


def list_rates(ctx: DeskContext, currency: str | None = None, since: date | None = None,
               until: date | None = None, limit: int = 1000) -> list[RateRow]:
    """History, newest day first; needs ``view_rates``."""
    require(ctx, "view_rates")
    stmt = select(m.ExchangeRate).order_by(m.ExchangeRate.day.desc(), m.ExchangeRate.currency).limit(limit)
    if currency:
        stmt = stmt.where(m.ExchangeRate.currency == parse_currency(currency))
    if since:
        stmt = stmt.where(m.ExchangeRate.day >= since)
    if until:
        stmt = stmt.where(m.ExchangeRate.day <= until)
    with ctx.db.read() as uow:
        return [_to_row(r) for r in uow.session.execute(stmt).scalars()]


def currencies(ctx: DeskContext) -> list[str]:
    """Currencies that have rates (and the usual two); needs ``view_rates``."""
    require(ctx, "view_rates")
    with ctx.db.read() as uow:
        found = uow.session.execute(select(m.ExchangeRate.currency).distinct()).scalars().all()
    return sorted(set(found) | {"USD", "EUR"})
