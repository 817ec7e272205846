"""A read-only table filled a page at a time on the DB worker, more pages fetched as the view scrolls.

A subclass names its ``COLUMNS`` and the ``cells`` of a row.  ``set_filter(f)`` starts over with
pages from ``fetch_page(f, offset)`` (``load(fetch)`` with any ``fetch(offset)``); by default a page
is ``(rows, has_more)``, a subclass's ``split_page`` reads any other shape.  Each ``load`` bumps a generation counter, so the answer of an older filter that
arrives late is dropped instead of mixed into the new rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from cashier_app.i18n import tr

Fetch = Callable[[int], Any]
FetchPage = Callable[[Any, int], Any]
Index = QModelIndex | QPersistentModelIndex

NEGATIVE = QColor("#c62828")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's DTO itself
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class PagedModel(QAbstractTableModel):
    COLUMNS: tuple[str, ...] = ()  # N_() texts, translated when shown

    failed = Signal(object)  # the exception of a failed page
    loading_changed = Signal(bool)

    def __init__(self, runner: Any, fetch_page: FetchPage | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._fetch_page = fetch_page
        self._filter: Any = None
        self._rows: list[Any] = []
        self._fetch: Fetch | None = None
        self._generation = 0
        self._has_more = False
        self._loading = False
        self._next_offset = 0

    # --- what a subclass says ----------------------------------------------------
    def cells(self, row: Any) -> Sequence[str]:
        """The display text of each column of ``row``."""
        raise NotImplementedError

    def role_data(self, row: Any, column: int, role: int) -> Any:
        """Any other role (colour, alignment) of one cell; None by default."""
        return None

    def split_page(self, offset: int, page: Any) -> tuple[Sequence[Any], bool, int]:
        """The rows of a page, whether more follow and the offset of the next page."""
        rows, has_more = page
        return rows, has_more, offset + len(rows)

    def page_arrived(self, offset: int, page: Any) -> None:
        """Called on the GUI thread after the rows of a current page are in."""

    def page_failed(self, exc: BaseException) -> None:
        self.failed.emit(exc)

    # --- loading ---------------------------------------------------------------
    def set_filter(self, f: Any) -> None:
        """Start over with the pages of ``fetch_page(f, offset)``; None: no rows."""
        self._filter = f
        fetch_page = self._fetch_page
        assert fetch_page is not None
        self.load(None if f is None else lambda offset: fetch_page(f, offset))

    @property
    def current_filter(self) -> Any:
        return self._filter

    def load(self, fetch: Fetch | None) -> None:
        """Start over: the rows go and the first page is asked for (None: stay empty)."""
        self._generation += 1
        self._fetch = fetch
        self.beginResetModel()
        self._rows = []
        self._has_more = False
        self._next_offset = 0
        self.endResetModel()
        if fetch is None:
            self._set_loading(False)  # a page of an older generation still on its way is ignored
            return
        self._load(0)

    def _load(self, offset: int) -> None:
        gen, fetch = self._generation, self._fetch
        assert fetch is not None
        self._set_loading(True)
        self._runner.run_db(lambda: fetch(offset), lambda page: self._on_page(gen, offset, page),
                            lambda exc: self._on_error(gen, exc))

    def _on_page(self, gen: int, offset: int, page: Any) -> None:
        if gen != self._generation:
            return  # a newer filter was asked for; this answer is no longer wanted
        self._set_loading(False)
        rows, has_more, next_offset = self.split_page(offset, page)
        # Set before the rows go in, so that a slot of rowsInserted sees whether more follow.
        self._has_more = has_more and bool(rows)
        self._next_offset = next_offset
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.page_arrived(offset, page)

    def _on_error(self, gen: int, exc: BaseException) -> None:
        if gen == self._generation:
            self._set_loading(False)
            self._has_more = False
            self.page_failed(exc)

    def _set_loading(self, value: bool) -> None:
        if self._loading != value:
            self._loading = value
            self.loading_changed.emit(value)

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def has_more(self) -> bool:
        return self._has_more

    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def row(self, i: int) -> Any:
        return self._rows[i] if 0 <= i < len(self._rows) else None

    def count_text(self, text: str) -> str:
        """``text`` (a count of the rows shown), told that scrolling loads more while more follow."""
        return f"{text} {tr('(прокрутите вниз, чтобы загрузить ещё)')}" if self._has_more else text

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
        r = self._rows[index.row()]
        col = index.column()
        if not 0 <= col < len(self.COLUMNS):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(r)[col]
        if role == ROW_ROLE:
            return r
        return self.role_data(r, col, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
