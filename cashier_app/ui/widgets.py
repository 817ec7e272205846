"""Small shared widgets: a label/value form, money labels that turn red below zero, and errors.

Errors (issue 12 §2): a refusal that names a field is shown once, under that field
(:func:`show_field_error`), and goes away as soon as the field is edited; a refusal tied to no
field goes once to the dialog's own :class:`MessageLine`.  No modal box repeats either.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from PySide6.QtCore import QAbstractItemModel, QObject
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QBoxLayout,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QTextEdit,
    QWidget,
)

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import format_money
from cashier_app.i18n import tr

_F = TypeVar("_F", bound=Callable[..., Any])

NEGATIVE_STYLE = "color: #c62828; font-weight: bold;"
ERROR_COLOR = "#c62828"
BAD_STYLE = "border: 1px solid #c62828; background: #fff3f3;"  # a refused field's frame, until it is edited
SUCCESS_COLOR = "#2e7d32"


class MoneyLabel(QLabel):
    """Shows an amount; a negative one is red and flagged with the ``negative`` property."""

    def set_amount(self, minor: int | None, currency: str = "RUB") -> None:
        if minor is None:
            self.setText("—")
            self.setProperty("negative", False)
            self.setStyleSheet("")
            return
        self.setText(format_money(minor, currency))
        negative = minor < 0
        self.setProperty("negative", negative)
        self.setStyleSheet(NEGATIVE_STYLE if negative else "")


class Form(QWidget):
    """Rows of «label: value» built once; values are set by key."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None, money: tuple[str, ...] = ()):
        super().__init__(parent)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(3)
        self.values: dict[str, QLabel] = {}
        for key, label in rows:
            value: QLabel = MoneyLabel() if key in money else QLabel()
            value.setTextInteractionFlags(value.textInteractionFlags() | value.textInteractionFlags().TextSelectableByMouse)
            value.setWordWrap(True)
            value.setObjectName(key)
            layout.addRow(f"{label}:", value)
            self.values[key] = value

    def set(self, key: str, text: str | None) -> None:
        self.values[key].setText(text if text not in (None, "") else "—")

    def money(self, key: str) -> MoneyLabel:
        label = self.values[key]
        assert isinstance(label, MoneyLabel)
        return label


def journal_table(model: QAbstractItemModel, name: str, widths: Sequence[int]) -> QTableView:
    """A read-only, row-selecting view over a paged journal model, as every journal dialog shows it."""
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    for col, width in enumerate(widths):
        table.setColumnWidth(col, width)
    # After each new query the columns grow to what the first page shows (times, statuses were cut
    # to «04.12.2026 …» in fixed widths); a very long free text stops at MAX_COLUMN_PX.  Only once
    # a query: later pages and the user's own resizing are left alone.
    state = {"fit": True}

    def reset() -> None:
        state["fit"] = True

    def fit(*_args: object) -> None:
        if not state["fit"] or table.model().rowCount() == 0:
            return
        state["fit"] = False
        header = table.horizontalHeader()
        last = table.model().columnCount() - 1
        for col in range(last):  # the last one stretches
            want = max(table.sizeHintForColumn(col), header.sectionSizeHint(col))
            base = widths[col] if col < len(widths) else 0
            table.setColumnWidth(col, min(max(base, want), MAX_COLUMN_PX))

    def grow_rows(_parent: object, first: int, last: int) -> None:
        # A wrapped detail («поле: было → стало; …») gets the lines it needs, not one row's height.
        for row in range(first, last + 1):
            table.resizeRowToContents(row)

    model.modelReset.connect(reset)
    model.modelReset.connect(fit)
    model.rowsInserted.connect(fit)
    model.modelReset.connect(table.resizeRowsToContents)
    model.rowsInserted.connect(grow_rows)
    return table


MAX_COLUMN_PX = 360


