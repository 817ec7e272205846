"""The debtors batch: ПД-4 for every account with a negative balance, streamed into one PDF.

Split out of :mod:`cashier_app.services.documents` (module size); re-exported from there.
Importing this module registers the ``pd4_batch`` renderer and params loader with the journal.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from cashier_app.domain.accounts import monthly_charge, suggested_payment
from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.i18n import tr
from cashier_app.printing.documents import PARAMS_VERSION, batch_item
from cashier_app.printing.dto import DocumentKind, ReceiptDTO, TargetKind
from cashier_app.services import audit, journal
from cashier_app.services.context import DeskContext
from cashier_app.services.document_parts import _purpose, payee_dto, payee_problems
from cashier_app.services.document_payer import PayerFields
from cashier_app.services.document_payer import payer_dto as _payer_dto
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

# A batch is one journal entry; its receipts are rows of document_batch_items, and the
# renderer re-makes the whole PDF from them.  Each row also carries the number printed on
# its receipt and the account (migration 0006): journal.reprint finds a receipt alone by
# that number, and the account's documents list it.
journal.RENDERERS.setdefault("pd4_batch", "cashier_app.printing.documents:render_batch_params")


def _load_batch_params(s: Session, doc: m.Document) -> dict[str, Any]:
    rows = s.execute(
        select(m.DocumentBatchItem.params)
        .where(m.DocumentBatchItem.batch_number == doc.number)
        .order_by(m.DocumentBatchItem.position)
    ).scalars()
    return {**doc.params, "receipts": list(rows)}


journal.PARAMS_LOADERS["pd4_batch"] = _load_batch_params


@dataclass(frozen=True, slots=True)
class BatchResult:
    number: str | None  # journal number of the batch; None when cancelled or empty
    count: int
    pages: int
    total_minor: int
    sha256: str | None
    path: str
    cancelled: bool = False


# -- the debtors batch ------------------------------------------------------------------

Progress = Callable[[int, int], None]


def _debtor_filter(payee_id: int | None) -> list[Any]:
    conds: list[Any] = [m.Account.balance_minor < 0]
    if payee_id is not None:
        conds.append(m.Contract.payee_id == payee_id)
    return conds


def count_debtors(ctx: DeskContext, payee: str | None = None) -> int:
    with ctx.db.read() as uow:
        payee_id = _payee_id(uow.session, payee)
        return int(uow.session.execute(
            select(func.count()).select_from(m.Account).join(m.Contract).where(*_debtor_filter(payee_id))
        ).scalar_one())


def _payee_id(s: Session, code: str | None) -> int | None:
    if code is None:
        return None
    pid = s.execute(select(m.Payee.id).where(m.Payee.code == code)).scalar()
    if pid is None:
        raise NotFound(tr("Получатель «{code}» не найден.", code=code))
    return pid


def _debtor_pages(ctx: DeskContext, payee_id: int | None, limit: int | None, page: int) -> Iterator[list[Any]]:
    """Keyset pages of debtor rows (id order); each page in its own short read, so no lock is held."""
    last_id = 0
    left = limit
    while left is None or left > 0:
        n = page if left is None else min(page, left)
        with ctx.db.read() as uow:
            s = uow.session
            rows = s.execute(
                select(m.Account.id, m.Account.number, m.Account.balance_minor, m.Account.block_state,
                       m.Tariff.monthly_fee_minor, m.Contract.payee_id, m.Contract.full_name,
                       m.Contract.postal_index, m.Contract.region, m.Contract.city, m.Contract.street,
                       m.Contract.house, m.Contract.flat)
                .join(m.Contract, m.Account.contract_id == m.Contract.id)
                .outerjoin(m.Tariff, m.Account.tariff_id == m.Tariff.id)
                .where(*_debtor_filter(payee_id), m.Account.id > last_id)
                .order_by(m.Account.id).limit(n)
            ).all()
            if not rows:
                return
            ids = [r[0] for r in rows]
            fees: dict[int, int] = dict(s.execute(  # type: ignore[arg-type]
                select(m.AccountService.account_id, func.sum(m.Service.monthly_fee_minor))
                .join(m.Service, m.AccountService.service_id == m.Service.id)
                .where(m.AccountService.account_id.in_(ids))
                .group_by(m.AccountService.account_id)
            ).all())
        yield [(*r, int(fees.get(r[0], 0) or 0)) for r in rows]
        last_id = rows[-1][0]
        if left is not None:
            left -= len(rows)
        if len(rows) < n:
            return


def debtors_batch(
    ctx: DeskContext,
    path: str | Path,
    *,
    payee: str | None = None,
    limit: int | None = None,
    workers: int = 0,
    chunk_size: int = 100,
    page_size: int = 500,
    today: date | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """ПД-4 for every account with a negative balance (amount = the suggested amount), into one PDF.

    Rows are read in keyset pages and streamed into ``Pd4Batch``; the PDF is
    written to a temp file and moved to ``path`` only when complete, so a
    cancel (``cancel.set()``) or a failure leaves no half-written file.  The
    batch is one journal entry of kind ``pd4_batch`` (its number printed on
    every receipt as ``D-…/00001``), recorded once the file is in place; every
    receipt is journaled under that printed number (its item row: number,
    account), so it reprints alone and its account's documents list it.
    """
    from cashier_app.printing.pd4 import Pd4Batch

    require(ctx, "print")
    if limit is not None and limit < 1:
        raise ValidationError("--limit", tr("нужно положительное число"))
    today = today or ctx.today()
    with ctx.db.read() as uow:
        s = uow.session
        payee_id = _payee_id(s, payee)
        payees = {p.id: p for p in s.execute(select(m.Payee)).scalars()}
        total = int(s.execute(
            select(func.count()).select_from(m.Account).join(m.Contract).where(*_debtor_filter(payee_id))
        ).scalar_one())
    total = min(total, limit) if limit is not None else total
    dtos = {pid: payee_dto(p) for pid, p in payees.items()}
    problems = [msg for pid, dto in dtos.items() if payee_id in (None, pid) and payees[pid].kind == "isp"
                for msg in payee_problems(dto)]
    if problems:
        raise RuleViolation(problems)
    if total == 0:
        return BatchResult(None, 0, 0, 0, None, str(path))

    # The number is taken before rendering because it is printed on every receipt;
    # a cancelled batch leaves a gap in the numbering, never a duplicate.
    with ctx.db.uow() as uow:
        number = journal.reserve_number(uow.session)
        uow.commit()

    total_minor = 0
    done = 0
    used_payees: dict[str, dict[str, Any]] = {}
    pending: list[dict[str, Any]] = []

    def flush_items() -> None:
        # Each page of receipts is stored as it is made: memory stays flat whatever the batch size.
        if pending:
            with ctx.db.uow() as w:
                w.session.execute(insert(m.DocumentBatchItem), pending)
                w.commit()
            pending.clear()

    def discard_items() -> None:
        with ctx.db.uow() as w:
            w.session.execute(delete(m.DocumentBatchItem).where(m.DocumentBatchItem.batch_number == number))
            w.commit()

    batch = Pd4Batch(str(path), workers=workers, chunk_size=chunk_size)
    try:
        for page in _debtor_pages(ctx, payee_id, limit, page_size):
            for (aid, acc, balance, block_state, tariff_fee, pid, full_name, idx, region, city, street, house,
                 flat, services_fee) in page:
                if cancel is not None and cancel.is_set():
                    batch.abort()
                    discard_items()
                    return BatchResult(None, done, 0, total_minor, None, str(path), cancelled=True)
                amount = suggested_payment(monthly_charge(tariff_fee or 0, [services_fee], block_state), balance)
                fields_ = PayerFields(full_name=full_name, postal_index=idx or "", region=region or "",
                                      city=city or "", street=street or "", house=house or "", flat=flat or "")
                receipt = ReceiptDTO(
                    document_number=f"{number}/{done + 1:05d}", kind=DocumentKind.PD4, payee=dtos[pid],
                    payer=_payer_dto(fields_), target_kind=TargetKind.ACCOUNT, target_number=acc,
                    purpose=_purpose(payees[pid].purpose_template, acc, TargetKind.ACCOUNT), amount_minor=amount,
                    issue_date=today,
                )
                batch.add(receipt)
                item, payee_params = batch_item(receipt)
                used_payees[payee_params["code"]] = payee_params
                total_minor += amount
                done += 1
                pending.append({"batch_number": number, "position": done, "params": item,
                                "number": receipt.document_number, "account_id": aid})
                if progress is not None:
                    progress(done, total)
            flush_items()
        if cancel is not None and cancel.is_set():
            batch.abort()
            discard_items()
            return BatchResult(None, done, 0, total_minor, None, str(path), cancelled=True)
        batch.close()
    except BaseException:
        batch.abort()
        discard_items()
        raise
    digest = _file_sha256(Path(path))
    params = {"v": PARAMS_VERSION, "payees": used_payees, "chunk_size": chunk_size, "count": done}
    when = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        s.add(m.Document(
            number=number, kind="pd4_batch", account_id=None, booking_id=None, payee_id=payee_id,
            amount_minor=total_minor, currency="RUB", qr_payload=None, pdf_sha256=digest, params=params,
            issued_at=when, valid_until=None, desk=ctx.desk, user_id=ctx.user.id if ctx.user else None,
        ))
        s.flush()
        audit.record(s, ctx, "document.issue", "document", number, None,
                     {"kind": "pd4_batch", "count": done, "amount_minor": total_minor, "sha256": digest}, now=when)
        uow.commit()
    return BatchResult(number, done, batch.pages, total_minor, digest, str(path))


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ProgressPrinter:
    """``\\r  1234/5000 (24 %) 180/s`` on a terminal, redrawn at most 5 times a second."""

    def __init__(self, stream: Any, interval: float = 0.2) -> None:
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        rate = done / max(now - self.started, 1e-6)
        pct = done * 100 // total if total else 100
        self.stream.write(f"\r  {done}/{total} ({pct} %) {rate:.0f}/s")
        self.stream.flush()
        if done >= total:
            self.stream.write("\n")
            self.stream.flush()
