"""The payments journal table: the first page at once, further pages of 200 fetched on scroll."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import payments_journal as pj

FetchPage = Callable[[pj.JournalFilter, int], pj.JournalPage]
Index = QModelIndex | QPersistentModelIndex

NEGATIVE = QColor("#c62828")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
AMOUNT_COLUMN = 5

COLUMNS = (N_("Номер"), N_("Дата и время"), N_("Вид"), N_("Способ"), N_("Статус"), N_("Сумма"),
           N_("Счёт / заявка"), N_("Касса"), N_("Кассир"), N_("Смена"), N_("Причина"), N_("Квитанция"))


def _cells(r: pj.JournalRow) -> tuple[str, ...]:
    return (r.number, r.created_at.astimezone().strftime("%d.%m.%Y %H:%M"), r.entry_kind, r.method, r.status,
            format_money(r.amount_minor, r.currency), r.account or r.booking or "", r.desk, r.user or "",
            r.shift or "", r.reason or "", r.slip or "")


class JournalModel(QAbstractTableModel):
    """Rows are ``JournalRow`` DTOs; pages come from ``fetch_page(filter, offset)`` on the DB worker."""

    totals_changed = Signal(object)  # JournalTotals of the whole filter, with the first page
    failed = Signal(object)  # the exception of a failed page
    loading_changed = Signal(bool)

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._fetch = fetch_page
        self._rows: list[pj.JournalRow] = []
        self._filter: pj.JournalFilter | None = None
        self._generation = 0
        self._has_more = False
        self._loading = False
        self._next_offset = 0
        self.totals: pj.JournalTotals | None = None

    # --- loading ---------------------------------------------------------------
    def set_filter(self, f: pj.JournalFilter) -> None:
        """Start over with a new filter: the rows go, the first page and the totals are asked for."""
        self._generation += 1
        self._filter = f
        self.beginResetModel()
        self._rows = []
        self._has_more = False
        self._next_offset = 0
        self.totals = None
        self.endResetModel()
        self._loading = False
        self._load(0)

    def _load(self, offset: int) -> None:
        gen, f = self._generation, self._filter
        assert f is not None
        self._set_loading(True)
        self._runner.run_db(lambda: self._fetch(f, offset), lambda page: self._on_page(gen, page),
                            lambda exc: self._on_error(gen, exc))

    def _on_page(self, gen: int, page: pj.JournalPage) -> None:
        if gen != self._generation:
            return  # a newer filter was asked for; this answer is no longer wanted
        self._set_loading(False)
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()
        self._has_more = page.has_more and bool(page.rows)
        self._next_offset = page.next_offset
        if page.totals is not None:
            self.totals = page.totals
            self.totals_changed.emit(page.totals)

    def _on_error(self, gen: int, exc: BaseException) -> None:
        if gen == self._generation:
            self._set_loading(False)
            self._has_more = False
            self.failed.emit(exc)

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
    def current_filter(self) -> pj.JournalFilter | None:
        return self._filter

    @property
    def rows(self) -> list[pj.JournalRow]:
        return list(self._rows)

    def row(self, i: int) -> pj.JournalRow | None:
        return self._rows[i] if 0 <= i < len(self._rows) else None

    # --- Qt model --------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._has_more and not self._loading

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._load(self._next_offset)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(COLUMNS):
                return tr(COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if not 0 <= col < len(COLUMNS):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _cells(r)[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == AMOUNT_COLUMN and r.amount_minor < 0:
            return QBrush(NEGATIVE)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == AMOUNT_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return r
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
