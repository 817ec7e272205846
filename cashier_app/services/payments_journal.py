"""The payments journal: every ledger entry with filters, totals, CSV and XLSX export.

A cashier without ``view_journal`` sees only their own entries (they still
need to find and reprint their slips); managers and administrators see all.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from dataclasses import field as dc_field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from cashier_app.domain.audit_words import entry_kind_text, method_text, status_text
from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.money import to_decimal
from cashier_app.i18n import N_, tr
from cashier_app.services.billing.views import DELIVERY_LABELS
from cashier_app.services.context import DeskContext, day_start_utc
from cashier_app.services.office_time import local_clock
from cashier_app.services.output_files import check_target, write_failed
from cashier_app.services.permissions import allowed, require
from cashier_app.storage import models as m

if TYPE_CHECKING:
    pass

MAX_ROWS = 5000  # one export
PAGE_ROWS = 200  # one page of the scrolling journal view
METHODS = ("cash", "card", "bonus", "bank", "post", "contact", "euroset")
STATUSES = ("pending", "paid", "declined", "expired", "cancelled", "held", "refunded", "reversed")
ENTRY_OPERATIONS = ("sell", "sell_return")
# The fiscal column as the journal and its exports say it.
FISCAL_LABELS = {None: "", "pending": N_("формируется"), "sent": N_("формируется"), "done": N_("пробит"),
                 "failed": N_("ошибка"), "bank": N_("касса банка"), "corrected": N_("исправлен коррекцией")}
# The billing column (issue 14) says a delivery's state in the connector's own words.
BILLING_LABELS = DELIVERY_LABELS


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
    credited: bool = False  # counted in totals (a pending or declined order is listed, not summed)
    # The fiscal receipt of this entry (issue 13): pending | sent | done | failed | bank; None = no receipt
    # (a bonus, a bank transfer, a payee «без ККТ»); «corrected» when a correction receipt followed.
    fiscal: str | None = None
    # The entry's delivery to the payee's billing (issue 14): pending | sent | delivered | refused | manual;
    # None = nothing to deliver (no connector, a booking, a bonus).  ``billing_note``: the refusal's reason.
    billing: str | None = None
    billing_note: str | None = None


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
        raise ValidationError(N_("Дата по"), tr("раньше даты «с»"))
    if f.method and f.method not in METHODS:
        raise ValidationError(N_("Способ"), tr("«{value}» — нет такого; допустимо: {allowed}", value=f.method,
                                               allowed=", ".join(METHODS)))
    if f.status and f.status not in STATUSES:
        raise ValidationError(N_("Статус"), tr("«{value}» — нет такого; допустимо: {allowed}", value=f.status,
                                               allowed=", ".join(STATUSES)))


def _local_bound(day: date, ctx: DeskContext) -> datetime:
    return day_start_utc(day, ctx.db)


def _conditions(ctx: DeskContext, f: JournalFilter | None) -> list:  # type: ignore[type-arg]
    require(ctx, "lookup")
    f = f or JournalFilter()
    _validate(f)
    assert ctx.user is not None
    if not allowed(ctx.user.role, "view_journal"):
        if f.user and f.user != ctx.user.login:
            raise ValidationError(N_("Кассир"), tr("кассир видит только свои платежи"))
        f = JournalFilter(**{**asdict(f), "user": ctx.user.login})
    conds = []
    if f.date_from:
        conds.append(m.Payment.created_at >= _local_bound(f.date_from, ctx))
    if f.date_to:
        conds.append(m.Payment.created_at < _local_bound(f.date_to + timedelta(days=1), ctx))
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
    # The entry's own receipt (sell for a payment, sell_return for a cancel or refund: one per entry).
    fiscal = (select(m.FiscalReceipt.state)
              .where(m.FiscalReceipt.payment_id == m.Payment.id, m.FiscalReceipt.operation.in_(ENTRY_OPERATIONS))
              .order_by(m.FiscalReceipt.id).limit(1).correlate(m.Payment).scalar_subquery())
    corrected = (select(func.count(m.FiscalReceipt.id))
                 .where(m.FiscalReceipt.payment_id == m.Payment.id,
                        m.FiscalReceipt.operation.notin_(ENTRY_OPERATIONS), m.FiscalReceipt.state == "done")
                 .correlate(m.Payment).scalar_subquery())
    # One outbox row per entry (a pay under the payment, a cancel under its reversal entry: unique).
    billing = (select(m.BillingDelivery.state).where(m.BillingDelivery.payment_id == m.Payment.id)
               .limit(1).correlate(m.Payment).scalar_subquery())
    billing_note = (select(m.BillingDelivery.last_error).where(m.BillingDelivery.payment_id == m.Payment.id)
                    .limit(1).correlate(m.Payment).scalar_subquery())
    stmt = (
        select(m.Payment, m.Account.number, m.Booking.number, m.User.login, m.CashShift.number, orig.number, slip,
               fiscal, corrected, billing, billing_note)
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
                   login, shift, rev, p.reason, sl, bool(p.credited), "corrected" if fixed else fs, bs, bnote)
        for p, acc, bk, login, shift, rev, sl, fs, fixed, bs, bnote in s.execute(stmt).all()
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
            raise NotFound(tr("Платёж № {n} не найден.", n=number))
        if p.entry_kind != "payment":
            raise RuleViolation(tr("{n} — сама запись отмены или возврата; выберите исходный платёж", n=number))
        if not p.credited:
            raise RuleViolation(tr("платёж {n} не зачислен — возвращать нечего", n=number))
        done = reversed_minor(s, p.id)
        left = p.amount_minor - done
        if left <= 0:
            raise RuleViolation(tr("платёж {n} уже возвращён полностью", n=number))
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


COLUMNS = (N_("Номер"), N_("Дата и время"), N_("Вид"), N_("Способ"), N_("Статус"), N_("Сумма"), N_("Валюта"),
           N_("В валюте тура"), N_("Валюта тура"), N_("Лицевой счёт"), N_("Заявка"), N_("Касса"), N_("Кассир"),
           N_("Смена"), N_("Отменяет"), N_("Причина"), N_("Квитанция"), N_("Чек"), N_("Биллинг"))
TOTAL = N_("Итого")


def _header() -> list[str]:
    return [tr(c) for c in COLUMNS]


# OWASP «CSV injection»: a text cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_PAGE = 1000  # rows read per query while streaming an export


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (shown, not run).

    Only text is touched: amounts are our own Decimals, and «-250,00» must stay a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def iter_rows(ctx: DeskContext, f: JournalFilter | None = None, *, page_rows: int = EXPORT_PAGE) -> Iterator[JournalRow]:
    """Every row of the filter, newest first, read in keyset pages (memory stays flat).

    One read transaction for the whole walk; the keyset (created_at, id) cannot skip or repeat
    a row when entries are added meanwhile (new ones are newer than the first page).
    """
    conds = _conditions(ctx, f)
    with ctx.db.read() as uow:
        s = uow.session
        after: tuple[datetime, int] | None = None
        while True:
            extra = list(conds)
            if after is not None:
                at, pid = after
                extra.append(or_(m.Payment.created_at < at, and_(m.Payment.created_at == at, m.Payment.id < pid)))
            rows = _rows(s, extra, 0, page_rows)
            yield from rows
            if len(rows) < page_rows:
                return
            after = (rows[-1].created_at, rows[-1].id)
            s.expunge_all()  # the ORM would otherwise keep every Payment read so far


@dataclass(slots=True)
class ExportSummary:
    """What was written: the total line is the sum of exactly these rows."""

    rows: int = 0
    paid_minor: int = 0
    returned_minor: int = 0
    by_method: dict[str, int] = dc_field(default_factory=dict)

    @property
    def net_minor(self) -> int:
        return self.paid_minor + self.returned_minor

    def add(self, r: JournalRow) -> None:
        self.rows += 1
        if r.credited:
            if r.entry_kind == "payment":
                self.paid_minor += r.amount_minor
            else:
                self.returned_minor += r.amount_minor
            self.by_method[r.method] = self.by_method.get(r.method, 0) + r.amount_minor


def _cells(r: JournalRow) -> list[object]:
    return [
        # People's words (issue 12 §3) and the office's clock, as the journal on screen shows them.
        r.number, local_clock(r.created_at).strftime("%Y-%m-%d %H:%M:%S"), entry_kind_text(r.entry_kind),
        method_text(r.method), status_text(r.status),
        to_decimal(r.amount_minor), r.currency,
        None if r.target_amount_minor is None else to_decimal(r.target_amount_minor), r.target_currency,
        r.account, r.booking, r.desk, r.user, r.shift, r.reverses, r.reason, r.slip, _fiscal_label(r.fiscal),
        billing_label(r.billing, r.billing_note),
    ]


def _fiscal_label(state: str | None) -> str:
    label = FISCAL_LABELS.get(state)
    return tr(label) if label else (state or "")


def billing_label(state: str | None, note: str | None = None) -> str:
    """«доставлен», «отклонён: лицевой счёт не найден»; "" when the entry has nothing to deliver."""
    if state is None:
        return ""
    text = tr(BILLING_LABELS[state]) if state in BILLING_LABELS else state
    return f"{text}: {note}" if note and state in ("refused", "manual") else text


def _csv_cell(v: object) -> object:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return str(v).replace(".", ",")
    return neutralise(v)


def _write_csv(rows: Iterable[JournalRow], fh: IO[str]) -> ExportSummary:
    """Semicolon-separated with decimal commas: what Russian Excel opens without a wizard."""
    w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
    w.writerow(_header())
    summary = ExportSummary()
    for r in rows:
        w.writerow([_csv_cell(v) for v in _cells(r)])
        summary.add(r)
    w.writerow([tr(TOTAL), "", "", "", "", str(to_decimal(summary.net_minor)).replace(".", ","), "RUB"])
    return summary


def _write_xlsx(rows: Iterable[JournalRow], target: str) -> ExportSummary:
    # write_only: rows go to the sheet's temp file as they come, the workbook is never held whole.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(tr("Платежи"))
    for col, width in zip("ABCDEFGHIJKLMNOPQRS",
                          (14, 20, 10, 8, 10, 14, 6, 14, 6, 12, 10, 14, 12, 14, 14, 30, 14, 14, 24), strict=True):
        ws.column_dimensions[col].width = width

    def cell(v: object) -> object:
        c = WriteOnlyCell(ws, value=v)  # type: ignore[arg-type]
        if isinstance(v, Decimal):
            c.number_format = "#,##0.00"
        elif isinstance(v, str) and v.startswith("="):
            c.data_type = "s"  # text, never a formula
        return c

    summary = ExportSummary()
    try:
        ws.append(_header())
        for r in rows:
            ws.append([cell(v) for v in _cells(r)])
            summary.add(r)
        ws.append([tr(TOTAL), None, None, None, None, cell(to_decimal(summary.net_minor)), "RUB"])
        wb.save(target)
    except BaseException:
        _discard_sheet(ws)
        raise
    return summary


def _discard_sheet(ws: object) -> None:
    # A write-only sheet keeps a suspended generator over its temp file; after a disk error,
    # finalising it later prints a traceback to stderr («Exception ignored»). Close it now, quietly.
    stream = getattr(getattr(ws, "_writer", None), "xf", None)
    if stream is not None:
        with contextlib.suppress(Exception):
            stream.close()


def _stream_to(path: str | Path, field: str, write: Callable[[str], ExportSummary]) -> ExportSummary:
    """Write through a temp file beside the target, moved into place only when complete."""
    target = check_target(path, field)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        summary = write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        tmp = ""
        return summary
    except OSError as exc:
        raise write_failed(path, field, exc) from exc
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def export(ctx: DeskContext, f: JournalFilter | None, path: str | Path, fmt: str, *,
           field: str = N_("Файл")) -> ExportSummary:
    """Every row of the filter into a CSV or XLSX file, streamed; the total line sums the rows written."""
    if fmt not in ("csv", "xlsx"):
        raise ValidationError(N_("Формат"), tr("нужно csv или xlsx"))
    _conditions(ctx, f)  # the permission and the filter are checked before any file is made
    check_target(path, field)  # before reading anything: a bad path costs nothing
    rows = iter_rows(ctx, f)
    if fmt == "csv":
        def write_csv(tmp: str) -> ExportSummary:
            # utf-8-sig: Excel recognises the encoding from the BOM.
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                summary = _write_csv(rows, fh)
                fh.flush()
                os.fsync(fh.fileno())
            return summary
        return _stream_to(path, field, write_csv)
    return _stream_to(path, field, lambda tmp: _write_xlsx(rows, tmp))


def to_csv(result: JournalResult) -> str:
    """An in-memory result as CSV text (the rows it holds, totalled)."""
    buf = io.StringIO()
    _write_csv(result.rows, buf)
    return buf.getvalue()


def export_csv(result: JournalResult, path: str | Path, *, field: str = N_("Файл")) -> None:
    """An in-memory result (e.g. the rows on screen); the whole filter goes through :func:`export`."""
    _stream_to(path, field, lambda tmp: _csv_file(result.rows, tmp))


def _csv_file(rows: Iterable[JournalRow], tmp: str) -> ExportSummary:
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        return _write_csv(rows, fh)


def export_xlsx(result: JournalResult, path: str | Path, *, field: str = N_("Файл")) -> None:
    _stream_to(path, field, lambda tmp: _write_xlsx(result.rows, tmp))


def row_fields() -> list[str]:
    return [f.name for f in fields(JournalRow)]
