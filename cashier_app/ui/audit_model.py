"""The audit trail table: newest first, further pages of 200 fetched on scroll."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from cashier_app.i18n import N_
from cashier_app.services import audit_log
from cashier_app.ui.paged_model import PagedModel

FetchPage = Callable[[audit_log.AuditFilter, int], audit_log.AuditPage]


class AuditModel(PagedModel):
    """Rows are ``AuditRow`` DTOs; pages come from ``fetch_page(filter, offset)`` on the DB worker."""

    COLUMNS = ("№", N_("Время"), N_("Пользователь"), N_("Касса"), N_("Действие"), N_("Объект"), N_("Изменение"))

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(runner, fetch_page, parent)

    def split_page(self, offset: int, page: audit_log.AuditPage) -> tuple[Sequence[audit_log.AuditRow], bool, int]:
        return page.rows, page.has_more, offset + len(page.rows)

    def cells(self, r: audit_log.AuditRow) -> tuple[str, ...]:
        change = json.dumps(r.after, ensure_ascii=False) if r.after is not None else ""
        return (str(r.id), r.at.astimezone().strftime("%d.%m.%Y %H:%M:%S"), r.user or "—", r.desk, r.action,
                f"{r.entity} {r.entity_id or ''}", change)
