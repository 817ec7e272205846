"""The always-visible shift indicator of the status bar (issue 12 §2): open or closed, since when, who, cash.

It only shows a ``counter_state.ShiftBadge``; the main window feeds it after every change
(it reads nothing itself, so it never blocks the GUI thread).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from cashier_app.domain.money import format_money
from cashier_app.i18n import tr
from cashier_app.services import office_time
from cashier_app.services.counter_state import ShiftBadge

OPEN_STYLE = "color: #1b5e20; font-weight: bold; padding: 0 6px;"
# A closed shift must stand out: no cash can be taken until it is opened.
CLOSED_STYLE = "color: #ffffff; background: #c62828; font-weight: bold; padding: 0 6px; border-radius: 3px;"


def short_name(full_name: str) -> str:
    """«Смирнова Ольга Николаевна» → «Смирнова О. Н.»: the status bar is narrow at 1024×700."""
    parts = full_name.split()
    if len(parts) < 2 or any(p.endswith(".") for p in parts[1:]):
        return full_name
    return " ".join([parts[0], *(f"{p[0]}." for p in parts[1:3])])


def badge_text(badge: ShiftBadge) -> str:
    """«Смена 12 открыта с 09:05, Иванова И. И., в кассе 6 100,00 ₽» or «Смена закрыта»."""
    if not badge.open:
        return tr("Смена закрыта")
    since = office_time.local_clock(badge.opened_at).strftime("%H:%M") if badge.opened_at else "—"
    cash = format_money(badge.cash_on_hand_minor) if badge.cash_on_hand_minor is not None else "—"
    return tr("Смена {n} открыта с {since}, {cashier}, в кассе {cash}", n=badge.number or "—", since=since,
              cashier=short_name(badge.cashier) if badge.cashier else "—", cash=cash)


class ShiftIndicator(QLabel):
    """A label in the status bar; ``open`` property is True/False for style sheets and tests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shift_indicator")
        self.badge: ShiftBadge | None = None
        self.show_badge(ShiftBadge(open=False))

    def show_badge(self, badge: ShiftBadge) -> None:
        self.badge = badge
        self.setText(badge_text(badge))
        self.setProperty("open", badge.open)
        self.setStyleSheet(OPEN_STYLE if badge.open else CLOSED_STYLE)
        if badge.open and badge.opened_at is not None:
            day = office_time.local_clock(badge.opened_at).strftime("%d.%m.%Y %H:%M")
            self.setToolTip(tr("Смена № {n} открыта {at}, {cashier}; наличные в кассе — по учёту (размен + "
                               "приход − расход)", n=badge.number or "—", at=day, cashier=badge.cashier or "—"))
        else:
            self.setToolTip(tr("Смена не открыта: наличные не принимаются (меню «Смена → Открыть»)"))
