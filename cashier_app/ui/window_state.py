"""The main window's helpers for issue 12 §2: the counter's state off the GUI thread, a question.

Apart from ``main_window`` so that it stays one readable class.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QSplitter, QWidget

from cashier_app.i18n import tr
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages

log = logging.getLogger(__name__)


class _Unknown:
    """Not asked yet (a card just opened) or nobody signed in: the shift as last known, no action limits.

    The F-keys stay usable meanwhile: the service still refuses what it must, with its reason.
    """

    def __init__(self, shift: Any) -> None:
        self.shift = shift
        self.actions: dict[str, Any] = {}


def fallback_state(shift: Any, _card: Any) -> Any:
    return _Unknown(shift)


def state_of(ctx: DeskContext, card: Any) -> Any:
    """``counter_state(ctx, card)``: run on the DB worker after each card shown and each change."""
    from cashier_app.services import counter_state

    return counter_state.counter_state(ctx, card)


def leaving_notes(state: Any, capabilities: list[Any]) -> list[str]:
    """What the cashier should know before leaving: an open shift, card orders still pending."""
    notes = []
    badge = getattr(state, "shift", None)
    if badge is not None and badge.open:
        notes.append(tr("Смена {n} не закрыта.", n=badge.number or ""))
    for cap in capabilities:
        note = getattr(cap, "leaving_note", None)
        text = note() if callable(note) else None
        if text:
            notes.append(text)
    return notes


def confirm_leaving(parent: QWidget, notes: list[str], title: str, yes_label: str) -> bool:
    """Nothing to say: go on; else ask (``messages.confirm`` looked up now: tests replace it)."""
    if not notes:
        return True
    return bool(messages.confirm(parent, title, "\n".join([*notes, "", tr("Всё равно продолжить?")]), yes_label))


def disabled_summary(states: list[tuple[str, bool, str | None]], shortcuts: dict[str, str]) -> str:
    """«F6, F7: смена не открыта; F8: …» for the keys (key, enabled, reason) that are off."""
    reasons: dict[str, list[str]] = {}
    for key, enabled, reason in states:
        if not enabled and reason:
            reasons.setdefault(reason, []).append(shortcuts[key])
    return "; ".join(f"{', '.join(keys)}: {reason}" for reason, keys in reasons.items())


def restore_layout(window: QWidget, splitter: QSplitter) -> None:
    """The window's geometry and the splitter's sizes as the last session left them (DeskSettings)."""
    from cashier_app.settings import DeskSettings

    settings = DeskSettings()
    geometry, sizes = settings.get("window_geometry"), settings.get("splitter_sizes")
    if isinstance(geometry, str) and geometry:
        window.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
    if isinstance(sizes, list) and len(sizes) == 2 and all(isinstance(x, int) and x > 0 for x in sizes):
        splitter.setSizes(sizes)


def save_layout(window: QWidget, splitter: QSplitter) -> None:
    from cashier_app.settings import DeskSettings

    try:
        settings = DeskSettings()
        settings.set("window_geometry", bytes(window.saveGeometry().toBase64().data()).decode("ascii"))
        settings.set("splitter_sizes", [int(x) for x in splitter.sizes()])
    except OSError as exc:  # a read-only config never stops the quit
        log.warning("window layout not saved: %s", exc)
