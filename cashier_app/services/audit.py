"""The audit trail: append-only, hash-chained, written in the same transaction as the change.

Each event's hash covers its own fields and the previous event's hash, so
editing or deleting any row breaks the chain from that row on; ``verify``
names the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

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
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
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
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str | None = None


def verify(db: Database) -> VerifyResult:
    """Walk the chain in id order; the first row whose hash or link is wrong is reported."""
    prev = GENESIS
    n = 0
    with db.read() as uow:
        rows = uow.session.execute(select(m.AuditEvent).order_by(m.AuditEvent.id)).scalars()
        for ev in rows:
            n += 1
            if ev.prev_hash != prev:
                return VerifyResult(False, n, ev.id, "ссылка на предыдущую запись не совпадает (запись удалена или вставлена)")
            at = ev.at
            expected = _digest(prev, at, ev.user_login, ev.role, ev.desk, ev.action, ev.entity, ev.entity_id,
                               ev.before, ev.after)
            if ev.hash != expected:
                return VerifyResult(False, n, ev.id, "содержимое записи изменено")
            prev = ev.hash
    return VerifyResult(True, n)
