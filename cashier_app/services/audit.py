"""The audit trail: append-only, hash-chained, written in the same transaction as the change.

Each event's hash covers its own fields and the previous event's hash, so
editing or deleting any row breaks the chain from that row on; ``verify``
names the first broken link.

A chain alone cannot catch someone who deletes its last rows or re-computes
every hash after an edit: the result is again a valid chain.  So the chain is
*anchored*: each Z report prints the head (the number of rows and the last
row's hash) on paper, and the head after the shift's close is kept in
``audit_anchors``.  ``verify`` checks every stored anchor and any anchor typed
from a paper report (``--anchor ROWS:HASH``): the anchored row must still be
there, with the same hash, after exactly as many rows.  Because a hash covers
every row before it, an intact anchor proves that nothing up to it changed,
and a re-hashed chain no longer reaches the printed hash.  Rows written after
the newest anchor are protected by the next one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import ntr, tr
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

GENESIS = "0" * 64
_LOCK_KEY = 7_770_001  # advisory lock id on PostgreSQL: one writer of the chain at a time


def _canonical(value: Any) -> Any:
    """JSON-safe, stable: dates as ISO text, Decimals as text, keys sorted later."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _digest(prev_hash: str, at: datetime, user: str | None, role: str | None, desk: str, action: str,
            entity: str, entity_id: str | None, before: Any, after: Any) -> str:
    body = json.dumps(
        [prev_hash, _canonical(at), user, role, desk, action, entity, entity_id, before, after],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock(s: Session) -> None:
    """One writer of the chain at a time (SQLite serialises writers already), held to the commit."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def record(
    s: Session,
    ctx: DeskContext,
    action: str,
    entity: str,
    entity_id: object = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> m.AuditEvent:
    """Append one event; call inside the unit of work that makes the change."""
    _lock(s)
    prev = s.execute(select(m.AuditEvent.hash).order_by(m.AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
    # Microseconds are dropped: every database stores whole-second-or-better the same way.
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    user = ctx.user.login if ctx.user else None
    role = ctx.user.role if ctx.user else None
    b, a = _canonical(before), _canonical(after)
    eid = None if entity_id is None else str(entity_id)
    event = m.AuditEvent(
        at=at, user_login=user, role=role, desk=ctx.desk, action=action, entity=entity, entity_id=eid,
        before=b, after=a, prev_hash=prev,
        hash=_digest(prev, at, user, role, ctx.desk, action, entity, eid, b, a),
    )
    s.add(event)
    s.flush()
    return event


@dataclass(frozen=True, slots=True)
class Anchor:
    """The chain's head at a moment: how many rows, and the last row's id and hash."""

    rows: int
    event_id: int
    hash: str

    @property
    def text(self) -> str:
        """What a Z report prints and ``audit verify --anchor`` takes."""
        return f"{self.rows}:{self.hash}"

    def as_params(self) -> dict[str, Any]:
        return {"rows": self.rows, "event_id": self.event_id, "hash": self.hash}


def head(s: Session) -> Anchor:
    """The head of the chain as this transaction sees it, with the chain locked to the commit.

    The lock keeps another desk from appending between reading the head and
    committing the document that prints it.
    """
    _lock(s)
    # One statement, one snapshot: the count and the last row can never come from two moments.
    rows = select(func.count()).select_from(m.AuditEvent).scalar_subquery()
    last = s.execute(select(m.AuditEvent.id, m.AuditEvent.hash, rows)
                     .order_by(m.AuditEvent.id.desc()).limit(1)).first()
    if last is None:
        return Anchor(0, 0, GENESIS)
    return Anchor(int(last[2]), int(last[0]), str(last[1]))


def anchor(s: Session, *, shift_id: int | None = None, document_number: str | None = None,
           now: datetime | None = None) -> Anchor:
    """Keep the current head in ``audit_anchors`` (at a Z report, after its own events)."""
    h = head(s)
    if h.rows:
        s.add(m.AuditAnchor(event_id=h.event_id, rows=h.rows, hash=h.hash, shift_id=shift_id,
                            document_number=document_number,
                            made_at=(now or datetime.now(UTC)).replace(microsecond=0)))
        s.flush()
    return h


@dataclass(frozen=True, slots=True)
class AnchorQuery:
    """An anchor typed from paper: the hash (or its first 16+ hex digits) and, if given, the row count."""

    hash_prefix: str
    rows: int | None = None
    given: str = ""


MIN_ANCHOR_HEX = 16  # 64 bits: as much as a person types, far more than anyone can forge


def parse_anchor(text: str, field: str = "--anchor") -> AnchorQuery:
    """``1234:3fa1…`` or ``3fa1…`` (spaces and dashes between groups are allowed)."""
    raw = "".join(str(text).split()).replace("-", "").lower()
    rows: int | None = None
    if ":" in raw:
        count, _, raw = raw.partition(":")
        if not (count.isascii() and count.isdigit()) or len(count) > 12:
            raise ValidationError(field, tr("до двоеточия — число записей, например 1234:3fa1…"))
        rows = int(count)
    if len(raw) > 64 or any(ch not in "0123456789abcdef" for ch in raw):
        raise ValidationError(field, tr("нужен хэш из Z-отчёта: 64 шестнадцатеричные цифры (0–9, a–f)"))
    if len(raw) < MIN_ANCHOR_HEX:
        raise ValidationError(field, tr("нужно не меньше {n} первых цифр хэша из Z-отчёта", n=MIN_ANCHOR_HEX))
    return AnchorQuery(raw, rows, str(text).strip())


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str | None = None
    anchors_checked: int = 0
    head: Anchor | None = None


@dataclass(frozen=True, slots=True)
class _Stored:
    rows: int
    hash: str
    source: str  # what a person can look up: the Z report that holds it


def _stored_anchors(s: Session) -> dict[int, list[_Stored]]:
    """Anchors the database keeps: the table, and the heads printed on Z reports (their params)."""
    out: dict[int, list[_Stored]] = {}
    for a in s.execute(select(m.AuditAnchor).order_by(m.AuditAnchor.id)).scalars():
        label = (tr("якорь Z-отчёта {number}", number=a.document_number) if a.document_number
                 else tr("якорь № {id}", id=a.id))
        out.setdefault(a.event_id, []).append(_Stored(a.rows, a.hash, label))
    for number, params in s.execute(
            select(m.Document.number, m.Document.params).where(m.Document.kind == "z_report")):
        p = (params or {}).get("audit_anchor") if isinstance(params, dict) else None
        if isinstance(p, dict) and isinstance(p.get("event_id"), int) and p.get("rows"):
            out.setdefault(p["event_id"], []).append(
                _Stored(int(p["rows"]), str(p.get("hash")), tr("напечатано в Z-отчёте {number}", number=number)))
    return out


def verify(db: Database, anchors: tuple[AnchorQuery, ...] | list[AnchorQuery] = ()) -> VerifyResult:
    """Walk the chain in id order; the first row whose hash, link or anchor is wrong is reported."""
    prev = GENESIS
    n = 0
    last_id = 0
    found: dict[int, tuple[int, int]] = {}  # index in ``anchors`` → (rows up to it, event id)
    with db.read() as uow:
        s = uow.session
        stored = _stored_anchors(s)
        seen_stored = 0
        seen_ids: set[int] = set()
        rows = s.execute(select(m.AuditEvent).order_by(m.AuditEvent.id)).scalars()
        for ev in rows:
            n += 1
            if ev.prev_hash != prev:
                return VerifyResult(False, n, ev.id, tr("ссылка на предыдущую запись не совпадает "
                                                        "(запись удалена или вставлена)"))
            at = ev.at
            expected = _digest(prev, at, ev.user_login, ev.role, ev.desk, ev.action, ev.entity, ev.entity_id,
                               ev.before, ev.after)
            if ev.hash != expected:
                return VerifyResult(False, n, ev.id, tr("содержимое записи изменено"))
            if ev.id in stored:
                seen_ids.add(ev.id)
            for st in stored.get(ev.id, ()):
                seen_stored += 1
                if st.hash != ev.hash:
                    return VerifyResult(False, n, ev.id, tr("хэш не совпадает: {source} (цепочка пересчитана)",
                                                            source=st.source))
                if st.rows != n:
                    return VerifyResult(False, n, ev.id, ntr(
                        "до этой записи {n} запись, а {source} — {rows} (записи удалены или вставлены)",
                        "до этой записи {n} записей, а {source} — {rows} (записи удалены или вставлены)",
                        n, source=st.source, rows=st.rows))
            for i, q in enumerate(anchors):
                if i not in found and ev.hash.startswith(q.hash_prefix):
                    found[i] = (n, ev.id)
            prev = ev.hash
            last_id = ev.id
        missing = sorted(set(stored) - seen_ids)
        if missing:
            st = stored[missing[0]][0]
            return VerifyResult(False, n, missing[0], ntr(
                "записи нет, а {source} закрепил её ({n} запись) — записи удалены",
                "записи нет, а {source} закрепил её ({n} записей) — записи удалены",
                st.rows, source=st.source))
    checked_anchors = seen_stored
    for i, q in enumerate(anchors):
        if i not in found:
            return VerifyResult(False, n, None, tr("записи с хэшем {hash}… из Z-отчёта нет: "
                                                   "цепочка пересчитана или записи удалены", hash=q.hash_prefix[:16]))
        at_rows, eid = found[i]
        if q.rows is not None and q.rows != at_rows:
            return VerifyResult(False, n, eid, ntr(
                "по Z-отчёту до этой записи {n} запись, а в базе {rows} (записи удалены или вставлены)",
                "по Z-отчёту до этой записи {n} записей, а в базе {rows} (записи удалены или вставлены)",
                q.rows, rows=at_rows))
        checked_anchors += 1
    return VerifyResult(True, n, anchors_checked=checked_anchors, head=Anchor(n, last_id, prev) if n else None)
