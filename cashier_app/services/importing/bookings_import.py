"""Import of a tour operator's bookings (issue 14): one row per tourist, the booking's columns repeated.

Upsert by booking number in one transaction (all-or-nothing; ``skip_bad``: the good bookings).  The
operator's ``paid`` never lowers what this app credited (``bookings.paid_minor``, kept by the ledger):
the higher stays and a warning says so.  Tourists are replaced only when the list changed.  Operator
exports are small (thousands of rows), so this path uses the ORM; rows of one booking are grouped
by number, which needs the booking's rows in memory — one booking at a time is not assumed.
Permission: an administrator or a manager («correct»: the managers handle the operators' bookings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cashier_app.domain import import_fields as f
from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import check_amount
from cashier_app.domain.normalize import passport_key, text_key
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext
from cashier_app.services.importing.accounts_import import file_sha256
from cashier_app.services.importing.report import ImportReport, RowError
from cashier_app.services.importing.sources import read_table
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

FIELDS = ["number", "status", "tour_type", "country", "hotel", "departure", "return", "price", "currency", "paid",
          "agency", "agency_inn", "manager", "tourist", "passport", "birth_date"]
REQUIRED = ["number", "status", "country", "departure", "return", "price", "currency", "tourist", "passport"]
STATUSES = {"awaiting": "awaiting", "ожидает": "awaiting", "confirmed": "confirmed", "подтверждена": "confirmed",  # i18n: data
            "cancelled": "cancelled", "аннулирована": "cancelled", "отменена": "cancelled"}  # i18n: data
_LIMITS = {"number": 16, "tour_type": 16, "country": 60, "hotel": 120, "agency": 160, "tourist": 160}


@dataclass(slots=True)
class _Booking:
    line: int
    values: dict[str, Any]
    tourists: list[tuple[str, str, date | None]] = field(default_factory=list)


def _date(text: str) -> date | None:
    t = text.strip()
    if not t:
        return None
    for pat, order in ((r"(\d{4})-(\d{2})-(\d{2})", "ymd"), (r"(\d{2})\.(\d{2})\.(\d{4})", "dmy")):
        mt = re.fullmatch(pat, t[:10])
        if mt:
            a, b, c = (int(x) for x in mt.groups())
            try:
                return date(a, b, c) if order == "ymd" else date(c, b, a)
            except ValueError:
                break
    raise f.FieldError(tr("не дата: \"{value}\" (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)", value=t))


def _cell(name: str, text: str) -> Any:
    if name in ("departure", "return", "birth_date"):
        return _date(text)
    if name in ("price", "paid"):
        v = f.parse_money(text, required=name == "price")
        if v is not None:
            try:  # a price or a payment is never negative: the project's one amount check says so
                check_amount(v, name, allow_zero=True)
            except ValidationError as exc:
                raise f.FieldError(exc.message) from None
        return v
    if name == "status":
        key = text.strip().lower()
        if key not in STATUSES:
            raise f.FieldError(tr("неизвестный статус «{status}»: {known}", status=text.strip(),
                                  known=", ".join(sorted(set(STATUSES.values())))))
        return STATUSES[key]
    if name == "currency":
        v = text.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise f.FieldError(tr("не код валюты: \"{value}\"", value=text.strip()))
        return v
    if name == "passport":
        v = passport_key(text)
        if not v or len(v) > 16:
            raise f.FieldError(tr("не номер паспорта: \"{value}\"", value=text.strip()))
        return v
    if name == "number":
        v = f.parse_number(text)
        if len(v) > 16:
            raise f.FieldError(_too_long(len(v), 16))
        return v
    v = " ".join(text.split()) or None
    if v is not None and name in _LIMITS and len(v) > _LIMITS[name]:
        raise f.FieldError(_too_long(len(v), _LIMITS[name]))
    return v


def _too_long(n: int, limit: int) -> str:
    return ntr("слишком длинно: {n} знак, не больше {limit}", "слишком длинно: {n} знаков, не больше {limit}", n,
               limit=limit)


def run(ctx: DeskContext, path: Path, *, payee_code: str | None = None, dry_run: bool = False,
        skip_bad: bool = False) -> ImportReport:
    require(ctx, "correct")  # manager or admin
    path = Path(path)
    table = read_table(path)
    cols = {c: f.header_key(c) for c in table.columns if f.header_key(c) in FIELDS}
    missing = [x for x in REQUIRED if x not in cols.values()]
    if missing:
        raise ValidationError(N_("колонки"), tr("в файле нет колонок: {columns}", columns=", ".join(missing)))
    rep = ImportReport(kind="bookings", file_name=path.name, dry_run=dry_run)
    groups: dict[str, _Booking] = {}
    bad_numbers: set[str] = set()
    for line, values in table.rows():
        out: dict[str, Any] = {}
        errs: list[RowError] = []
        for i, c in enumerate(table.columns):
            if c in cols:
                try:
                    out[cols[c]] = _cell(cols[c], values[i] if i < len(values) else "")
                except f.FieldError as exc:
                    errs.append(RowError(line, c, str(exc)))
        for need in ("departure", "return", "tourist"):
            if not errs and out.get(need) is None:
                errs.append(RowError(line, need, tr("пусто — значение обязательно")))
        number = out.get("number")
        if not errs and number in groups:
            head = {k: v for k, v in groups[number].values.items()}
            mine = {k: out.get(k) for k in head}
            if head != mine:
                errs.append(RowError(line, "number", tr("заявка {number}: колонки заявки не совпадают со строкой "
                                                        "{line}", number=number, line=groups[number].line)))
        if errs:
            rep.bad_total += 1
            rep.bad.extend(errs[:max(0, 1000 - len(rep.bad))])
            if number:
                bad_numbers.add(number)
            continue
        tourist = (out.pop("tourist"), out.pop("passport"), out.pop("birth_date", None))
        groups.setdefault(number, _Booking(line, out)).tourists.append(tourist)
    for n in bad_numbers:  # a booking with a bad row is not half-imported: all of its rows go
        groups.pop(n, None)
    if rep.bad_total and not skip_bad:
        return rep
    with ctx.db.uow() as uow:
        s = uow.session
        q = select(m.Payee).where(m.Payee.kind == "travel")
        payees = s.execute(q.where(m.Payee.code == payee_code) if payee_code else q).scalars().all()
        if len(payees) != 1:
            raise ValidationError("--payee", tr("укажите код туроператора") if payees or not payee_code
                                  else tr("нет туроператора с кодом «{code}»", code=payee_code))
        payee = payees[0]
        managers = dict(s.execute(select(m.User.login, m.User.id)).all())
        for b in groups.values():
            rep.rows += 1
            _upsert(s, ctx, rep, payee.id, b, managers)
        if dry_run:
            return rep
        audit.record(s, ctx, "import.bookings", "payee", payee.code,
                     after={"file": path.name, "sha256": file_sha256(path), **rep.counts()})
        now = datetime.now(UTC)
        s.add(m.ImportRun(kind="bookings", payee_id=payee.id, file_name=path.name[-255:], file_sha256=file_sha256(path),
                          state="done", counts=rep.counts(), user_id=ctx.user.id if ctx.user else None,
                          desk=ctx.desk, started_at=now, finished_at=now))
        uow.commit()
    rep.written = rep.changed > 0
    return rep


def _agency(s: Any, name: str | None, inn: str | None) -> int | None:
    if not name and not inn:
        return None
    q = select(m.Agency.id).where(m.Agency.inn == inn) if inn else select(m.Agency.id).where(m.Agency.name == name)
    aid = s.execute(q.limit(1)).scalar()
    if aid is None:
        a = m.Agency(name=name or inn, inn=inn)
        s.add(a)
        s.flush()
        aid = a.id
    return aid


def _upsert(s: Any, ctx: DeskContext, rep: ImportReport, payee_id: int, b: _Booking, managers: dict[str, int]) -> None:
    v = b.values
    values = {"status": v["status"], "tour_type": v.get("tour_type") or "standard", "country": v["country"],
              "hotel": v.get("hotel"), "departure_on": v["departure"], "return_on": v["return"],
              "currency": v["currency"], "price_minor": v["price"],
              "agency_id": _agency(s, v.get("agency"), v.get("agency_inn")),
              "manager_id": managers.get((v.get("manager") or "").lower())}
    booking = s.execute(select(m.Booking).where(m.Booking.number == v["number"])).scalar_one_or_none()
    paid = v.get("paid")
    if booking is None:
        booking = m.Booking(number=v["number"], payee_id=payee_id, paid_minor=paid or 0, created_on=ctx.today(),
                            **values)
        s.add(booking)
        s.flush()
        rep.created += 1
        changed, is_new = True, True
    else:
        changed, is_new = False, False
        for k, val in values.items():
            if getattr(booking, k) != val:
                setattr(booking, k, val)
                changed = True
        if paid is not None and paid != booking.paid_minor:
            if paid < booking.paid_minor:
                rep.warnings.append(tr("заявка {number}: туроператор знает оплату {theirs}, здесь принято {ours} — "
                                       "оставлено большее", number=booking.number, theirs=f"{paid / 100:.2f}",
                                       ours=f"{booking.paid_minor / 100:.2f}"))
            else:
                booking.paid_minor, changed = paid, True
    want = [(text_key(n), p, d) for n, p, d in b.tourists]
    have = [(t.name_norm, t.passport_no, t.birth_date) for t in booking.tourists] if booking.id else []
    if sorted(want, key=str) != sorted(have, key=str):
        for t in list(booking.tourists):
            s.delete(t)
        s.flush()
        for i, (name, passport, born) in enumerate(b.tourists):
            s.add(m.Tourist(booking_id=booking.id, full_name=name, name_norm=text_key(name), passport_no=passport,
                            birth_date=born, is_lead=i == 0))
        changed = True
    s.flush()
    s.expire(booking, ["tourists"])
    if not is_new:
        if changed:
            rep.updated += 1
        else:
            rep.unchanged += 1
