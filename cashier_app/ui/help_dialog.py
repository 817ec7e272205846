"""«Справка»: the keyboard shortcuts and «О программе» (issue 12 §3), both non-modal.

Every shortcut is listed once, in :data:`SHORTCUTS`; the table is made from it, so adding a
key here is the whole change (the main window may read the same list for its tooltips).
"""

from __future__ import annotations

from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.i18n import N_, tr

# (key as QKeySequence understands it, what it does) — in the order a cashier meets them.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("F1", N_("Сочетания клавиш (это окно)")),
    ("F2", N_("Документы: квитанция, счёт, бланк для банка")),
    ("F6", N_("Оплата наличными")),
    ("F7", N_("Оплата картой")),
    ("F8", N_("Списание бонусов (заявка)")),
    ("Ctrl+L", N_("Скрыть данные покупателя и сменить пользователя")),
    ("Ctrl+Q", N_("Выход из программы")),
    ("Esc", N_("Очистить поиск; в окне — закрыть его")),
    ("Enter", N_("Открыть первый найденный; в окне — главная кнопка (принять оплату)")),
    ("Down", N_("Из строки поиска — к списку найденного")),
    ("Tab", N_("Следующее поле")),
)

LICENCE = N_("Проприетарная программа; все права принадлежат владельцу. Использование — по договору с ним.")


def key_text(key: str) -> str:
    """The key as this platform and language write it («Ctrl+L», «Down» → «Down» / «Стрелка вниз» …)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) or key


def _dialog(parent: QWidget | None, title: str, name: str) -> QDialog:
    dlg = QDialog(parent)
    dlg.setObjectName(name)
    dlg.setWindowTitle(title)
    dlg.setModal(False)  # reading it must not stop the counter
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dlg


def _close_row(dlg: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Закрыть"))
    buttons.rejected.connect(dlg.close)
    return buttons


def show_shortcuts(parent: QWidget | None) -> QDialog:
    """A table of every shortcut; returned for tests (it deletes itself when closed)."""
    dlg = _dialog(parent, tr("Сочетания клавиш"), "shortcuts_dialog")
    table = QTableWidget(len(SHORTCUTS), 2, dlg)
    table.setObjectName("shortcuts")
    table.setHorizontalHeaderLabels([tr("Клавиши"), tr("Действие")])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    for row, (key, what) in enumerate(SHORTCUTS):
        table.setItem(row, 0, QTableWidgetItem(key_text(key)))
        table.setItem(row, 1, QTableWidgetItem(tr(what)))
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    table.resizeRowsToContents()
    lay = QVBoxLayout(dlg)
    lay.addWidget(table)
    lay.addWidget(_close_row(dlg))
    dlg.resize(620, min(640, 90 + table.verticalHeader().length()))
    dlg.show()
    return dlg


def app_version() -> str:
    """The package's version: ``cashier_app.__version__``, else the installed metadata."""
    try:
        from cashier_app import __version__

        return str(__version__)
    except ImportError:  # pragma: no cover - a stripped build
        try:
            return metadata.version("cashier-app")
        except metadata.PackageNotFoundError:
            return "—"


def _where(parent: QWidget | None) -> tuple[str, str]:
    """(database, desk) of the window asking, when it has a DeskContext."""
    ctx = getattr(parent, "ctx", None)
    if ctx is None:
        return "—", "—"
    from cashier_app.storage.db import describe

    try:
        db = describe(ctx.db.engine)
    except Exception:  # «about» must open whatever the engine is
        db = "—"
    return db, str(getattr(ctx, "desk", "—"))


def show_about(parent: QWidget | None) -> QDialog:
    """«О программе»: name, version, database, desk, licence."""
    dlg = _dialog(parent, tr("О программе"), "about_dialog")
    db, desk = _where(parent)
    rows = (
        ("about_name", f"<b>{tr('Касса')}</b> (cashier-app)"),
        ("about_version", tr("Версия {v}", v=app_version())),
        ("about_database", tr("База: {db}", db=db)),
        ("about_desk", tr("Касса: {desk}", desk=desk)),
        ("about_licence", tr(LICENCE)),
    )
    lay = QVBoxLayout(dlg)
    for name, text in rows:
        label = QLabel(text)
        label.setObjectName(name)
        label.setWordWrap(True)  # a long database path wraps instead of widening the window
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(label)
    lay.addWidget(_close_row(dlg))
    dlg.setMinimumWidth(420)
    dlg.show()
    return dlg
