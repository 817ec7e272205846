"""Telling the cashier what happened in the background, without stopping the work at the counter.

A card order that ends while nobody looks at it (paid, declined, expired), a
start-up reconcile that failed, a watcher that cannot read the database: each
goes to the status bar, to a small toast in the window's lower right corner
(non-modal, closes by a click or after a while) and, where the desktop has a
system tray, to a tray balloon.  :attr:`Notifier.history` keeps what was said
this session (tests read it; «Ожидают оплаты» lists what is still open).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QMainWindow, QSystemTrayIcon, QVBoxLayout, QWidget

TOAST_MS = 15_000
STATUS_MS = 30_000
LEVEL_STYLE = {
    "ok": "background: #e8f5e9; border: 1px solid #2e7d32; color: #1b5e20;",
    "warn": "background: #fff3e0; border: 1px solid #ef6c00; color: #5d4037;",
    "error": "background: #ffebee; border: 1px solid #c62828; color: #b71c1c;",
}


@dataclass(frozen=True, slots=True)
class Note:
    at: datetime
    level: str  # ok | warn | error
    title: str
    text: str


class Toast(QFrame):
    """A small non-modal note over the window's corner; a click closes it."""

    def __init__(self, parent: QWidget, title: str, text: str, level: str) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#toast {{ {LEVEL_STYLE.get(level, LEVEL_STYLE['warn'])} border-radius: 6px; }}")
        self.title = QLabel(f"<b>{title}</b>")
        self.text = QLabel(text)
        self.text.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.text)
        self.setFixedWidth(360)
        self.adjustSize()

    def mousePressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.close()  # deleted by the notifier with the next toast


class Notifier(QObject):
    """Status bar + toast + tray balloon for one main window."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.history: list[Note] = []
        self.toasts: list[Toast] = []
        self.tray: QSystemTrayIcon | None = None
        window.installEventFilter(self)

    def notify(self, title: str, text: str, level: str = "warn") -> None:
        self.history.append(Note(datetime.now(), level, title, text))
        self.window.statusBar().showMessage(f"{title}: {text}", STATUS_MS)
        self._toast(title, text, level)
        self._balloon(title, text, level)

    def _toast(self, title: str, text: str, level: str) -> None:
        toast = Toast(self.window, title, text, level)
        keep = [t for t in self.toasts if t.isVisible()][-3:]  # at most four on screen
        for old in self.toasts:
            if old not in keep:
                old.close()
                old.deleteLater()
        self.toasts = [*keep, toast]
        self._place()
        toast.show()
        toast.raise_()
        QTimer.singleShot(TOAST_MS, toast.close)

    def _place(self) -> None:
        """Stack the visible toasts upwards from the lower left corner, above the status bar.

        Left, over the results list's usually empty bottom: on the right they covered F7 and F8,
        the keys the cashier reaches for next (the gallery's fit check caught it).
        """
        bottom = self.window.height() - self.window.statusBar().height() - 8
        for toast in reversed(self.toasts):
            toast.move(12, bottom - toast.height())
            bottom -= toast.height() + 6

    def _balloon(self, title: str, text: str, level: str) -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return  # no tray (offscreen, some kiosks): the toast and the status bar still say it
        if self.tray is None:
            self.tray = QSystemTrayIcon(self.window.windowIcon(), self)
            self.tray.show()
        icon = (QSystemTrayIcon.MessageIcon.Information if level == "ok"
                else QSystemTrayIcon.MessageIcon.Warning)
        self.tray.showMessage(title, text, icon, TOAST_MS)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def visible_texts(self) -> list[str]:
        return [t.text.text() for t in self.toasts if t.isVisible()]


def notifier_of(window: QMainWindow) -> Notifier:
    """The window's notifier, made on first use."""
    found = window.findChild(Notifier)
    return found if isinstance(found, Notifier) else Notifier(window)


__all__ = ["Note", "Notifier", "Toast", "notifier_of"]
