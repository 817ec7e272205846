"""The documents journal as the desk sees it: one card's documents, and the whole office's, filtered.

Split out of :mod:`cashier_app.services.documents` (module size); re-exported from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.services import journal
from cashier_app.services.context import DeskContext, day_start_utc
from cashier_app.services.document_parts import JOURNAL_KIND_LABELS, _account
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

OFFICE_DOCUMENT_ROWS = 200  # one page of the scrolling office journal


@dataclass(frozen=True, slots=True)
class JournalLine:
    number: str
    kind: str
    kind_label: str
    amount_minor: int
    currency: str
    issued_at: datetime
    valid_until: date | None
    desk: str
    sha256: str



def journal_lines(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
                  limit: int = 200) -> list[JournalLine]:
    """The documents of one card (or of the whole office), newest first."""
    require(ctx, "print")
    account_id = booking_id = None
    with ctx.db.read() as uow:
        s = uow.session
        if account is not None:
            account_id = _account(s, account).id
        if booking is not None:
            booking_id = s.execute(select(m.Booking.id).where(m.Booking.number == booking)).scalar()
            if booking_id is None:
                raise NotFound(tr("Заявка № {n} не найдена.", n=booking))
    rows = journal.list_documents(ctx.db, account_id=account_id, booking_id=booking_id, limit=limit)
    return [JournalLine(number=r["number"], kind=r["kind"], kind_label=JOURNAL_KIND_LABELS.get(r["kind"], r["kind"]),
                        amount_minor=r["amount_minor"], currency=r["currency"], issued_at=r["issued_at"],
                        valid_until=r["valid_until"], desk=r["desk"], sha256=r["sha256"])
            for r in rows]



# -- the documents journal of the whole office (all desks), filtered by kind and date ----------------


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class DocumentsPage:
    lines: list[JournalLine]
    has_more: bool


def document_kinds() -> dict[str, str]:
    """kind → label, in the order a filter lists them."""
    return {k: JOURNAL_KIND_LABELS.get(k, k) for k in (*JOURNAL_KIND_LABELS,
                                                      *(k for k in journal.RENDERERS if k not in JOURNAL_KIND_LABELS))}


def list_office_documents(ctx: DeskContext, f: DocumentFilter | None = None, *, offset: int = 0,
                   limit: int = OFFICE_DOCUMENT_ROWS) -> DocumentsPage:
    """Every journaled document, newest first (same permission as a card's journal: ``print``)."""
    require(ctx, "print")
    f = f or DocumentFilter()
    kinds = document_kinds()
    if f.kind and f.kind not in kinds:
        raise ValidationError(N_("Вид документа"), tr("«{kind}» — нет такого", kind=f.kind))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationError(N_("Дата по"), tr("раньше даты «с»"))
    conds = []
    if f.kind:
        conds.append(m.Document.kind == f.kind)
    if f.date_from:
        conds.append(m.Document.issued_at >= day_start_utc(f.date_from, ctx.db))
    if f.date_to:
        conds.append(m.Document.issued_at < day_start_utc(f.date_to + timedelta(days=1), ctx.db))
    stmt = (select(m.Document.number, m.Document.kind, m.Document.amount_minor, m.Document.currency,
                   m.Document.issued_at, m.Document.valid_until, m.Document.desk, m.Document.pdf_sha256)
            .where(*conds).order_by(m.Document.issued_at.desc(), m.Document.id.desc()).offset(offset).limit(limit + 1))
    with ctx.db.read() as uow:
        rows = uow.session.execute(stmt).all()
    lines = [JournalLine(number=n, kind=k, kind_label=JOURNAL_KIND_LABELS.get(k, k), amount_minor=a, currency=c,
                         issued_at=at, valid_until=vu, desk=d, sha256=h)  # type: ignore[arg-type]
             for n, k, a, c, at, vu, d, h in rows[:limit]]
    return DocumentsPage(lines, len(rows) > limit)
