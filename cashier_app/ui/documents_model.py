"""The documents journal table: newest first, further pages fetched on scroll."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services.documents import DocumentFilter, DocumentsPage, JournalLine
from cashier_app.ui.paged_model import RIGHT, PagedModel

FetchPage = Callable[[DocumentFilter | None, int], DocumentsPage]
AMOUNT_COLUMN = 3


def _local(dt: datetime) -> datetime:
    # Stored in UTC; SQLite gives it back naive.
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone()


class DocumentsModel(PagedModel):
    """Rows are ``JournalLine`` DTOs; pages come from ``fetch_page(filter, offset)`` on the DB worker."""

    COLUMNS = (N_("Номер"), N_("Выдан"), N_("Документ"), N_("Сумма"), N_("Действителен до"), N_("Касса"))

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(runner, fetch_page, parent)

    def split_page(self, offset: int, page: DocumentsPage) -> tuple[Sequence[JournalLine], bool, int]:
        return page.lines, page.has_more, offset + len(page.lines)

    def cells(self, ln: JournalLine) -> tuple[str, ...]:
        return (ln.number, _local(ln.issued_at).strftime("%d.%m.%Y %H:%M"), tr(ln.kind_label),
                format_money(ln.amount_minor, ln.currency),
                ln.valid_until.strftime("%d.%m.%Y") if ln.valid_until else "", ln.desk)

    def role_data(self, ln: JournalLine, column: int, role: int) -> Any:
        if column == AMOUNT_COLUMN and role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        return None
