"""The documents journal: every printed document, reproducible byte for byte.

A document is made from a JSON-safe ``params`` dict by a renderer named in
``RENDERERS`` (``"module:function"``, the function takes the dict and returns
PDF bytes).  The journal keeps the params and the PDF's SHA-256; a reprint runs
the same renderer on the same params and checks the hash, so what the customer
gets again is exactly what was issued.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cashier_app.domain.errors import NotFound, UserError
from cashier_app.i18n import N_, tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext
from cashier_app.services.numbering import next_number
from cashier_app.services.permissions import require
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

# kind → "module:function(params: dict) -> bytes"; capabilities add their kinds here.
RENDERERS: dict[str, str] = {
    "pd4": "cashier_app.printing.documents:render_params",
    "post112": "cashier_app.printing.documents:render_params",
    "info_contact": "cashier_app.printing.documents:render_params",
    "info_euroset": "cashier_app.printing.documents:render_params",
    "invoice": "cashier_app.printing.documents:render_params",
    "slip": "cashier_app.printing.slip:render_params",
    "z_report": "cashier_app.printing.shift_report:render_params",
    "x_report": "cashier_app.printing.shift_report:render_params",
    "refund_application": "cashier_app.printing.refund_application:render_params",
}


# Documents issued by an earlier version printed some values differently (a slip's rate with a decimal
# point before issue 12); a reprint tries those renderings too, so what the customer gets again is still
# byte for byte what was issued.  kind → params overrides the renderer understands, oldest last.
LEGACY_RENDERINGS: dict[str, tuple[dict[str, Any], ...]] = {"slip": ({"legacy_rate_dot": True},)}


def render_as_issued(kind: str, params: dict[str, Any], sha256: str | None) -> tuple[bytes, str]:
    """The document rendered again, and its digest: today's rendering, or an older one that matches ``sha256``."""
    render = renderer(kind)
    pdf = render(params)
    digest = hashlib.sha256(pdf).hexdigest()
    if sha256 is None or digest == sha256:
        return pdf, digest
    for extra in LEGACY_RENDERINGS.get(kind, ()):
        old = render({**params, **extra})
        old_digest = hashlib.sha256(old).hexdigest()
        if old_digest == sha256:
            return old, old_digest
    return pdf, digest


NOT_REPRODUCIBLE = N_("Документ № {n} не удаётся воспроизвести байт в байт (версия программы изменилась); "
                      "выпустите новый документ.")


# kind → function(session, document) -> the full params, for kinds whose params do not
# fit one row (a batch keeps its receipts in ``document_batch_items``).
PARAMS_LOADERS: dict[str, Callable[[Session, m.Document], dict[str, Any]]] = {}


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    id: int
    number: str
    kind: str
    pdf: bytes
    sha256: str
    qr_payload: str | None
    issued_at: datetime
    valid_until: date | None


def renderer(kind: str) -> Callable[[dict[str, Any]], bytes]:
    try:
        target = RENDERERS[kind]
    except KeyError as exc:
        raise UserError(tr("неизвестный вид документа «{kind}»", kind=kind)) from exc
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


def reserve_number(s: Session) -> str:
    """The number goes on the document itself, so it is taken before rendering."""
    return next_number(s, "document")


def record(
    s: Session,
    ctx: DeskContext,
    *,
    number: str,
    kind: str,
    params: dict[str, Any],
    pdf: bytes,
    amount_minor: int,
    currency: str = "RUB",
    qr_payload: str | None = None,
    account_id: int | None = None,
    booking_id: int | None = None,
    payment_id: int | None = None,
    shift_id: int | None = None,
    payee_id: int | None = None,
    valid_until: date | None = None,
    now: datetime | None = None,
) -> IssuedDocument:
    """Write the journal row (and its audit event) in the caller's unit of work."""
    now = now or datetime.now(UTC)
    digest = hashlib.sha256(pdf).hexdigest()
    doc = m.Document(
        number=number, kind=kind, account_id=account_id, booking_id=booking_id, payment_id=payment_id,
        shift_id=shift_id, payee_id=payee_id, amount_minor=amount_minor, currency=currency,
        qr_payload=qr_payload, pdf_sha256=digest, params=params, issued_at=now, valid_until=valid_until,
        desk=ctx.desk, user_id=ctx.user.id if ctx.user else None,
    )
    s.add(doc)
    s.flush()
    audit.record(s, ctx, "document.issue", "document", number, None,
                 {"kind": kind, "amount_minor": amount_minor, "sha256": digest}, now=now)
    return IssuedDocument(doc.id, number, kind, pdf, digest, qr_payload, now, valid_until)


