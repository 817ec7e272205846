"""Reading the audit trail (writing and verifying it is ``services/audit``)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select

from cashier_app.domain import audit_words
from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext, day_start_utc
from cashier_app.services.document_parts import JOURNAL_KIND_LABELS
from cashier_app.services.office_time import local_clock
from cashier_app.services.output_files import check_target, write_atomic
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

    # People's words for the row (issue 12 §3): computed when asked, in the language of the moment.
    @property
    def at_text(self) -> str:
        """Full date and time on the office clock."""
        return audit_words.format_instant(self.at, local_clock)

    @property
    def action_text(self) -> str:
        return audit_words.action_text(self.action)

    @property
    def entity_text(self) -> str:
        return audit_words.entity_text(self.entity, self.entity_id)

    @property
    def change_text(self) -> str:
        """«статус: Зачислен → Возвращён; сумма: −250,00 ₽» instead of the raw JSON in kopecks."""
        return audit_words.change_text(self.before, self.after, clock=local_clock, words=_VALUE_WORDS)


# A document event's ``kind`` is a document kind: said as the documents journal says it.
_VALUE_WORDS = {**audit_words.VALUE_WORDS, "kind": JOURNAL_KIND_LABELS}

PAGE_ROWS = 200  # one page of the scrolling audit view


@dataclass(frozen=True, slots=True)
class AuditFilter:
    user: str | None = None
    action: str | None = None  # a prefix: ``payment`` finds payment.credit and payment.refund
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditRow]
    has_more: bool


def _select(ctx: DeskContext, f: AuditFilter) -> Select[tuple[m.AuditEvent]]:
    require(ctx, "view_audit")
    if f.since and f.until and f.since > f.until:
        raise ValidationError(N_("Дата по"), tr("раньше даты «с»"))
    stmt = select(m.AuditEvent).order_by(m.AuditEvent.id.desc())
    if f.user:
        stmt = stmt.where(m.AuditEvent.user_login == f.user)
    if f.action:
        # autoescape: «%» and «_» typed in the filter are letters, not LIKE wildcards.
        stmt = stmt.where(m.AuditEvent.action.startswith(f.action, autoescape=True))
    if f.since:
        stmt = stmt.where(m.AuditEvent.at >= day_start_utc(f.since, ctx.db))
    if f.until:
        stmt = stmt.where(m.AuditEvent.at < day_start_utc(f.until + timedelta(days=1), ctx.db))
    return stmt


def _read(ctx: DeskContext, stmt: Select[tuple[m.AuditEvent]]) -> list[AuditRow]:
    with ctx.db.read() as uow:
        return [
            AuditRow(e.id, e.at, e.user_login, e.role, e.desk,
                     e.action, e.entity, e.entity_id, e.before, e.after)
            for e in uow.session.execute(stmt).scalars()
        ]


def list_events(ctx: DeskContext, *, user: str | None = None, action: str | None = None,
                since: date | None = None, until: date | None = None, limit: int | None = 2000) -> list[AuditRow]:
    """Newest first; ``action`` matches a prefix (``payment`` finds payment.credit and payment.refund).

    ``limit=None``: every event of the filter (an export).
    """
    stmt = _select(ctx, AuditFilter(user, action, since, until))
    return _read(ctx, stmt if limit is None else stmt.limit(limit))


def page(ctx: DeskContext, f: AuditFilter | None = None, *, offset: int = 0, limit: int = PAGE_ROWS) -> AuditPage:
    """One page of the filter, newest first, for a scrolling view."""
    if offset < 0 or limit <= 0:
        raise ValueError("offset must be >= 0 and limit > 0")
    rows = _read(ctx, _select(ctx, f or AuditFilter()).offset(offset).limit(limit + 1))
    return AuditPage(rows[:limit], len(rows) > limit)


def export_filter_csv(ctx: DeskContext, f: AuditFilter, path: str | Path, *, field: str = N_("Файл")) -> None:
    """Every event of the filter (not only the pages a view has loaded) into a CSV file."""
    check_target(path, field)  # before reading every event: a bad path costs nothing
    export_csv(list_events(ctx, user=f.user, action=f.action, since=f.since, until=f.until, limit=None), path,
               field=field)


def verify(ctx: DeskContext, anchors: list[str] | tuple[str, ...] = ()) -> audit.VerifyResult:
    """The chain, its stored anchors and any anchors typed from Z reports (``ROWS:HASH``)."""
    require(ctx, "view_audit")
    queries = [audit.parse_anchor(a) for a in anchors]
    return audit.verify(ctx.db, queries)


CSV_COLUMNS = (N_("№"), N_("Время"), N_("Пользователь"), N_("Роль"), N_("Касса"), N_("Действие"), N_("Объект"),
               N_("Изменение"), N_("Код действия"), N_("Код объекта"), N_("Ид"), N_("До"), N_("После"))


def to_csv(rows: list[AuditRow]) -> str:
    """People's words first (action, object, change), then the codes and raw records an auditor checks."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([tr(c) for c in CSV_COLUMNS])
    for r in rows:
        role = audit_words.ROLE_WORDS.get(r.role or "")
        w.writerow([r.id, local_clock(r.at).strftime("%Y-%m-%d %H:%M:%S"), r.user or "",
                    tr(role) if role else (r.role or ""), r.desk, r.action_text, r.entity_text, r.change_text,
                    r.action, r.entity, r.entity_id or "",
                    "" if r.before is None else json.dumps(r.before, ensure_ascii=False),
                    "" if r.after is None else json.dumps(r.after, ensure_ascii=False)])
    return buf.getvalue()


def export_csv(rows: list[AuditRow], path: str | Path, *, field: str = N_("Файл")) -> None:
    """Written whole or not at all; a bad path or a full disk is a ValidationError naming ``field``."""
    write_atomic(path, to_csv(rows).encode("utf-8-sig"), field)
