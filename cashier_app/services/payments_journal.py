"""The payments journal: every ledger entry with filters, totals, CSV and XLSX export.

A cashier without ``view_journal`` sees only their own entries (they still
need to find and reprint their slips); managers and administrators see all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.money import to_decimal
from cashier_app.services.context import DeskContext, day_start_utc
from cashier_app.services.output_files import build_bytes, check_target, write_atomic
from cashier_app.services.permissions import allowed, require
from cashier_app.storage import models as m

if TYPE_CHECKING:
    pass

MAX_ROWS = 5000  # one export
PAGE_ROWS = 200  # one page of the scrolling journal view
METHODS = ("cash", "card", "bonus", "bank", "post", "contact", "euroset")
STATUSES = ("pending", "paid", "declined", "expired", "cancelled", "held", "refunded", "reversed")


@dataclass(frozen=True, slots=True)
class JournalFilter:
    date_from: date | None = None
    date_to: date | None = None
    desk: str | None = None
    user: str | None = None
    method: str | None = None
    status: str | None = None
    account: str | None = None
    booking: str | None = None


@dataclass(frozen=True, slots=True)
class JournalRow:
    id: int
    number: str
    created_at: datetime
    entry_kind: str
    method: str
    status: str
    amount_minor: int
    currency: str
    target_amount_minor: int | None
    target_currency: str | None
    account: str | None
    booking: str | None
    desk: str
    user: str | None
    shift: str | None
    reverses: str | None
    reason: str | None
    slip: str | None


@dataclass(frozen=True, slots=True)
class JournalTotals:
    count: int
    paid_minor: int  # credited payments
    returned_minor: int  # credited cancels and refunds (negative)
    net_minor: int
    by_method: dict[str, int]


@dataclass(frozen=True, slots=True)
class JournalResult:
    rows: list[JournalRow]
    totals: JournalTotals
    truncated: bool


def _validate(f: JournalFilter) -> None:
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationError("Дата по", "раньше даты «с»")
    if f.method and f.method not in METHODS:
        raise ValidationError("Способ", f"«{f.method}» — нет такого; допустимо: {', '.join(METHODS)}")
    if f.status and f.status not in STATUSES:
        raise ValidationError("Статус", f"«{f.status}» — нет такого; допустимо: {', '.join(STATUSES)}")


def _local_bound(day: date) -> datetime:
    return day_start_utc(day)


def _conditions(ctx: DeskContext, f: JournalFilter | None) -> list:  # type: ignore[type-arg]
    require(ctx, "lookup")
    f = f or JournalFilter()
    _validate(f)
    assert ctx.user is not None
    if not allowed(ctx.user.role, "view_journal"):
        if f.user and f.user != ctx.user.login:
            raise ValidationError("Кассир", "кассир видит только свои платежи")
        f = JournalFilter(**{**asdict(f), "user": ctx.user.login})
    conds = []
    if f.date_from:
        conds.append(m.Payment.created_at >= _local_bound(f.date_from))
    if f.date_to:
        conds.append(m.Payment.created_at < _local_bound(f.date_to + timedelta(days=1)))
    if f.desk:
        conds.append(m.Payment.desk == f.desk)
    if f.user:
        conds.append(m.User.login == f.user)
    if f.method:
        conds.append(m.Payment.method == f.method)
    if f.status:
        conds.append(m.Payment.status == f.status)
    if f.account:
        conds.append(m.Account.number == f.account)
    if f.booking:
        conds.append(m.Booking.number == f.booking)
    return conds


def _rows(s: Session, conds: list, offset: int, limit: int) -> list[JournalRow]:  # type: ignore[type-arg]
    """``limit`` rows from ``offset``, newest first (the order is total: ties broken by id)."""
    orig = aliased(m.Payment)
    slip = (select(func.min(m.Document.number)).where(m.Document.payment_id == m.Payment.id)
            .correlate(m.Payment).scalar_subquery())
    stmt = (
        select(m.Payment, m.Account.number, m.Booking.number, m.User.login, m.CashShift.number, orig.number, slip)
        .outerjoin(m.Account, m.Account.id == m.Payment.account_id)
        .outerjoin(m.Booking, m.Booking.id == m.Payment.booking_id)
        .outerjoin(m.User, m.User.id == m.Payment.user_id)
        .outerjoin(m.CashShift, m.CashShift.id == m.Payment.shift_id)
        .outerjoin(orig, orig.id == m.Payment.reverses_id)
        .where(*conds)
        .order_by(m.Payment.created_at.desc(), m.Payment.id.desc())
        .offset(offset).limit(limit)
    )
    return [
        JournalRow(p.id, p.number, p.created_at, p.entry_kind, p.method, p.status,  # type: ignore[arg-type]
                   p.amount_minor, p.currency, p.target_amount_minor, p.target_currency, acc, bk, p.desk,
                   login, shift, rev, p.reason, sl)
        for p, acc, bk, login, shift, rev, sl in s.execute(stmt).all()
    ]


def _totals(s: Session, conds: list) -> JournalTotals:  # type: ignore[type-arg]
    """Totals over the whole filter, not just the rows shown."""
    tstmt = (
        select(m.Payment.entry_kind, m.Payment.method, func.count(), func.coalesce(func.sum(m.Payment.amount_minor), 0))
        .outerjoin(m.Account, m.Account.id == m.Payment.account_id)
        .outerjoin(m.Booking, m.Booking.id == m.Payment.booking_id)
        .outerjoin(m.User, m.User.id == m.Payment.user_id)
        .where(*conds, m.Payment.credited.is_(True))
        .group_by(m.Payment.entry_kind, m.Payment.method)
    )
    paid = returned = 0
    by_method: dict[str, int] = {}
    for kind, method, _n, total in s.execute(tstmt).all():
        if kind == "payment":
            paid += int(total)
        else:
            returned += int(total)
        by_method[method] = by_method.get(method, 0) + int(total)
    count = s.execute(
        select(func.count()).select_from(m.Payment)
        .outerjoin(m.Account, m.Account.id == m.Payment.account_id)
        .outerjoin(m.Booking, m.Booking.id == m.Payment.booking_id)
        .outerjoin(m.User, m.User.id == m.Payment.user_id)
        .where(*conds)
    ).scalar_one()
    return JournalTotals(int(count), paid, returned, paid + returned, by_method)


def query(ctx: DeskContext, f: JournalFilter | None = None, *, limit: int = MAX_ROWS) -> JournalResult:
    conds = _conditions(ctx, f)
    with ctx.db.read() as uow:
        s = uow.session
        rows = _rows(s, conds, 0, limit + 1)
        truncated = len(rows) > limit
        return JournalResult(rows[:limit], _totals(s, conds), truncated)


@dataclass(frozen=True, slots=True)
class JournalPage:
    rows: list[JournalRow]
    has_more: bool
    next_offset: int
    totals: JournalTotals | None  # only with the first page (offset 0): over the whole filter


def page(ctx: DeskContext, f: JournalFilter | None = None, *, offset: int = 0, limit: int = PAGE_ROWS) -> JournalPage:
    """One page of the journal for a scrolling view; the first page also carries the totals."""
    if offset < 0 or limit <= 0:
        raise ValueError("offset must be >= 0 and limit > 0")
    conds = _conditions(ctx, f)
    with ctx.db.read() as uow:
        s = uow.session
        rows = _rows(s, conds, offset, limit + 1)
        totals = _totals(s, conds) if offset == 0 else None
    has_more = len(rows) > limit
    rows = rows[:limit]
    return JournalPage(rows, has_more, offset + len(rows), totals)


@dataclass(frozen=True, slots=True)
class RefundInfo:
    """What the refund dialog needs: how much is left to give back and who the customer is."""

    number: str
    method: str
    amount_minor: int
    currency: str
    refunded_minor: int  # already reversed or refunded, positive
    left_minor: int
    customer: str  # the account owner or the booking's lead tourist; "" if unknown
    account: str | None
    booking: str | None


def refund_info(ctx: DeskContext, number: str) -> RefundInfo:
    require(ctx, "refund")
    from cashier_app.services.ledger import reversed_minor

    with ctx.db.read() as uow:
        s = uow.session
        p = s.execute(select(m.Payment).where(m.Payment.number == number)).scalar_one_or_none()
        if p is None:
            raise NotFound(f"Платёж № {number} не найден.")
        if p.entry_kind != "payment":
            raise RuleViolation(f"{number} — сама запись отмены или возврата; выберите исходный платёж")
        if not p.credited:
            raise RuleViolation(f"платёж {number} не зачислен — возвращать нечего")
        done = reversed_minor(s, p.id)
        left = p.amount_minor - done
        if left <= 0:
            raise RuleViolation(f"платёж {number} уже возвращён полностью")
        customer, account, booking = "", None, None
        if p.account_id is not None:
            a = s.get(m.Account, p.account_id)
            if a is not None:
                account = a.number
                contract = s.get(m.Contract, a.contract_id)
                customer = contract.full_name if contract else ""
        elif p.booking_id is not None:
            b = s.get(m.Booking, p.booking_id)
            if b is not None:
                booking = b.number
                tourists = s.execute(select(m.Tourist).where(m.Tourist.booking_id == b.id)
                                     .order_by(m.Tourist.is_lead.desc(), m.Tourist.id)).scalars().first()
                customer = tourists.full_name if tourists else ""
        return RefundInfo(p.number, p.method, p.amount_minor, p.currency, done, left, customer, account, booking)


COLUMNS = ("Номер", "Дата и время", "Вид", "Способ", "Статус", "Сумма", "Валюта", "В валюте тура", "Валюта тура",
           "Лицевой счёт", "Заявка", "Касса", "Кассир", "Смена", "Отменяет", "Причина", "Квитанция")


def _cells(r: JournalRow) -> list[object]:
    return [
        r.number, r.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), r.entry_kind, r.method, r.status,
        to_decimal(r.amount_minor), r.currency,
        None if r.target_amount_minor is None else to_decimal(r.target_amount_minor), r.target_currency,
        r.account, r.booking, r.desk, r.user, r.shift, r.reverses, r.reason, r.slip,
    ]


def to_csv(result: JournalResult) -> str:
    """Semicolon-separated with decimal commas: what Russian Excel opens without a wizard."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in result.rows:
        w.writerow(["" if v is None else str(v).replace(".", ",") if isinstance(v, Decimal) else v
                    for v in _cells(r)])
    t = result.totals
    w.writerow(["Итого", "", "", "", "", str(to_decimal(t.net_minor)).replace(".", ","), "RUB"])
    return buf.getvalue()