def reprint(db: Database, ctx: DeskContext, number: str) -> IssuedDocument:
    """Render a journal entry again; refuses if the bytes would differ from what was issued.

    Checked here, not only in ``documents.reprint``: the payments journal's «Квитанция» calls this.
    """
    require(ctx, "print")
    with db.uow() as uow:
        s = uow.session
        doc = s.execute(select(m.Document).where(m.Document.number == number)).scalar_one_or_none()
        if doc is None:
            issued = _reprint_batch_item(s, ctx, number)
            uow.commit()
            return issued
        loader = PARAMS_LOADERS.get(doc.kind)
        params = loader(s, doc) if loader else dict(doc.params)
        pdf, digest = render_as_issued(doc.kind, params, doc.pdf_sha256)
        if digest != doc.pdf_sha256:
            raise UserError(tr(NOT_REPRODUCIBLE, n=number))
        audit.record(s, ctx, "document.reprint", "document", number, None, {"sha256": digest})
        uow.commit()
        return IssuedDocument(doc.id, doc.number, doc.kind, pdf, digest, doc.qr_payload, doc.issued_at,
                              doc.valid_until)


def _batch_item_row(s: Session, number: str) -> tuple[m.DocumentBatchItem, m.Document] | None:
    """A receipt of a journaled batch by its printed number; items of a batch that never
    completed (cancelled, crashed) have no batch row and are not found."""
    row = s.execute(
        select(m.DocumentBatchItem, m.Document)
        .join(m.Document, m.Document.number == m.DocumentBatchItem.batch_number)
        .where(m.DocumentBatchItem.number == number)
    ).first()
    return None if row is None else (row[0], row[1])


def _reprint_batch_item(s: Session, ctx: DeskContext, number: str) -> IssuedDocument:
    """One receipt of a batch, alone on its page, from the params the batch printed it from.

    Its hash is pinned by the first reprint (conditional UPDATE … WHERE pdf_sha256 IS NULL, so
    two desks reprinting at once agree on one value); every later reprint must match it.
    """
    from cashier_app.printing.documents import params_to_receipt, payload_text, qr_payload

    found = _batch_item_row(s, number)
    if found is None:
        raise NotFound(tr("Документ № {n} не найден в журнале.", n=number))
    item, batch = found
    params = {**item.params, "payee": batch.params["payees"][item.params["payee"]]}
    kind = str(params["kind"])
    pdf = renderer(kind)(params)
    digest = hashlib.sha256(pdf).hexdigest()
    pinned = s.execute(
        update(m.DocumentBatchItem).where(m.DocumentBatchItem.id == item.id, m.DocumentBatchItem.pdf_sha256.is_(None))
        .values(pdf_sha256=digest).execution_options(synchronize_session=False)
    ).rowcount
    if pinned != 1:
        stored = s.execute(select(m.DocumentBatchItem.pdf_sha256).where(m.DocumentBatchItem.id == item.id)).scalar()
        if stored != digest:
            raise UserError(tr(NOT_REPRODUCIBLE, n=number))
    audit.record(s, ctx, "document.reprint", "document", number, None, {"sha256": digest, "batch": batch.number})
    payload = payload_text(qr_payload(params_to_receipt(params)))
    return IssuedDocument(batch.id, number, kind, pdf, digest, payload, batch.issued_at, None)


def _doc_line(d: m.Document) -> dict[str, Any]:
    return {"number": d.number, "kind": d.kind, "amount_minor": d.amount_minor, "currency": d.currency,
            "issued_at": d.issued_at, "valid_until": d.valid_until, "desk": d.desk, "sha256": d.pdf_sha256}


def list_documents(db: Database, *, account_id: int | None = None, booking_id: int | None = None,
                   kind: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Newest first; an account's list includes the receipts printed for it in debtors batches."""
    with db.read() as uow:
        s = uow.session
        stmt = select(m.Document).order_by(m.Document.issued_at.desc(), m.Document.id.desc()).limit(limit)
        if account_id is not None:
            stmt = stmt.where(m.Document.account_id == account_id)
        if booking_id is not None:
            stmt = stmt.where(m.Document.booking_id == booking_id)
        if kind is not None:
            stmt = stmt.where(m.Document.kind == kind)
        lines = [_doc_line(d) for d in s.execute(stmt).scalars()]
        if account_id is not None and booking_id is None:
            items = s.execute(
                select(m.DocumentBatchItem, m.Document)
                .join(m.Document, m.Document.number == m.DocumentBatchItem.batch_number)
                .where(m.DocumentBatchItem.account_id == account_id)
                .order_by(m.Document.issued_at.desc(), m.DocumentBatchItem.id.desc()).limit(limit)
            ).all()
            for item, batch in items:
                if kind is not None and item.params.get("kind") != kind:
                    continue
                lines.append({"number": item.number, "kind": str(item.params.get("kind", "pd4")),
                              "amount_minor": int(item.params["amount_minor"]), "currency": batch.currency,
                              "issued_at": batch.issued_at, "valid_until": None, "desk": batch.desk,
                              "sha256": item.pdf_sha256 or ""})
            lines.sort(key=lambda r: r["issued_at"], reverse=True)
        return lines[:limit]
