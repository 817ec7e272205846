"""The search results table: first page at once, more rows fetched on scroll."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services.lookup import SearchHit, SearchResult
from cashier_app.ui.paged_model import NEGATIVE, RIGHT, ROW_ROLE, PagedModel

FetchPage = Callable[[str, int], SearchResult]

HIT_ROLE = ROW_ROLE
AMOUNT_COLUMN = 3


class ResultsModel(PagedModel):
    """Rows are ``SearchHit`` DTOs; pages come from ``fetch_page`` on the DB worker."""

    COLUMNS = (N_("Тип"), N_("Номер"), N_("Владелец / турист"), N_("Сумма"), N_("Адрес / тур"), N_("Найдено по"))
    page_loaded = Signal(object)  # SearchResult of the first page

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(runner, fetch_page, parent)

    def set_query(self, text: str) -> None:
        self.set_filter(text.strip() or None)

    def split_page(self, offset: int, result: SearchResult) -> tuple[Sequence[SearchHit], bool, int]:
        return result.hits, result.has_more, result.next_offset

    def page_arrived(self, offset: int, result: SearchResult) -> None:
        if offset == 0:
            self.page_loaded.emit(result)

    def page_failed(self, exc: BaseException) -> None:
        self.page_loaded.emit(SearchResult([], False, message=str(exc)))

    def hit(self, row: int) -> SearchHit | None:
        return self.row(row)

    def cells(self, hit: SearchHit) -> tuple[str, ...]:
        return (tr("счёт") if hit.kind == "account" else tr("заявка"), hit.number, hit.title,
                format_money(hit.amount_minor, hit.currency), hit.detail, hit.matched_by)

    def role_data(self, hit: SearchHit, column: int, role: int) -> Any:
        if column != AMOUNT_COLUMN:
            return None
        if role == Qt.ItemDataRole.ForegroundRole and hit.kind == "account" and hit.amount_minor < 0:
            return QBrush(NEGATIVE)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        return None
