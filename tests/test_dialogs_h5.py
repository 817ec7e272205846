"""Issue 12 §2–3 widgets: the shift indicator, «Справка», field errors and confirmations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.services import cards, office_time, shifts
from cashier_app.services.counter_state import ShiftBadge, counter_state
from cashier_app.ui import messages
from cashier_app.ui.help_dialog import SHORTCUTS, key_text, show_about, show_shortcuts
from cashier_app.ui.shift_indicator import ShiftIndicator, short_name
from cashier_app.ui.widgets import FieldError, MessageLine, show_field_error, show_refusal
from tests.test_ledger import ctx_for

pytestmark = pytest.mark.gui


# --- the shift indicator ---------------------------------------------------------------------------------

def test_indicator_shows_an_open_shift_on_the_office_clock(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 610_000)
    badge = counter_state(ctx, cards.account_card(ctx, "0000001")).shift
    label = ShiftIndicator()
    qtbot.addWidget(label)
    label.show_badge(badge)
    since = office_time.local_clock(badge.opened_at).strftime("%H:%M")
    assert label.objectName() == "shift_indicator" and label.property("open") is True
    assert label.text() == f"Смена {badge.number} открыта с {since}, {short_name(ctx.user.full_name)}, в кассе 6\u00a0100,00\u00a0₽"
    assert short_name("Смирнова Ольга Николаевна") == "Смирнова О. Н." and ctx.user.full_name in label.toolTip()


def test_closed_shift_looks_different_and_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    label = ShiftIndicator()
    qtbot.addWidget(label)
    label.show_badge(ShiftBadge(True, "S-1", datetime(2026, 1, 5, 6, 5, tzinfo=UTC), "Иванова И. И.", 100))
    open_style = label.styleSheet()
    label.show_badge(ShiftBadge(open=False))
    assert label.text() == "Смена закрыта" and label.property("open") is False
    assert label.styleSheet() != open_style and "c62828" in label.styleSheet()
    assert "не открыта" in label.toolTip()


# --- «Справка» ---------------------------------------------------------------------------------------------

def test_shortcuts_table_lists_every_key_once_and_is_not_modal(qtbot) -> None:  # type: ignore[no-untyped-def]
    parent = QWidget()
    qtbot.addWidget(parent)
    dlg = show_shortcuts(parent)
    table = dlg.findChild(QTableWidget, "shortcuts")
    keys = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert keys == [key_text(k) for k, _ in SHORTCUTS] and len(set(keys)) == len(keys)
    for needed in ("F1", "F2", "F6", "F7", "F8", "Ctrl+L", "Ctrl+Q", "Esc", "Enter", "Down"):
        assert needed in [k for k, _ in SHORTCUTS], needed
    assert all(table.item(r, 1).text() for r in range(table.rowCount()))
    assert not dlg.isModal() and dlg.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.close()
    QApplication.sendPostedEvents(None, 52)  # QEvent.DeferredDelete
    assert not shiboken6.isValid(dlg)  # closed: gone, nothing piles up


def test_about_names_version_database_and_desk(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app import __version__

    class Host(QWidget):
        ctx = ctx_for(fresh_db)

    host = Host()
    qtbot.addWidget(host)
    dlg = show_about(host)
    texts = {w.objectName(): w.text() for w in dlg.findChildren(QLabel)}
    assert __version__ in texts["about_version"]
    assert "desk-1" in texts["about_desk"] and texts["about_database"] != "База: —"
    assert texts["about_licence"] and not dlg.isModal()


# --- errors: once, by the field, gone when corrected ---------------------------------------------------------

def _form(qtbot) -> tuple[QDialog, QLineEdit, QComboBox, MessageLine]:  # type: ignore[no-untyped-def]
    dlg = QDialog()
    qtbot.addWidget(dlg)
    amount, kind = QLineEdit(), QComboBox()
    amount.setObjectName("amount")
    kind.setObjectName("kind")
    kind.addItems(["a", "b"])
    form = QFormLayout()
    form.addRow("Сумма", amount)
    form.addRow("Вид", kind)
    line = MessageLine(dlg)
    lay = QVBoxLayout(dlg)
    lay.addLayout(form)
    lay.addWidget(line)
    dlg.show()
    return dlg, amount, kind, line


def test_field_error_sits_under_its_field_once_and_goes_when_edited(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg, amount, kind, _line = _form(qtbot)
    amount.setText("abc")
    show_field_error(amount, "не сумма")
    show_field_error(amount, "не сумма")  # a second refusal replaces, never stacks
    errors = dlg.findChildren(FieldError)
    assert len(errors) == 1 and errors[0].text() == "не сумма" and errors[0].isVisible()
    assert errors[0].geometry().top() >= amount.geometry().bottom()  # under the field
    amount.setText("abc")  # the same value again: still wrong, still said
    assert errors[0].isVisible()
    amount.setText("12")
    assert not errors[0].isVisible() and errors[0].text() == ""
    show_field_error(kind, "выберите")
    kind.setCurrentIndex(1)
    assert not dlg.findChild(FieldError, "kind_error").isVisible()


def test_refusal_goes_under_the_named_field_or_to_the_line(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg, amount, _kind, line = _form(qtbot)
    boxes: list[str] = []
    QTimer.singleShot(0, lambda: [boxes.append(w.text()) for w in QApplication.topLevelWidgets()
                                  if isinstance(w, QMessageBox)])
    show_refusal(ValidationError("Сумма", "больше нуля"), {"Сумма": amount}, line)
    under = dlg.findChild(FieldError, "amount_error")
    assert under.text() == "больше нуля" and not line.isVisible()
    show_refusal(RuleViolation("смена не открыта"), {"Сумма": amount}, line)
    assert line.isVisible() and line.text() == "смена не открыта"
    show_refusal(ValidationError("Другое поле", "нет"), {"Сумма": amount}, line)
    assert line.text() == "Другое поле: нет"  # a field this form lacks: the whole sentence, on the line
    assert boxes == []


def test_confirm_defaults_to_no_and_names_the_step(qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, object] = {}

    def answer(click_yes: bool) -> None:
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        seen["buttons"] = [b.text() for b in box.buttons()]
        seen["default"] = box.defaultButton().text()
        target = next(b for b in box.buttons() if b.text() == ("Закрыть смену" if click_yes else "Отмена"))
        target.click()

    QTimer.singleShot(0, lambda: answer(True))
    assert messages.confirm(None, "Закрыть смену", "Закрыть смену № 1?", "Закрыть смену") is True
    assert "Закрыть смену" in seen["buttons"] and seen["default"] == "Отмена"
    QTimer.singleShot(0, lambda: answer(False))
    assert messages.confirm(None, "Закрыть смену", "Закрыть смену № 1?", "Закрыть смену") is False


def test_close_shift_dialog_asks_with_counted_and_expected_and_says_the_z_number(qtbot, fresh_db,
                                                                               monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.close_shift_dialog import CloseShiftDialog, closed_text

    ctx = ctx_for(fresh_db, "cashier")
    shifts.open_shift(ctx, 100_000)
    summary = shifts.current(ctx)
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, _t, text, _y=None: asked.append(text) or False)
    dlg = CloseShiftDialog(summary)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.counted.setText("abc")
    dlg.submit()
    assert not asked and dlg.findChild(FieldError, "counted_error").isVisible()
    dlg.counted.setText("990")
    dlg.submit()
    assert len(asked) == 1 and "990,00" in asked[0] and "1\u00a0000,00" in asked[0] and "недостача 10,00" in asked[0]
    assert dlg.isVisible() and dlg.counted_minor is None  # «Отмена»: nothing closes
    report = shifts.close_shift(ctx, 99_000)
    text = closed_text(report)
    z = getattr(report, "z_number", None) or report.document.number
    assert f"Z-отчёт № {z}" in text and summary.number in text and "недостача 10,00" in text


def test_every_dialog_deletes_itself_when_closed() -> None:
    """Each dialog module of the counter sets WA_DeleteOnClose (100 closed slips must not stay in memory)."""
    from pathlib import Path

    ui = Path(__file__).resolve().parents[1] / "cashier_app" / "ui"
    missing = [p.name for p in ui.glob("*_dialog.py") if "WA_DeleteOnClose" not in p.read_text(encoding="utf-8")]
    missing += [] if "WA_DeleteOnClose" in (ui / "pdf_preview.py").read_text(encoding="utf-8") else ["pdf_preview.py"]
    assert [m for m in missing if m not in ("sign_in_dialog.py", "audit_dialog.py")] == []
