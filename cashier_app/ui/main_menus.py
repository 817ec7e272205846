"""The main window's own menus: «Файл» (hide the customer, quit), «Вид → Язык», «Справка».

Apart from ``main_window`` so that it stays one readable class; the capabilities add their own
entries through ``WindowHost.add_menu_action``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from cashier_app.i18n import N_, language, tr
from cashier_app.ui import messages


def add_own_menus(win: Any) -> None:
    hide = QAction(tr("&Скрыть данные клиента"), win)
    hide.setObjectName("hide_customer")
    hide.setShortcut(QKeySequence("Ctrl+L"))
    hide.setToolTip(tr("Очистить поиск, список и карточку (без выхода из программы)"))
    hide.triggered.connect(lambda _=False: win.clear())
    win.menus["file"].addAction(hide)
    win._quit_separator = win.menus["file"].addSeparator()
    win.quit_action = QAction(tr("В&ыход"), win)
    win.quit_action.setObjectName("quit")
    win.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
    win.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    win.quit_action.triggered.connect(lambda _=False: win.close())
    win.menus["file"].addAction(win.quit_action)
    add_view_menu(win)
    for name, text, key, slot in (("help_keys", N_("&Клавиши…"), "F1", win.show_shortcuts),
                                  ("help_about", N_("&О программе"), None, win.show_about)):
        act = QAction(tr(text), win)
        act.setObjectName(name)
        if key:
            act.setShortcut(QKeySequence(key))
        act.triggered.connect(lambda _=False, f=slot: f())
        win.menus["help"].addAction(act)
    for name in ("shift", "journal", "service"):
        win.menus[name].menuAction().setVisible(False)


def add_view_menu(win: Any) -> None:
    """«Вид → Язык»: the choice is saved for the desk and applies after a restart."""
    win.view_menu = win.menus["view"]
    menu = win.view_menu.addMenu(tr("&Язык"))
    group = QActionGroup(win)
    group.setExclusive(True)
    win.language_actions = {}
    # Each language is named in itself, so it can be found whatever the current one.
    for code, name in (("ru", "&Русский"), ("en", "&English")):  # i18n: data
        act = menu.addAction(name)
        act.setObjectName(f"language_{code}")
        act.setCheckable(True)
        act.setChecked(code == language())
        group.addAction(act)
        act.triggered.connect(lambda _checked=False, c=code: win.choose_language(c))
        win.language_actions[code] = act


def choose_language(win: Any, code: str) -> None:
    from cashier_app.settings import DeskSettings

    try:
        DeskSettings().set("language", code)
    except OSError as exc:
        messages.show_error(win, tr("Не удалось сохранить настройку: {err}", err=exc))
        return
    if code != language():
        messages.show_info(win, tr("Язык интерфейса сменится после перезапуска программы."))
