"""The main window: one search field, the results, the card of the chosen record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cashier_app.i18n import N_, language, tr
from cashier_app.services import cards, lookup
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.lookup import SearchHit, SearchResult
from cashier_app.services.permissions import ROLE_LABELS
from cashier_app.storage.db import describe
from cashier_app.ui import messages
from cashier_app.ui.account_view import AccountView
from cashier_app.ui.booking_view import BookingView
from cashier_app.ui.results_model import ResultsModel

DEBOUNCE_MS = 250
# A keyboard-wedge scanner types a whole code in a few milliseconds a key; an Enter
# inside a ГОСТ code followed by this much silence was the code's end after all.
SCAN_IDLE_MS = 300

# key, label, shortcut; a later capability registers a handler to enable its button.
ACTIONS = (
    ("documents", N_("Документы"), "F2"),
    ("cash", N_("Наличные"), "F6"),
    ("card", N_("Оплата картой"), "F7"),
    ("bonuses", N_("Бонусы"), "F8"),
)

Card = cards.AccountCard | cards.BookingCard
ActionHandler = Callable[["MainWindow", Card], None]


class MainWindow(QMainWindow):
    card_shown = Signal(object)
    first_query_done = Signal()
    user_changed = Signal(object)

    def __init__(self, ctx: DeskContext, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.current: Card | None = None
        self.handlers: dict[str, ActionHandler] = {}
        self._first_query_reported = False
        self.setWindowTitle(tr("Касса") + " — cashier-app")
        self.resize(1280, 720)
        self.setMinimumSize(1024, 640)

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(tr("Поиск: счёт, логин, договор, телефон, ФИО, адрес, заявка, «заявка паспорт», QR"))
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(lookup.MAX_QUERY_CHARS)  # the service refuses longer queries
        self.search.setStyleSheet("font-size: 13pt; padding: 4px;")
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)

        self.model = ResultsModel(runner, lambda q, off: lookup.search(ctx, q, offset=off), self)
        self.table = QTableView()
        self.table.setObjectName("results")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)

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
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([520, 760])
        self.setCentralWidget(splitter)
        self.setTabOrder(self.search, self.table)

        self.db_label = QLabel(tr("База: {db}", db=describe(ctx.db.engine)))
        self.desk_label = QLabel(tr("Касса: {desk}", desk=ctx.desk))
        self.user_label = QLabel("")
        self.busy_label = QLabel("")
        for w in (self.busy_label, self.user_label, self.desk_label, self.db_label):
            self.statusBar().addPermanentWidget(w)

        # Capabilities add their entries to these menus (cash desk: «Сменить пользователя», «Пользователи»).
        self.file_menu = self.menuBar().addMenu(tr("Файл"))
        self.service_menu = self.menuBar().addMenu(tr("Сервис"))
        self._add_view_menu()
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

    # --- interface language -------------------------------------------------------
    def _add_view_menu(self) -> None:
        """«Вид → Язык»: the choice is saved for the desk and applies after a restart."""
        self.view_menu = self.menuBar().addMenu(tr("Вид", context="menu"))
        menu = self.view_menu.addMenu(tr("Язык"))
        group = QActionGroup(self)
        group.setExclusive(True)
        self.language_actions: dict[str, QAction] = {}
        # Each language is named in itself, so it can be found whatever the current one.
        for code, name in (("ru", "Русский"), ("en", "English")):
            act = menu.addAction(name)
            act.setObjectName(f"language_{code}")
            act.setCheckable(True)
            act.setChecked(code == language())
            group.addAction(act)
            act.triggered.connect(lambda _checked=False, c=code: self.choose_language(c))
            self.language_actions[code] = act

    def choose_language(self, code: str) -> None:
        from cashier_app.settings import DeskSettings

        try:
            DeskSettings().set("language", code)
        except OSError as exc:
            messages.show_error(self, tr("Не удалось сохранить настройку: {err}", err=exc))
            return
        if code != language():
            messages.show_info(self, tr("Язык интерфейса сменится после перезапуска программы."))

    # --- signed-in user -------------------------------------------------------------
    def set_user(self, user: UserInfo | None) -> None:
        """Replace the acting user (sign-in, switch user, sign-out) and show who it is."""
        self.ctx.user = user
        if user is None:
            self.user_label.setText(tr("Вход не выполнен"))
        else:
            role = tr(ROLE_LABELS.get(user.role, user.role))
            self.user_label.setText(tr("Пользователь: {name} ({role})", name=user.full_name, role=role))
        self.user_changed.emit(user)

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

    def _run_query(self) -> None:
        if self._scan_idle.isActive():
            return  # inside a scanned code: the idle gap or the final Enter searches
        self.model.set_query(self.search.text())
        if not self.search.text().strip():
            self.hint.setText("")

    def _on_page(self, result: SearchResult) -> None:
        n = self.model.rowCount()
        if result.message and not result.hits:
            self.hint.setText(result.message)
        elif result.message:
            self.hint.setText(result.message)
        else:
            self.hint.setText(tr("Найдено: {n}+", n=n) if result.has_more else tr("Найдено: {n}", n=n))
        self.table.resizeColumnsToContents()
        if result.open_directly is not None:
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
        self.model.set_query(self.search.text())
        self.model.page_loaded.connect(self._open_first_once)

    def _open_first_once(self, result: SearchResult) -> None:
        self.model.page_loaded.disconnect(self._open_first_once)
        if result.hits and result.open_directly is None:
            self.open_hit(result.hits[0])

    def clear(self) -> None:
        self.search.clear()
        self.model.set_query("")
        self.hint.setText("")
        self.show_card(None)
        self.search.setFocus()

    # --- cards ---------------------------------------------------------------------
    def open_hit(self, hit: SearchHit | None) -> None:
        if hit is None:
            return
        ctx = self.ctx
        if hit.kind == "account":
            self.runner.run_db(lambda: cards.account_card(ctx, hit.number), self.show_card,
                               lambda e: messages.show_error(self, e))
        else:
            self.runner.run_db(lambda: cards.booking_card(ctx, hit.number, ctx.today()), self.show_card,
                               lambda e: messages.show_error(self, e))

    def refresh_card(self) -> None:
        card = self.current
        if isinstance(card, cards.AccountCard):
            self.open_hit(SearchHit("account", card.number, "", "", 0, "RUB", ""))
        elif isinstance(card, cards.BookingCard):
            self.open_hit(SearchHit("booking", card.number, "", "", 0, card.currency, ""))

    def show_card(self, card: Card | None) -> None:
        self.current = card
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

    # --- actions -------------------------------------------------------------------
    def register_action(self, key: str, handler: ActionHandler) -> None:
        self.handlers[key] = handler
        self.buttons[key].setToolTip("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        for key, btn in self.buttons.items():
            btn.setEnabled(self.current is not None and key in self.handlers)

    def trigger(self, key: str) -> None:
        handler = self.handlers.get(key)
        if handler is None or self.current is None:
            return
        handler(self, self.current)

    def action_finished(self) -> None:
        """Every finished action returns the cursor to the search field."""
        self.refresh_card()
        self.search.setFocus()
        self.search.selectAll()
