"""The search results table: first page at once, more rows fetched on scroll."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services.lookup import SearchHit, SearchResult

FetchPage = Callable[[str, int], SearchResult]
Index = QModelIndex | QPersistentModelIndex

NEGATIVE = QColor("#c62828")
HIT_ROLE = Qt.ItemDataRole.UserRole + 1


class ResultsModel(QAbstractTableModel):
    """Rows are ``SearchHit`` DTOs; pages come from ``fetch_page`` on the DB worker."""

    COLUMNS = (N_("Тип"), N_("Номер"), N_("Владелец / турист"), N_("Сумма"), N_("Адрес / тур"), N_("Найдено по"))
    page_loaded = Signal(object)  # SearchResult of the first page
    loading_changed = Signal(bool)

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._fetch = fetch_page
        self._rows: list[SearchHit] = []
        self._query = ""
        self._generation = 0
        self._has_more = False
        self._loading = False
        self._next_offset = 0

    # --- queries ---------------------------------------------------------------
    def set_query(self, text: str) -> None:
        self._generation += 1
        self._query = text.strip()
        self.beginResetModel()
        self._rows = []
        self._has_more = False
        self._next_offset = 0
        self.endResetModel()
        if not self._query:
            self._set_loading(False)
            return
        self._load(0)

    def _load(self, offset: int) -> None:
        gen, query = self._generation, self._query
        self._set_loading(True)
        self._runner.run_db(
            lambda: self._fetch(query, offset),
            lambda result: self._on_page(gen, offset, result),
            lambda exc: self._on_error(gen, exc),
        )

    def _on_page(self, gen: int, offset: int, result: SearchResult) -> None:
        if gen != self._generation:
            return  # an older query typed over; its answer is no longer wanted
        self._set_loading(False)
        if result.hits:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(result.hits) - 1)
            self._rows.extend(result.hits)
            self._has_more = result.has_more
            self._next_offset = result.next_offset
            self.endInsertRows()
        else:
            self._has_more = False
        if offset == 0:
            self.page_loaded.emit(result)

    def _on_error(self, gen: int, exc: BaseException) -> None:
        if gen == self._generation:
            self._set_loading(False)
            self._has_more = False
            self.page_loaded.emit(SearchResult([], False, message=str(exc)))

    def _set_loading(self, value: bool) -> None:
        if self._loading != value:
            self._loading = value
            self.loading_changed.emit(value)

    @property
    def loading(self) -> bool:
        return self._loading

    def hit(self, row: int) -> SearchHit | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # --- Qt model --------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._has_more and not self._loading

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._load(self._next_offset)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.COLUMNS):
                return tr(self.COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        hit = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                tr("счёт") if hit.kind == "account" else tr("заявка"),
                hit.number,
                hit.title,
                format_money(hit.amount_minor, hit.currency),
                hit.detail,
                hit.matched_by,
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 3 and hit.kind == "account" and hit.amount_minor < 0:
            return QBrush(NEGATIVE)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == HIT_ROLE:
            return hit
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