def while_open(method: _F) -> _F:
    """A dialog's callback for a result that may arrive after it was closed (and deleted): then it is dropped."""
    import shiboken6

    @functools.wraps(method)
    def wrapper(self: QObject, *args: Any, **kwargs: Any) -> Any:
        if not shiboken6.isValid(self):
            return None
        return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """``resize(width, height)``, but never larger than the screen's free area (1024×700 and up)."""
    from PySide6.QtGui import QGuiApplication

    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(width, height)
        return
    free = screen.availableGeometry()
    # The frame and a taskbar take some: leave a margin so the title bar stays on screen.
    window.resize(min(width, max(free.width() - 32, 320)), min(height, max(free.height() - 56, 240)))


# --- errors -------------------------------------------------------------------------------------------

class FieldError(QLabel):
    """The error under one field: shown once, gone as soon as the field is edited.

    Made by :func:`show_field_error` (which puts it under the field in a form, box or grid layout)
    or placed by a dialog itself with ``FieldError(field)``; either way there is one per field.
    """

    def __init__(self, field: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.setObjectName(f"{field.objectName() or 'field'}_error")
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {ERROR_COLOR};")
        self.setVisible(False)
        self._shown_for: object = None
        self._style_before = ""
        field.setProperty("_field_error", self)
        _on_edit(field, self._edited)

    def _edited(self, *_args: object) -> None:
        # Only a change of the value clears it: a live check that re-shows the error for the value
        # just typed (a quote refused while typing) must not be wiped by the same keystroke.
        if _value(self.field) != self._shown_for:
            self.clear_error()

    def show_error(self, text: str) -> None:
        self._shown_for = _value(self.field)
        if text and self.field.styleSheet() != BAD_STYLE:
            self._style_before = self.field.styleSheet()
            self.field.setStyleSheet(BAD_STYLE)
        self.setText(text)
        self.setVisible(bool(text))
        self.field.setProperty("invalid", bool(text))
        self.field.setAccessibleDescription(text)

    def clear_error(self) -> None:
        if not self.text():
            return
        self.setText("")
        self.setVisible(False)
        if self.field.styleSheet() == BAD_STYLE:
            self.field.setStyleSheet(self._style_before)
        self.field.setProperty("invalid", False)
        self.field.setAccessibleDescription("")


def _value(field: QWidget) -> object:
    """What the user has entered in ``field``, to tell a correction from a repeat."""
    if isinstance(field, QLineEdit):
        return field.text()
    if isinstance(field, QComboBox):
        return (field.currentIndex(), field.currentText())
    if isinstance(field, QDateEdit):
        return field.date()
    if isinstance(field, QAbstractSpinBox):
        return field.text()
    if isinstance(field, QPlainTextEdit | QTextEdit):
        return field.toPlainText()
    if isinstance(field, QAbstractButton):
        return field.isChecked()
    return None


def _on_edit(field: QWidget, slot: object) -> None:
    """Connect ``slot`` to the field's «the user changed it» signal."""
    if isinstance(field, QLineEdit):
        field.textChanged.connect(slot)  # typed or filled in by the dialog: either corrects it
    elif isinstance(field, QComboBox):
        field.currentIndexChanged.connect(slot)
        if field.isEditable():
            field.editTextChanged.connect(slot)
    elif isinstance(field, QDateEdit):
        field.dateChanged.connect(slot)
    elif isinstance(field, QAbstractSpinBox) and hasattr(field, "valueChanged"):
        field.valueChanged.connect(slot)  # type: ignore[attr-defined]
    elif isinstance(field, QPlainTextEdit | QTextEdit):
        field.textChanged.connect(slot)
    elif isinstance(field, QAbstractButton):
        field.toggled.connect(slot)


def _containing_layout(layout: QLayout, field: QWidget) -> QLayout | None:
    if layout.indexOf(field) >= 0:
        return layout
    for i in range(layout.count()):
        child = layout.itemAt(i).layout()
        if child is not None:
            found = _containing_layout(child, field)
            if found is not None:
                return found
    return None


def _place(field: QWidget, error: FieldError) -> None:
    """Put ``error`` right under ``field`` in whatever layout holds it."""
    top = field.parentWidget().layout() if field.parentWidget() is not None else None
    layout = _containing_layout(top, field) if top is not None else None
    if isinstance(layout, QFormLayout):
        row, _role = layout.getWidgetPosition(field)
        layout.insertRow(row + 1, "", error)
    elif isinstance(layout, QBoxLayout):
        layout.insertWidget(layout.indexOf(field) + 1, error)
    elif isinstance(layout, QGridLayout):
        r, c, rs, cs = layout.getItemPosition(layout.indexOf(field))
        below = r + rs
        if layout.itemAtPosition(below, c) is not None:  # the row under it is taken: the grid grows at the end
            below = layout.rowCount()
        layout.addWidget(error, below, c, 1, max(cs, 1))
    else:  # no layout (a test's bare widget): float under it
        error.setParent(field.parentWidget())
        error.move(field.x(), field.y() + field.height())


def field_error(field: QWidget) -> FieldError:
    """The field's error label, made and placed under it on first use."""
    existing = field.property("_field_error")
    if isinstance(existing, FieldError):
        return existing
    error = FieldError(field)
    _place(field, error)
    return error


def show_field_error(field: QWidget, text: str) -> FieldError:
    """Show ``text`` under ``field`` (once: a second call replaces it) and focus the field."""
    error = field_error(field)
    error.show_error(text)
    field.setFocus()
    return error


def clear_field_errors(root: QObject) -> None:
    """Hide every field error under ``root`` (a new submit starts clean)."""
    for error in root.findChildren(FieldError):
        error.clear_error()


def mark_problems(problems: Sequence[Any], widget_for: Callable[[str], QWidget | None], line: QLabel) -> None:
    """Several refusals at once (a settings form): each under its field; the rest, one per line, on ``line``.

    A problem has ``field`` and ``message`` (``ValidationError``, ``PayeeProblem``…); the first field
    refused gets the focus.
    """
    rest: list[str] = []
    first: QWidget | None = None
    for p in problems:
        field = getattr(p, "field", None)
        widget = widget_for(field) if field else None
        if widget is None:
            rest.append(str(p))
            continue
        field_error(widget).show_error(getattr(p, "message", str(p)))
        first = first or widget
    if first is not None:
        first.setFocus()
    line.setText("\n".join(f"• {r}" for r in rest) if len(rest) > 1 else "".join(rest))
    line.setVisible(bool(rest))


class MessageLine(QLabel):
    """The dialog's own line for what belongs to no field: a refusal (red) or a success (green)."""

    def __init__(self, parent: QWidget | None = None, name: str = "error") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setVisible(False)

    def show_error(self, text: str) -> None:
        self.setStyleSheet(f"color: {ERROR_COLOR}; font-weight: bold;")
        self.setProperty("kind", "error")
        self.setText(text)
        self.setVisible(bool(text))

    def show_success(self, text: str) -> None:
        self.setStyleSheet(f"color: {SUCCESS_COLOR}; font-weight: bold;")
        self.setProperty("kind", "success")
        self.setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        super().clear()
        self.setVisible(False)


def show_refusal(exc: BaseException | str, fields: Mapping[str, QWidget], line: MessageLine) -> None:
    """One refusal, shown once: under its field when it names one of ``fields``, else on ``line``.

    ``fields`` maps the field names the services use (``ValidationError.field``, Russian source)
    to the widgets; a name is also matched in the current language, since the services translate.
    """
    from cashier_app.ui.messages import error_text

    if isinstance(exc, ValidationError):
        for name, widget in fields.items():
            if exc.field in (name, tr(name)):
                line.clear()
                show_field_error(widget, exc.message)
                return
    line.show_error(error_text(exc))
