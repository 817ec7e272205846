"""Reconcile the billing's list of accepted payments with what this office took for the payee.

Input: the billing's CSV (the emulator's ``/_control/registry``: ``txn_id;prv_txn;account;sum;date``)
or this app's own register (its Russian headers, or the layout's keys), read with
``importing.sources.read_table`` (encoding and separator detected).

Matching: first by ``txn_id`` (the frozen id of the payment's ``pay`` delivery in ``billing_deliveries``);
the billing rows left over are then matched to the office's payments **without** a delivery row by
(account, amount, day) — a payee without a live connector, or payments from before it.  What the office
expects for a payment is its amount less the cancels/refunds made up to the end of the period: a payment
cancelled here but still in the billing is an amount difference (the billing must reverse it).

Report categories: ``matched``; ``only_app`` (the billing does not have it); ``only_billing``;
``amount_differs``; ``duplicate`` (the billing lists the same txn_id more than once).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cashier_app.domain import registry_layout as rl
from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.services import office_time
from cashier_app.services.context import DeskContext
from cashier_app.services.importing.sources import read_table
from cashier_app.services.output_files import write_atomic
from cashier_app.services.permissions import require
from cashier_app.services.registry_layouts import get as get_layout
from cashier_app.services.registry_layouts import payee_by_code
from cashier_app.storage import models as m

# Header names the reader accepts for each field (lower-cased): the billing's, then this app's register
# (whose header is Russian in every UI language: these are data to recognise, not text to translate).
_ALIASES: dict[str, tuple[str, ...]] = {
    "txn_id": ("txn_id", "номер операции"),  # i18n: data
    "prv_txn": ("prv_txn", "номер в биллинге"),  # i18n: data
    "account": ("account", "лицевой счёт", "лицевой счет"),  # i18n: data
    "amount": ("sum", "amount", "сумма"),  # i18n: data
    "date": ("date", "дата", "datetime", "дата и время"),  # i18n: data
    "number": ("number", "номер платежа"),  # i18n: data
}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S")

KIND_LABELS = {"only_app": N_("есть в кассе, нет в биллинге"), "only_billing": N_("есть в биллинге, нет в кассе"),
               "amount_differs": N_("суммы различаются"), "duplicate": N_("повтор в списке биллинга")}


def kind_label(kind: str) -> str:
    """A difference's kind in the UI's language (``KIND_LABELS`` holds the source text)."""
    return tr(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


@dataclass(slots=True)
class BillingRow:
    line: int
    txn_id: str
    prv_txn: str
    account: str
    amount_minor: int
    day: date | None


@dataclass(slots=True)
class AppPayment:
    payment_id: int
    number: str
    account: str
    day: date
    amount_minor: int  # net of cancels/refunds
    txn_id: str | None


@dataclass(slots=True)
class Difference:
    kind: str
    number: str = ""
    txn_id: str = ""
    account: str = ""
    day: date | None = None
    app_minor: int | None = None
    billing_minor: int | None = None
    line: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "number": self.number, "txn_id": self.txn_id, "account": self.account,
                "date": self.day.isoformat() if self.day else None, "app_minor": self.app_minor,
                "billing_minor": self.billing_minor, "line": self.line}


@dataclass(slots=True)
class Reconciliation:
    first: date
    last: date
    matched: int = 0
    matched_minor: int = 0
    app_count: int = 0
    app_minor: int = 0
    billing_count: int = 0
    billing_minor: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences

    def count(self, kind: str) -> int:
        return sum(1 for d in self.differences if d.kind == kind)

    def as_json(self) -> dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "agrees": self.agrees,
                "matched": self.matched, "matched_minor": self.matched_minor, "app_count": self.app_count,
                "app_minor": self.app_minor, "billing_count": self.billing_count, "billing_minor": self.billing_minor,
                **{k: self.count(k) for k in KIND_LABELS},
                "differences": [d.as_json() for d in self.differences]}


def _column_map(columns: list[str]) -> dict[str, int]:
    lowered = [c.strip().lower() for c in columns]
    found: dict[str, int] = {}
    for key, names in _ALIASES.items():
        for name in names:
            if name in lowered:
                found[key] = lowered.index(name)
                break
    if "amount" not in found:
        raise ValidationError(N_("файл"), tr("нет колонки суммы (sum / amount / «Сумма»)"))
    if "txn_id" not in found and "account" not in found:
        raise ValidationError(N_("файл"), tr("нет ни колонки txn_id, ни колонки лицевого счёта — сверять не по чему"))
    return found


def _parse_day(text: str, layout: rl.RegistryLayout, line: int) -> date | None:
    text = text.strip()
    if not text:
        return None
    for fmt in (*_DATE_FORMATS, f"{layout.date_format} {layout.time_format}", layout.date_format):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_cell(line, "date"), tr("не дата: «{value}»", value=text[:30]))


def _cell(line: int, column: str) -> str:
    """The field of a refused cell, shown as built (a line number is no fixed source label)."""
    return tr("строка {line}, колонка {column}", line=line, column=column)


def read_billing(path: Path, layout: rl.RegistryLayout = rl.DEFAULT) -> list[BillingRow]:
    """The billing's rows (this app's own register's totals line is skipped)."""
    table = read_table(Path(path))
    cols = _column_map(table.columns)
    # Kopecks only when the file is this app's register written in a kopecks layout (Russian header).
    kopecks = layout.amount_format == "kopecks" and table.columns[cols["amount"]].strip().lower() == "сумма"  # i18n: data
    out: list[BillingRow] = []

    def cell(values: list[str], key: str) -> str:
        i = cols.get(key)
        return values[i].strip() if i is not None and i < len(values) else ""

    for line, values in table.rows():
        if values and values[0].strip().upper() == "ИТОГО":  # i18n: data
            continue
        amount = rl.parse_amount(cell(values, "amount"), "kopecks" if kopecks else None,
                                 _cell(line, table.columns[cols["amount"]]))
        out.append(BillingRow(line=line, txn_id=cell(values, "txn_id"), prv_txn=cell(values, "prv_txn"),
                              account=cell(values, "account"), amount_minor=amount,
                              day=_parse_day(cell(values, "date"), layout, line)))
    return out


