"""The main window: one search field, the results, the card of the chosen record.

It implements :class:`~cashier_app.ui.capabilities.WindowHost`: capabilities (cash desk, card
payments, documents…) plug in through that interface only and keep their state on themselves.
Every view here follows ``self.changes`` (issue 12 §1): a write announces what it changed and
the results rows, the card shown and the F-keys' states refresh themselves.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import cards, lookup
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.lookup import SearchHit, SearchResult
from cashier_app.services.permissions import ROLE_LABELS
from cashier_app.storage.db import describe
from cashier_app.ui import main_menus, messages
from cashier_app.ui.account_view import AccountView
from cashier_app.ui.booking_view import BookingView
from cashier_app.ui.capabilities import MENUS, ActionHandler, Capability
from cashier_app.ui.changes import ChangeBus, ChangeSet
from cashier_app.ui.operations import ReadOp, snapshot
from cashier_app.ui.results_model import ResultsModel
from cashier_app.ui.shift_indicator import ShiftIndicator
from cashier_app.ui.window_state import (
    confirm_leaving,
    disabled_summary,
    fallback_state,
    leaving_notes,
    restore_layout,
    save_layout,
    state_of,
)

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250
# A keyboard-wedge scanner types a whole code in a few milliseconds a key; an Enter
# inside a ГОСТ code followed by this much silence was the code's end after all.
SCAN_IDLE_MS = 300

# key, label, shortcut; a capability registers a handler to enable its button.
ACTIONS = (
    ("documents", N_("Документы"), "F2"),
    ("cash", N_("Наличные"), "F6"),
    ("card", N_("Оплата картой"), "F7"),
    ("bonuses", N_("Бонусы"), "F8"),
)
# The menu bar, in this order; a menu nobody added to stays hidden.
MENU_TITLES = {"file": N_("&Файл"), "shift": N_("С&мена"), "journal": N_("&Журнал"), "service": N_("&Сервис"),
               "view": N_("&Вид"), "help": N_("С&правка")}

Card = cards.AccountCard | cards.BookingCard
C = TypeVar("C", bound=Capability)


class MainWindow(QMainWindow):
    card_shown = Signal(object)
    first_query_done = Signal()
    user_changed = Signal(object)
    state_changed = Signal(object)  # CounterState (or the fallback) after each card and change

    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx  # the live context: set_user changes its user; jobs get snapshot_ctx()
        self.runner = runner
        self.changes = ChangeBus(self)
        self.current: Card | None = None
        self.handlers: dict[str, ActionHandler] = {}
        self.state: Any = None  # the last CounterState (or fallback) shown
        self.confirm_quit = False  # app.py sets it: a test window closes without a question
        self.start_delay_ms = 0  # app.py: background start-up work waits until the first window is up
        self._capabilities: list[Capability] = []
        self._dialogs: list[QDialog] = []
        self._first_query_reported = False
        self._state_gen = 0
        self._reselect: tuple[str, str] | None = None  # (kind, number) to select after a refresh
        self._query_ctx = snapshot(ctx)
        # Set once: the platform adds the application's display name only when the title differs.
        self.setWindowTitle(tr("Касса"))
        self.resize(1280, 720)
        self.setMinimumSize(1024, 640)

        self.search = QLineEdit()
        self.search.setObjectName("search")
        # Short enough for the field at 1024 px; the full list of what it finds is the tooltip.
        self.search.setPlaceholderText(tr("Счёт, ФИО, телефон, адрес, заявка, QR…"))
        self.search.setToolTip(tr("Поиск: счёт, логин, договор, телефон, ФИО, адрес, заявка, «заявка паспорт», QR"))
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(lookup.MAX_QUERY_CHARS)  # the service refuses longer queries
        self.search.setStyleSheet("font-size: 13pt; padding: 4px;")
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)

        # The query's context is the snapshot taken when it was asked (_query), read on the worker.
        self.model = ResultsModel(runner, lambda q, off: lookup.search(self._query_ctx, q, offset=off), self)
        self.table = QTableView()
        self.table.setObjectName("results")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)
        self.table.resizeColumnsToContents()  # the headers fit before the first answer too

        self.empty = QLabel(tr("Выберите запись в списке или введите запрос."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.account_view = AccountView()
        self.booking_view = BookingView()
        self.detail = QStackedWidget()
        for w in (self.empty, self.account_view, self.booking_view):
            self.detail.addWidget(w)

        self.buttons: dict[str, QPushButton] = {}
        button_row = QHBoxLayout()
        for key, label, shortcut in ACTIONS:
            btn = QPushButton(f"{tr(label)} ({shortcut})")
            btn.setObjectName(f"action_{key}")
            btn.setEnabled(False)
            btn.setToolTip(tr("Будет доступно в следующей версии"))
            btn.clicked.connect(lambda _=False, k=key: self.trigger(k))
            # The shortcut is the window's, not the button's: a disabled key still says why (trigger).
            QShortcut(QKeySequence(shortcut), self, activated=lambda k=key: self.trigger(k))
            button_row.addWidget(btn)
            self.buttons[key] = btn
        button_row.addStretch(1)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.search)
        lv.addWidget(self.hint)
        lv.addWidget(self.table, 1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.detail, 1)
        rv.addLayout(button_row)
        self.splitter = QSplitter()
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([520, 760])
        # The frame of the day — the shift, who works, at which desk — has a row of its own above the
        # work: in the status bar it fought the transient messages and the capabilities' counters for
        # 1024 px and lost (clipped at 1024×700).
        self.shift_indicator = ShiftIndicator()
        self.user_label = QLabel("")
        self.user_label.setObjectName("user_label")
        self.desk_label = QLabel(tr("Касса: {desk}", desk=ctx.desk))
        self.desk_label.setObjectName("desk_label")
        strip = QWidget()
        strip.setObjectName("desk_strip")
        sv = QHBoxLayout(strip)
        sv.setContentsMargins(6, 2, 6, 2)
        sv.addWidget(self.shift_indicator)
        sv.addStretch(1)
        sv.addWidget(self.user_label)
        sv.addSpacing(12)
        sv.addWidget(self.desk_label)
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.setSpacing(2)
        cv.addWidget(strip)
        cv.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.setTabOrder(self.search, self.table)

        # Which database is the desk's tooltip (and «О программе»): in the status bar it took the room
        # the reasons of disabled keys need at 1024 px.
        self.desk_label.setToolTip(tr("База: {db}", db=describe(ctx.db.engine)))
        self.busy_label = QLabel("")
        self.statusBar().addPermanentWidget(self.busy_label)

        self.menus: dict[str, QMenu] = {}
        for name in MENUS:
            menu = self.menuBar().addMenu(tr(MENU_TITLES[name]))
            menu.setObjectName(f"menu_{name}")
            self.menus[name] = menu
        self.file_menu, self.service_menu = self.menus["file"], self.menus["service"]
        self._add_own_menus()
        self.set_user(ctx.user)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_query)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.open_first)
        self.search.installEventFilter(self)
        self._scan_idle = QTimer(self)
        self._scan_idle.setSingleShot(True)
        self._scan_idle.setInterval(SCAN_IDLE_MS)
        self._scan_idle.timeout.connect(self._search_then_open_first)
        self.model.page_loaded.connect(self._on_page)
        self.model.loading_changed.connect(lambda busy: self.busy_label.setText(tr("Ищу…") if busy else ""))
        self.table.activated.connect(lambda idx: self.open_hit(self.model.hit(idx.row())))
        self.table.clicked.connect(lambda idx: self.open_hit(self.model.hit(idx.row())))
        runner.failed.connect(lambda exc: messages.show_error(self, exc))
        self.changes.changed.connect(self._on_changes)

    # --- WindowHost -------------------------------------------------------------------
    def widget(self) -> QMainWindow:
        return self

    def snapshot_ctx(self) -> DeskContext:
        return snapshot(self.ctx)

    def install(self, capability: Capability) -> Capability:
        """Plug a capability in (app.py does it for every class of ``_extensions()``)."""
        self._capabilities.append(capability)
        capability.install(self)
        return capability

    def capability(self, cls: type[C]) -> C | None:
        return next((cap for cap in self._capabilities if isinstance(cap, cls)), None)

    def add_menu_action(self, menu: str, action: QAction) -> QAction:
        m = self.menus[menu]
        if menu == "file" and self.quit_action in m.actions():
            m.insertAction(self._quit_separator, action)  # «Выход» stays last
        else:
            m.addAction(action)
        m.menuAction().setVisible(True)
        return action

    def action(self, name: str) -> QAction | None:
        found = self.findChild(QAction, name)
        return found if isinstance(found, QAction) else None

    def add_status_widget(self, widget: QWidget) -> None:
        self.statusBar().addPermanentWidget(widget)

    def status(self, text: str, msecs: int = 8000) -> None:
        self.statusBar().showMessage(text, msecs)

    def notify(self, title: str, text: str, level: str = "warn") -> None:
        from cashier_app.ui.notifications import notifier_of

        notifier_of(self).notify(title, text, level)

    def show_dialog(self, dialog: QDialog, *, modeless: bool = False) -> QDialog:
        # Deleted when closed: nothing here keeps a closed dialog (100 previews once stayed in memory).
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._dialogs.append(dialog)
        key = id(dialog)
        dialog.destroyed.connect(lambda _o=None: setattr(self, "_dialogs", [d for d in self._dialogs if id(d) != key]))
        dialog.show() if modeless else dialog.open()
        return dialog

    def live_dialog(self, cls: type) -> Any:
        import shiboken6

        for d in reversed(self._dialogs):
            if isinstance(d, cls) and shiboken6.isValid(d) and d.isVisible():
                return d
        return None

    def announce(self, changes: ChangeSet | None) -> None:
        self.changes.announce(changes)

    def after_start(self, fn: Any) -> None:
        QTimer.singleShot(self.start_delay_ms, fn)

    # --- own menus: «Файл», «Вид», «Справка» (ui/main_menus.py) ------------------------
    def _add_own_menus(self) -> None:
        main_menus.add_own_menus(self)

    def show_shortcuts(self) -> None:
        from cashier_app.ui.help_dialog import show_shortcuts

        show_shortcuts(self)

    def show_about(self) -> None:
        from cashier_app.ui.help_dialog import show_about

        show_about(self)

    def choose_language(self, code: str) -> None:
        main_menus.choose_language(self, code)

    # --- the window's size and splitter, remembered -----------------------------------
    def restore_layout(self) -> None:
        """The size and splitter of the last session (app.py; a test window keeps its own)."""
        restore_layout(self, self.splitter)
        self.confirm_quit = True

    def save_layout(self) -> None:
        save_layout(self, self.splitter)

    # --- leaving: quit, sign-out, switch user --------------------------------------------
    def confirm_leaving(self, title: str, yes_label: str) -> bool:
        return confirm_leaving(self, leaving_notes(self.state, self._capabilities), title, yes_label)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.confirm_quit:
            if not self.confirm_leaving(tr("Выход"), tr("Выйти")):
                event.ignore()
                return
            self.save_layout()
        super().closeEvent(event)

    # --- signed-in user -------------------------------------------------------------
    def set_user(self, user: UserInfo | None) -> None:
        """Replace the acting user (sign-in, switch user, sign-out) and show who it is.

        The live context changes; jobs already queued hold their own snapshot and still run as
        the user who asked.  Another person must not see the last customer: the search goes.
        """
        before = self.ctx.user
        self.ctx.user = user
        if user is None:
            self.user_label.setText(tr("Вход не выполнен"))
        else:
            role = tr(ROLE_LABELS.get(user.role, user.role))
            self.user_label.setText(tr("Пользователь: {name} ({role})", name=user.full_name, role=role))
        if getattr(before, "id", None) != getattr(user, "id", None) and (self.search.text() or self.current):
            self.clear()
        self.user_changed.emit(user)
        self.refresh_state()

    # --- search ------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            self._scan_idle.stop()  # another key: the scanner is still typing the code
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not lookup.scanned_code_complete(self.search.text()):
                # A line break inside a payment code: part of the code (the reader trims
                # it), not «search now».  Silence after it makes it a real Enter.
                self.search.insert(" ")
                self._debounce.stop()
                self._scan_idle.start()
                return True
            if key == Qt.Key.Key_Escape:
                self.clear()
                return True
            if key == Qt.Key.Key_Down and self.model.rowCount() > 0:
                self.table.setFocus()
                self.table.selectRow(0)
                return True
        return super().eventFilter(obj, event)

    def search_now(self, text: str) -> None:
        """Type ``text`` and search at once, without the typing pause (a scripted start, ``--smoke``)."""
        self.search.setText(text)
        self._debounce.stop()
        self._run_query()

    def _query(self, text: str) -> None:
        self._query_ctx = self.snapshot_ctx()  # who asks is who asked now, whoever signs in next
        self.model.set_query(text)

    def _run_query(self) -> None:
        if self._scan_idle.isActive():
            return  # inside a scanned code: the idle gap or the final Enter searches
        self._reselect = None
        self._query(self.search.text())
        if not self.search.text().strip():
            self.hint.setText("")

    def _on_page(self, result: SearchResult) -> None:
        n = self.model.rowCount()
        if result.message:
            self.hint.setText(result.message)
        else:
            self.hint.setText(ntr("Показана {n} запись, есть ещё", "Показано {n} записей, есть ещё", n) if result.has_more
                              else ntr("Найдена {n} запись", "Найдено {n} записей", n))
        self.table.resizeColumnsToContents()
        if self._reselect is not None:
            # A refresh after a change: the same row selected again, the card stays (it refreshes itself).
            kind, number = self._reselect
            self._reselect = None
            for row in range(n):
                hit = self.model.hit(row)
                if hit is not None and hit.kind == kind and hit.number == number:
                    self.table.selectRow(row)
                    break
        elif result.open_directly is not None:
            self.open_hit(result.open_directly)
        if not self._first_query_reported:
            self._first_query_reported = True
            self.first_query_done.emit()

    def open_first(self) -> None:
        if self._debounce.isActive() or self.model.loading:
            # Enter typed before the answer came: open the first match when it arrives.
            self._search_then_open_first()
            return
        self.open_hit(self.model.hit(0))

    def _search_then_open_first(self) -> None:
        self._debounce.stop()
        self._reselect = None
        self._query(self.search.text())
        self.model.page_loaded.connect(self._open_first_once)

    def _open_first_once(self, result: SearchResult) -> None:
        self.model.page_loaded.disconnect(self._open_first_once)
        if result.hits and result.open_directly is None:
            self.open_hit(result.hits[0])

    def clear(self) -> None:
        """Esc in the search, Ctrl+L anywhere: the customer's data leaves the screen at once."""
        self._scan_idle.stop()
        self.search.clear()
        self._debounce.stop()  # clear() typed: no query of "" later
        self._reselect = None
        self._query("")
        self.hint.setText("")
        self.show_card(None)
        self.search.setFocus()

    def refresh_results(self) -> None:
        """Ask the current query again, keeping the selected row (balances after a payment)."""
        if self.model.current_filter is None:
            return
        idx = self.table.currentIndex()
        hit = self.model.hit(idx.row()) if idx.isValid() else None
        if hit is None and self.current is not None:
            kind = "booking" if isinstance(self.current, cards.BookingCard) else "account"
            self._reselect = (kind, self.current.number)
        else:
            self._reselect = (hit.kind, hit.number) if hit is not None else ("", "")
        self._query_ctx = self.snapshot_ctx()
        self.model.set_filter(self.model.current_filter)

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches_card(self.current):
            self.refresh_card()
        else:
            self.refresh_state()  # the shift, the rates, the user's rights: the F-keys may change
        if any(changes.touches(h.kind, h.number) for h in self.model.rows):
            self.refresh_results()

    # --- cards ---------------------------------------------------------------------
    def open_hit(self, hit: SearchHit | None) -> None:
        if hit is None:
            return
        number = hit.number
        if hit.kind == "account":
            op = ReadOp(lambda c: cards.account_card(c, number))
        else:
            # The tourist whose passport (or name) found the booking is highlighted on the card (issue 12 §3).
            passport, tourist = hit.matched_passport, hit.matched_tourist
            op = ReadOp(lambda c: cards.booking_card(c, number, c.today(), matched_passport=passport,
                                                     matched_tourist=tourist))
        op.success(self.show_card).failure(lambda e: messages.show_error(self, e)).run_in(self)

    def refresh_card(self) -> None:
        card = self.current
        if isinstance(card, cards.AccountCard):
            self.open_hit(SearchHit("account", card.number, "", "", 0, "RUB", ""))
        elif isinstance(card, cards.BookingCard):
            self.open_hit(SearchHit("booking", card.number, "", "", 0, card.currency, "",
                                    matched_tourist=card.matched_tourist))
        else:
            self.refresh_state()

    def show_card(self, card: Card | None) -> None:
        before = self.current
        changed = card is None or before is None or type(card) is not type(before) or card.number != before.number
        self.current = card
        if changed:
            # Another record: the last card's limits do not apply; its own come with refresh_state.
            self.state = fallback_state(getattr(self.state, "shift", None), card)
        if isinstance(card, cards.AccountCard):
            self.account_view.show_card(card)
            self.detail.setCurrentWidget(self.account_view)
        elif isinstance(card, cards.BookingCard):
            self.booking_view.show_card(card)
            self.detail.setCurrentWidget(self.booking_view)
        else:
            self.detail.setCurrentWidget(self.empty)
        self._update_buttons()
        self.card_shown.emit(card)
        self.refresh_state(card_changed=changed)

    # --- actions and their states --------------------------------------------------------
    def register_action(self, key: str, handler: ActionHandler) -> None:
        self.handlers[key] = handler
        self.buttons[key].setToolTip("")
        self._update_buttons()

    def refresh_state(self, card_changed: bool = False) -> None:
        """Which F-keys can succeed for the card shown, and the shift: asked in the background."""
        self._state_gen += 1
        gen, card = self._state_gen, self.current
        if self.ctx.user is None:
            self._show_state(gen, fallback_state(None, card))
            return
        ReadOp(lambda c: state_of(c, card)).success(lambda st: self._show_state(gen, st, card_changed)).failure(
            lambda exc: log.warning("counter state not read: %s", exc)).run_in(self)

    def _show_state(self, gen: int, state: Any, card_changed: bool = False) -> None:
        if gen != self._state_gen:
            return  # a newer card or change asked again; this answer is stale
        self.state = state
        if state.shift is not None:
            self.shift_indicator.show_badge(state.shift)
        self._update_buttons()
        if card_changed:
            self._say_disabled()
        self.state_changed.emit(state)

    def action_state(self, key: str) -> tuple[bool, str | None]:
        """(enabled, reason) of an F-key now."""
        if key not in self.handlers:
            return False, tr("Будет доступно в следующей версии")
        if self.current is None:
            return False, tr("Откройте лицевой счёт или заявку.")
        actions = getattr(self.state, "actions", None) or {}
        st = actions.get(key)
        if st is None:
            return True, None
        return bool(st.enabled), (None if st.enabled else st.reason)

    def _say_disabled(self) -> None:
        """A card just opened: why its F-keys are off, in the status bar («F6, F7: смена не открыта»)."""
        if self.current is None:
            return
        states = [(key, *self.action_state(key)) for key, _label, _sc in ACTIONS if key in self.handlers]
        text = disabled_summary(states, {key: sc for key, _label, sc in ACTIONS})
        if text:
            self.status(text, 15_000)

    def _update_buttons(self) -> None:
        for key, btn in self.buttons.items():
            enabled, reason = self.action_state(key)
            btn.setEnabled(enabled)
            btn.setToolTip(reason or "")

    def trigger(self, key: str) -> None:
        handler = self.handlers.get(key)
        if handler is None or self.current is None:
            return
        enabled, reason = self.action_state(key)
        if not enabled:
            self.status(reason or tr("Действие сейчас недоступно."))
            return
        handler(self, self.current)

    def action_finished(self) -> None:
        """Every finished action returns the cursor to the search field (the views follow the changes)."""
        self.search.setFocus()
        self.search.selectAll()

