"""The documents journal table: newest first, further pages fetched on scroll."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt

from cashier_app.domain.audit_words import format_instant
from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services.documents import DocumentFilter, DocumentsPage, JournalLine
from cashier_app.services.office_time import local_clock
from cashier_app.ui.paged_model import RIGHT, PagedModel

FetchPage = Callable[[DocumentFilter | None, int], DocumentsPage]
AMOUNT_COLUMN = 3


class DocumentsModel(PagedModel):
    """Rows are ``JournalLine`` DTOs; pages come from ``fetch_page(filter, offset)`` on the DB worker."""

    COLUMNS = (N_("Номер"), N_("Выдан"), N_("Документ"), N_("Сумма"), N_("Действителен до"), N_("Касса"))

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(runner, fetch_page, parent)

    def split_page(self, offset: int, page: DocumentsPage) -> tuple[Sequence[JournalLine], bool, int]:
        return page.lines, page.has_more, offset + len(page.lines)

    def cells(self, ln: JournalLine) -> tuple[str, ...]:
        # Stored in UTC (SQLite gives it back naive): shown whole, on the office clock.
        return (ln.number, format_instant(ln.issued_at, local_clock), tr(ln.kind_label),
                format_money(ln.amount_minor, ln.currency),
                ln.valid_until.strftime("%d.%m.%Y") if ln.valid_until else "", ln.desk)

    def role_data(self, ln: JournalLine, column: int, role: int) -> Any:
        if column == AMOUNT_COLUMN and role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        return None
