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
BALANCE_COLUMN = 3  # an account's balance (red below zero)
DUE_COLUMN = 4  # a booking's amount due, in the tour's currency and in rubles at today's rate
AMOUNT_COLUMN = BALANCE_COLUMN  # the name older callers use


class ResultsModel(PagedModel):
    """Rows are ``SearchHit`` DTOs; pages come from ``fetch_page`` on the DB worker."""

    # «Баланс» and «К оплате» apart (issue 12 §3): one «Сумма» meant the one for accounts, the other for bookings.
    COLUMNS = (N_("Тип"), N_("Номер"), N_("Владелец / турист"), N_("Баланс"), N_("К оплате"), N_("Адрес / тур"),
               N_("Найдено по"))
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
                balance_text(hit), due_text(hit), hit.detail, tr(hit.matched_by))

    def role_data(self, hit: SearchHit, column: int, role: int) -> Any:
        if column not in (BALANCE_COLUMN, DUE_COLUMN):
            return None
        if (role == Qt.ItemDataRole.ForegroundRole and column == BALANCE_COLUMN and hit.kind == "account"
                and _balance(hit) < 0):
            return QBrush(NEGATIVE)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        return None


def _balance(hit: SearchHit) -> int:
    return hit.balance_minor if hit.balance_minor is not None else hit.amount_minor


def balance_text(hit: SearchHit) -> str:
    """An account's balance; a booking has none (its column is «К оплате»)."""
    return format_money(_balance(hit), hit.currency) if hit.kind == "account" else ""


def due_text(hit: SearchHit) -> str:
    """«2 971,13 € ≈ 296 222,85 ₽» — the tour's currency and, with a rate for today, rubles."""
    if hit.kind != "booking":
        return ""
    due = hit.due_minor if hit.due_minor is not None else hit.amount_minor
    text = format_money(due, hit.currency)
    if hit.currency != "RUB" and hit.due_rub_minor is not None:
        text = tr("{amount} ≈ {rub}", amount=text, rub=format_money(hit.due_rub_minor))
    return text
