"""How a capability (cash desk, card payments, documents, billing…) plugs into the main window.

Before issue 12 each ``*_actions.install(window)`` set its own attributes on the window
(``window.card_watcher``, ``window.last_preview``…, two dozen of them): nothing said what a
capability may rely on, and every dialog stayed referenced after it closed.  Now the window
implements :class:`WindowHost`, the one typed interface a capability uses, and a capability
keeps its own state on itself; ``host.capability(CardPayments)`` finds the installed object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDialog, QMainWindow, QWidget

    from cashier_app.services.context import DeskContext, UserInfo
    from cashier_app.ui.account_view import AccountView
    from cashier_app.ui.changes import ChangeBus, ChangeSet

# The menus a capability may add to, in the order of the menu bar.
MENUS = ("file", "shift", "journal", "service", "view", "help")

C = TypeVar("C", bound="Capability")
ActionHandler = Callable[["WindowHost", Any], None]


@runtime_checkable
class WindowHost(Protocol):
    """What the main window offers a capability — and all it offers."""

    runner: Any  # OperationRunner (SyncRunner in tests): run_db / run_net
    changes: ChangeBus  # announce what a write changed; subscribe to stay current
    card_shown: SignalInstance  # (card | None) after a card is shown or cleared
    user_changed: SignalInstance  # (UserInfo | None)
    account_view: AccountView  # the account card's view (the billing's answer goes on it)

    @property
    def ctx(self) -> DeskContext:
        """The live context (the signed-in user now); queue work with ``snapshot_ctx()``."""
        ...

    @property
    def current(self) -> Any:
        """The card shown: AccountCard, BookingCard or None."""
        ...

    def snapshot_ctx(self) -> DeskContext:
        """A copy of the context for a job or a dialog: a later user switch does not change it."""
        ...

    def widget(self) -> QMainWindow:
        """The parent for dialogs."""
        ...

    def register_action(self, key: str, handler: ActionHandler) -> None:
        """Give the F-key button ``key`` (documents/cash/card/bonuses) its handler(host, card)."""
        ...

    def add_menu_action(self, menu: str, action: QAction) -> QAction:
        """Add ``action`` to the menu ``menu`` (one of MENUS)."""
        ...

    def action(self, name: str) -> QAction | None:
        """A menu entry by its objectName."""
        ...

    def add_status_widget(self, widget: QWidget) -> None:
        """A permanent widget in the status bar (an indicator, a counter)."""
        ...

    def status(self, text: str, msecs: int = 8000) -> None:
        """A transient line in the status bar."""
        ...

    def notify(self, title: str, text: str, level: str = "warn") -> None:
        """Status bar + toast + tray: something that happened in the background."""
        ...

    def show_dialog(self, dialog: QDialog, *, modeless: bool = False) -> QDialog:
        """Open ``dialog`` over the window; it is deleted when closed (nothing keeps it)."""
        ...

    def live_dialog(self, cls: type) -> Any:
        """The newest open dialog of ``cls``, or None (tests and refresh hooks find dialogs so)."""
        ...

    def action_finished(self) -> None:
        """After an action: the cursor back to the search field."""
        ...

    def refresh_card(self) -> None:
        """Read the card shown again."""
        ...

    def refresh_state(self) -> None:
        """Ask again which F-keys can succeed and what the shift is."""
        ...

    def set_user(self, user: UserInfo | None) -> None:
        """Sign-in, switch user, sign-out: the window shows who acts; queued jobs keep theirs."""
        ...

    def confirm_leaving(self, title: str, yes_label: str) -> bool:
        """Before a sign-out, a user switch or quitting: an open shift, pending orders — go on?"""
        ...

    def after_start(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the window is up (background start-up work: reconciles, deliveries)."""
        ...

    def announce(self, changes: ChangeSet | None) -> None:
        """Shorthand for ``changes.announce``."""
        ...

    def capability(self, cls: type[C]) -> C | None:
        """The installed capability of class ``cls``."""
        ...


class Capability(ABC):
    """A part of the counter that plugs into the main window through :class:`WindowHost` only."""

    host: WindowHost

    @abstractmethod
    def install(self, host: WindowHost) -> None:
        """Register actions, menus and status widgets; keep what it needs on ``self``."""


def dialog_parent(host: WindowHost) -> QWidget:
    return host.widget()


def menu_entry(host: WindowHost, menu: str, text: str, name: str, slot: Callable[[], Any]) -> QAction:
    """A menu entry ``text`` (already translated) named ``name`` that calls ``slot``, added to ``menu``."""
    from PySide6.QtGui import QAction

    action = QAction(text, host.widget())
    action.setObjectName(name)
    action.triggered.connect(lambda _checked=False: slot())
    return host.add_menu_action(menu, action)


__all__ = ["MENUS", "ActionHandler", "Capability", "WindowHost", "dialog_parent", "menu_entry"]