def app_payments(s: Session, payee_id: int, first: date, last: date) -> list[AppPayment]:
    """The office's credited payments of the payee in the period, net of cancels/refunds up to its end
    (reversal entries are stored negative: their sum is taken as an absolute amount)."""
    start, end = office_time.bounds_utc(s, first, last)
    rev = (select(m.Payment.reverses_id.label("pid"), func.sum(m.Payment.amount_minor).label("back"))
           .where(m.Payment.entry_kind.in_(("reversal", "refund")), m.Payment.credited.is_(True),
                  m.Payment.settled_at < end)
           .group_by(m.Payment.reverses_id).subquery())
    q = (select(m.Payment.id, m.Payment.number, m.Account.number, m.Booking.number, m.Payment.settled_at,
                m.Payment.amount_minor, rev.c.back, m.BillingDelivery.txn_id)
         .outerjoin(m.Account, m.Account.id == m.Payment.account_id)
         .outerjoin(m.Booking, m.Booking.id == m.Payment.booking_id)
         .outerjoin(rev, rev.c.pid == m.Payment.id)
         .outerjoin(m.BillingDelivery, (m.BillingDelivery.payment_id == m.Payment.id)
                    & (m.BillingDelivery.operation == "pay"))
         .where(m.Payment.payee_id == payee_id, m.Payment.entry_kind == "payment", m.Payment.credited.is_(True),
                m.Payment.settled_at >= start, m.Payment.settled_at < end)
         .order_by(m.Payment.settled_at, m.Payment.id))
    return [AppPayment(payment_id=pid, number=num, account=acc or bk or "", day=office_time.day_of(s, at),
                       amount_minor=amount - abs(int(back or 0)), txn_id=txn)
            for pid, num, acc, bk, at, amount, back, txn in s.execute(q).all()]


