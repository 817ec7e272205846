"""Issue 11 §9: a keyboard-wedge scanner that types a line break as Enter.

The search must not start halfway through a ГОСТ Р 56042 code: an Enter inside
a code is part of it until the code is structurally complete or the scanner
falls silent.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from cashier_app.services import lookup
from cashier_app.storage import models as m
from tests.conftest import ARTIFACTS
from tests.test_gui_lookup import window  # noqa: F401  (the main-window fixture)


def _account(db) -> str:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Account.number).order_by(m.Account.id.desc()).limit(1)).scalar_one()


def _record_queries(win) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    original = win.model.set_query

    def recording(text: str) -> None:
        seen.append(text)
        original(text)

    win.model.set_query = recording
    return seen


def _scan(qtbot, win, lines: list[str], *, final_enter: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Type ``lines`` as a wedge does: each line break is an Enter key press."""
    for i, line in enumerate(lines):
        qtbot.keyClicks(win.search, line)
        if i < len(lines) - 1 or final_enter:
            qtbot.keyClick(win.search, Qt.Key.Key_Return)


def test_enter_inside_a_code_does_not_start_the_search(qtbot, window, demo_db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    number = _account(demo_db)
    seen = _record_queries(window)
    window.search.clear()
    _scan(qtbot, window, [
        "ST00012|Name=OOO Sever|PersonalAcc=40702810631000007404",
        "      |BankName=PAO Sberbank|BIC=044525225|CorrespAcc=30101810400000000225|",
        f"PersAcc={number}|Sum=125050",
    ])
    qtbot.waitUntil(lambda: window.current is not None and window.current.number == number, timeout=5000)
    assert seen, "the search never ran"
    # Every search the window started saw the whole code, never a half of it.
    assert all(lookup.scanned_code_complete(q) and f"PersAcc={number}" in q for q in seen), seen
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "scanner_wedge_code.png"))


def test_enter_after_an_incomplete_code_searches_after_the_scanner_falls_silent(  # type: ignore[no-untyped-def]
        qtbot, window) -> None:  # noqa: F811
    seen = _record_queries(window)
    window.search.clear()
    partial = "ST00012|Name=OOO Sever|PersonalAcc=40702810631000007404"
    _scan(qtbot, window, [partial])
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[-1].strip() == partial
    qtbot.waitUntil(lambda: bool(window.hint.text()), timeout=5000)
    assert "Код прочитан" in window.hint.text()


def test_enter_on_ordinary_text_is_enter(qtbot, window) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    seen = _record_queries(window)
    window.search.clear()
    _scan(qtbot, window, ["dem001"])
    qtbot.waitUntil(lambda: window.current is not None, timeout=5000)
    assert seen and seen[-1] == "dem001"
