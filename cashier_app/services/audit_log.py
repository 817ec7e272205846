"""Reading the audit trail (writing and verifying it is ``services/audit``)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cashier_app.domain.errors import ValidationError
from cashier_app.services import audit
from cashier_app.services.context import DeskContext, day_start_utc
from cashier_app.services.permissions import require
from cashier_app.storage import models as m


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    user: str | None
    role: str | None
    desk: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any


def list_events(ctx: DeskContext, *, user: str | None = None, action: str | None = None,
                since: date | None = None, until: date | None = None, limit: int = 2000) -> list[AuditRow]:
    """Newest first; ``action`` matches a prefix (``payment`` finds payment.credit and payment.refund)."""
    require(ctx, "view_audit")
    if since and until and since > until:
        raise ValidationError("Дата по", "раньше даты «с»")
    stmt = select(m.AuditEvent).order_by(m.AuditEvent.id.desc()).limit(limit)
    if user:
        stmt = stmt.where(m.AuditEvent.user_login == user)
    if action:
        stmt = stmt.where(m.AuditEvent.action.startswith(action))
    if since:
        stmt = stmt.where(m.AuditEvent.at >= day_start_utc(since))
    if until:
        stmt = stmt.where(m.AuditEvent.at < day_start_utc(until + timedelta(days=1)))
    with ctx.db.read() as uow:
        return [
            AuditRow(e.id, e.at, e.user_login, e.role, e.desk,
                     e.action, e.entity, e.entity_id, e.before, e.after)
            for e in uow.session.execute(stmt).scalars()
        ]


def verify(ctx: DeskContext) -> audit.VerifyResult:
    require(ctx, "view_audit")
    return audit.verify(ctx.db)


def to_csv(rows: list[AuditRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["№", "Время", "Пользователь", "Роль", "Касса", "Действие", "Объект", "Ид", "До", "После"])
    for r in rows:
        w.writerow([r.id, r.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), r.user or "", r.role or "", r.desk,
                    r.action, r.entity, r.entity_id or "",
                    "" if r.before is None else json.dumps(r.before, ensure_ascii=False),
                    "" if r.after is None else json.dumps(r.after, ensure_ascii=False)])
    return buf.getvalue()


def export_csv(rows: list[AuditRow], path: str | Path) -> None:
    Path(path).write_text(to_csv(rows), encoding="utf-8-sig", newline="")
