"""The audit trail table: newest first, further pages of 200 fetched on scroll."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cashier_app.domain.audit_words import ROLE_WORDS
from cashier_app.i18n import N_, tr
from cashier_app.services import audit_log
from cashier_app.ui.paged_model import PagedModel

FetchPage = Callable[[audit_log.AuditFilter, int], audit_log.AuditPage]


class AuditModel(PagedModel):
    """Rows are ``AuditRow`` DTOs; pages come from ``fetch_page(filter, offset)`` on the DB worker.

    Shown in people's words (issue 12 §3): the action's name, the object, «поле: было → стало» with
    amounts in rubles and the full date and time on the office clock; the codes stay in the CSV export.
    """

    COLUMNS = ("№", N_("Время"), N_("Пользователь"), N_("Касса"), N_("Действие"), N_("Объект"), N_("Изменение"))

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(runner, fetch_page, parent)

    def split_page(self, offset: int, page: audit_log.AuditPage) -> tuple[Sequence[audit_log.AuditRow], bool, int]:
        return page.rows, page.has_more, offset + len(page.rows)

    def cells(self, r: audit_log.AuditRow) -> tuple[str, ...]:
        role = ROLE_WORDS.get(r.role or "")
        user = f"{r.user} ({tr(role)})" if r.user and role else (r.user or "—")
        return (str(r.id), r.at_text, user, r.desk, r.action_text, r.entity_text, r.change_text)