def export_csv(result: JournalResult, path: str | Path, *, field: str = "Файл") -> None:
    """Written whole or not at all; a bad path or a full disk is a ValidationError naming ``field``."""
    check_target(path, field)
    # utf-8-sig: Excel recognises the encoding from the BOM.
    write_atomic(path, to_csv(result).encode("utf-8-sig"), field)


def export_xlsx(result: JournalResult, path: str | Path, *, field: str = "Файл") -> None:
    from openpyxl import Workbook

    check_target(path, field)  # before building the workbook: a bad path costs nothing

    wb = Workbook()
    ws = wb.active
    ws.title = "Платежи"
    ws.append(list(COLUMNS))
    for r in result.rows:
        ws.append(_cells(r))
    t = result.totals
    ws.append(["Итого", None, None, None, None, to_decimal(t.net_minor), "RUB"])
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        for cell in row:
            cell.number_format = "#,##0.00"
    for col, width in zip("ABCDEFGHIJKLMNOPQ", (14, 20, 10, 8, 10, 14, 6, 14, 6, 12, 10, 14, 12, 14, 14, 30, 14),
                          strict=True):
        ws.column_dimensions[col].width = width
    def build() -> bytes:
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    write_atomic(path, build_bytes(build, path, field), field)


def row_fields() -> list[str]:
    return [f.name for f in fields(JournalRow)]