def match(app: list[AppPayment], billing: list[BillingRow], first: date, last: date) -> Reconciliation:
    """Pure matching (see the module's docstring); billing rows dated outside the period are ignored."""
    res = Reconciliation(first=first, last=last)
    billing = _fold_reversals([b for b in billing if b.day is None or first <= b.day <= last])
    res.billing_count = sum(1 for b in billing if b.amount_minor != 0)  # a payment and its cancel: nothing
    res.billing_minor = sum(b.amount_minor for b in billing)
    expected = [a for a in app if a.amount_minor != 0 or a.txn_id]
    res.app_count = sum(1 for a in app if a.amount_minor != 0)
    res.app_minor = sum(a.amount_minor for a in app)
    by_txn = {a.txn_id: a for a in expected if a.txn_id}
    used: set[int] = set()
    seen_txn: set[str] = set()
    rest: list[BillingRow] = []
    for b in billing:
        a = by_txn.get(b.txn_id) if b.txn_id else None
        if a is None:
            rest.append(b)
            continue
        if b.txn_id in seen_txn:
            res.differences.append(Difference("duplicate", a.number, b.txn_id, b.account, b.day, None,
                                              b.amount_minor, b.line))
            continue
        seen_txn.add(b.txn_id)
        used.add(a.payment_id)
        _compare(res, a, b)
    # Fallback: (account, amount, day) for payments the billing could not know by our txn_id.
    pool: dict[tuple[str, int, date], list[AppPayment]] = defaultdict(list)
    for a in expected:
        if not a.txn_id and a.amount_minor > 0:
            pool[(a.account, a.amount_minor, a.day)].append(a)
    for b in rest:
        key = (b.account, b.amount_minor, b.day) if b.day else None
        cands = pool.get(key) if key else None
        if cands:
            a = cands.pop(0)
            used.add(a.payment_id)
            _compare(res, a, b)
        else:
            res.differences.append(Difference("only_billing", "", b.txn_id, b.account, b.day, None,
                                              b.amount_minor, b.line))
    for a in app:
        if a.payment_id not in used and a.amount_minor != 0:
            res.differences.append(Difference("only_app", a.number, a.txn_id or "", a.account, a.day,
                                              a.amount_minor, None))
    return res


def _fold_reversals(rows: list[BillingRow]) -> list[BillingRow]:
    """This app's own register lists a cancel/refund as a negative line under the payment's txn_id:
    fold it into that payment's line, so the comparison is of net amounts (as the office's side is)."""
    first_of: dict[str, BillingRow] = {}
    out: list[BillingRow] = []
    for b in rows:
        if b.txn_id and b.txn_id not in first_of and b.amount_minor > 0:
            first_of[b.txn_id] = b
    for b in rows:
        target = first_of.get(b.txn_id) if b.txn_id and b.amount_minor < 0 else None
        if target is not None:
            target.amount_minor += b.amount_minor
        else:
            out.append(b)
    return out


def _compare(res: Reconciliation, a: AppPayment, b: BillingRow) -> None:
    if a.amount_minor == b.amount_minor:
        # Cancelled on both sides (net 0) agrees but is no accepted payment: not counted as one.
        res.matched += 1 if a.amount_minor else 0
        res.matched_minor += a.amount_minor
    else:
        res.differences.append(Difference("amount_differs", a.number, b.txn_id or a.txn_id or "", a.account,
                                          a.day, a.amount_minor, b.amount_minor, b.line))


def _rub(minor: int | None) -> str:
    return "" if minor is None else rl.format_amount(minor, "1234,50")


def report_csv(res: Reconciliation) -> bytes:
    """The accountant's report: column names in the UI's language (Russian by default), rubles with a
    comma, UTF-8 with BOM (Excel opens it).  Nothing reads it back."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([tr("Расхождение"), tr("Номер платежа"), tr("Номер операции"), tr("Лицевой счёт"), tr("Дата"),
                tr("Сумма в кассе"), tr("Сумма в биллинге"), tr("Строка файла биллинга")])
    for d in res.differences:
        w.writerow([kind_label(d.kind), d.number, d.txn_id, d.account, d.day.strftime("%d.%m.%Y") if d.day else "",
                    _rub(d.app_minor), _rub(d.billing_minor), d.line or ""])
    w.writerow([])
    w.writerow([tr("Совпало"), res.matched, "", "", "", _rub(res.matched_minor), _rub(res.matched_minor), ""])
    w.writerow([tr("Итого"), "", "", "", "", _rub(res.app_minor), _rub(res.billing_minor), ""])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def reconcile(ctx: DeskContext, payee_code: str, path: str | Path, *, first: date | None = None,
              last: date | None = None, report: str | None = None) -> Reconciliation:
    """Reconcile ``path`` with the office's payments; the period defaults to the days the file names."""
    require(ctx, "reports")
    with ctx.db.read() as uow:
        s = uow.session
        payee = payee_by_code(s, payee_code)
        layout = get_layout(s, payee.id)
        rows = read_billing(Path(path), layout)
        if first is None:
            days = [b.day for b in rows if b.day is not None]
            if not days:
                raise ValidationError("--date", tr("в файле нет дат: укажите --date или --from/--to"))
            first, last = min(days), max(days)
        last = last or first
        if last < first:
            raise ValidationError("--to", tr("конец периода раньше начала"))
        if (last - first) > timedelta(days=366):
            raise ValidationError("--to", tr("период больше года"))
        res = match(app_payments(s, payee.id, first, last), rows, first, last)
    if report:
        write_atomic(report, report_csv(res), "-o")
    return res
