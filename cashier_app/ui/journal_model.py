"""The payments journal table: the first page at once, further pages of 200 fetched on scroll."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor

from cashier_app.domain.audit_words import entry_kind_text, format_instant, method_text, status_text
from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import payments_journal as pj
from cashier_app.services.office_time import local_clock
from cashier_app.ui.paged_model import NEGATIVE, RIGHT, PagedModel

FetchPage = Callable[[pj.JournalFilter, int], pj.JournalPage]

AMOUNT_COLUMN = 5
FISCAL_COLUMN = 12
BILLING_COLUMN = 13

COLUMNS = (N_("Номер"), N_("Дата и время"), N_("Вид"), N_("Способ"), N_("Статус"), N_("Сумма"),
           N_("Счёт / заявка"), N_("Касса"), N_("Кассир"), N_("Смена"), N_("Причина"), N_("Квитанция"),
           N_("Чек"), N_("Биллинг"))
# The fiscal receipt's state (payments_journal.JournalRow.fiscal) as the cashier reads it.
FISCAL_TEXT = {None: "", "pending": N_("формируется"), "sent": N_("формируется"), "done": N_("пробит"),
               "failed": N_("ошибка — повторите"), "bank": N_("касса банка"),
               "corrected": N_("исправлен коррекцией")}
FISCAL_COLOUR = {"failed": NEGATIVE, "pending": QColor("#ef6c00"), "sent": QColor("#ef6c00")}
# The delivery to the payee's billing (JournalRow.billing, issue 14); the words of billing.views.DELIVERY_LABELS.
BILLING_TEXT = {"pending": N_("в очереди"), "sent": N_("отправлен, ждём ответа"), "delivered": N_("доставлен"),
                "refused": N_("отклонён"), "manual": N_("вручную")}
BILLING_COLOUR = {"refused": NEGATIVE, "manual": NEGATIVE, "pending": QColor("#ef6c00"), "sent": QColor("#ef6c00")}


class JournalModel(PagedModel):
    """Rows are ``JournalRow`` DTOs; pages come from ``fetch_page(filter, offset)`` on the DB worker."""

    COLUMNS = COLUMNS
    totals_changed = Signal(object)  # JournalTotals of the whole filter, with the first page

    def __init__(self, runner: Any, fetch_page: FetchPage, parent: Any = None) -> None:
        super().__init__(runner, fetch_page, parent)
        self.totals: pj.JournalTotals | None = None

    def set_filter(self, f: pj.JournalFilter) -> None:
        """Start over with a new filter: the rows go, the first page and the totals are asked for."""
        self.totals = None
        super().set_filter(f)

    def split_page(self, offset: int, page: pj.JournalPage) -> tuple[Sequence[pj.JournalRow], bool, int]:
        return page.rows, page.has_more, page.next_offset

    def page_arrived(self, offset: int, page: pj.JournalPage) -> None:
        if page.totals is not None:
            self.totals = page.totals
            self.totals_changed.emit(page.totals)

    def cells(self, r: pj.JournalRow) -> tuple[str, ...]:
        # People's words, not codes; the full date and time on the office clock (issue 12 §3).
        return (r.number, format_instant(r.created_at, local_clock), entry_kind_text(r.entry_kind),
                method_text(r.method), status_text(r.status),
                format_money(r.amount_minor, r.currency), r.account or r.booking or "", r.desk, r.user or "",
                r.shift or "", r.reason or "", r.slip or "", fiscal_text(r.fiscal),
                billing_text(r.billing, r.billing_note))

    def role_data(self, r: pj.JournalRow, column: int, role: int) -> Any:
        if column == BILLING_COLUMN:
            colour = BILLING_COLOUR.get(r.billing or "")
            return QBrush(colour) if role == Qt.ItemDataRole.ForegroundRole and colour is not None else None
        if column == FISCAL_COLUMN:
            colour = FISCAL_COLOUR.get(r.fiscal or "")
            return QBrush(colour) if role == Qt.ItemDataRole.ForegroundRole and colour is not None else None
        if column != AMOUNT_COLUMN:
            return None
        if role == Qt.ItemDataRole.ForegroundRole and r.amount_minor < 0:
            return QBrush(NEGATIVE)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT
        return None


def fiscal_text(state: str | None) -> str:
    text = FISCAL_TEXT.get(state)
    return tr(text) if text else (state or "")


def billing_text(state: str | None, note: str | None = None) -> str:
    """«доставлен», «отклонён: лицевой счёт не найден» — the reason is the billing's (or the connector's) own."""
    text = BILLING_TEXT.get(state or "")
    out = tr(text) if text else (state or "")
    return f"{out}: {note}" if note and state in ("refused", "manual") else out
