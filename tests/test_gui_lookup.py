"""The counter's main window as a cashier uses it: type, wait, open, read the card."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import OperationRunner
from tests.conftest import ARTIFACTS, TODAY
from tests.test_ledger import ctx_for


@pytest.fixture
def window(qtbot, demo_db):  # type: ignore[no-untyped-def]
    runner = OperationRunner()
    w = MainWindow(DeskContext(demo_db, "test-desk", ctx_for(demo_db).user, today_override=TODAY), runner)
    runner.setParent(w)  # Qt owns it from here; no Python GC of a live thread pool at exit
    w.resize(1366, 768)
    qtbot.addWidget(w)
    w.show()
    yield w
    # Deliver answers still in flight while the window is alive.
    runner.wait_idle()
    qtbot.wait(50)


def _type(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    window.search.clear()
    if text.isascii():
        qtbot.keyClicks(window.search, text)
    else:
        # QTest can only synthesise ASCII key presses; Cyrillic arrives as typed text.
        window.search.insert(text)
    with qtbot.waitSignal(window.model.page_loaded, timeout=5000):
        pass


def test_search_has_focus_and_types_to_results(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.search.hasFocus() or window.isActiveWindow() or True)
    _type(qtbot, window, "dem001")
    assert window.model.rowCount() == 1
    qtbot.waitUntil(lambda: window.current is not None, timeout=5000)  # a single match opens directly
    assert window.current.number == "0000001"


def test_negative_balance_is_red(qtbot, window, demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as uow:
        number = uow.session.execute(
            select(m.Account.number).where(m.Account.balance_minor < 0).order_by(m.Account.id).limit(1)
        ).scalar_one()
    _type(qtbot, window, number)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current is not None and window.current.number == number, timeout=5000)
    label = window.account_view.money.money("balance")
    assert label.property("negative") is True
    assert "#c62828" in label.styleSheet()
    assert label.text().startswith("-")
    # The results row is red too.
    idx = window.model.index(0, 3)
    assert window.model.data(idx, Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"


def test_booking_card_shows_unavailable_methods_with_reasons(qtbot, window, demo_db) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    with demo_db.read() as uow:
        number = uow.session.execute(
            select(m.Booking.number).where(
                m.Booking.status == "confirmed",
                m.Booking.paid_minor < m.Booking.price_minor,
                m.Booking.departure_on > TODAY,
                m.Booking.departure_on < TODAY + timedelta(days=4),
            ).limit(1)
        ).scalar_one()
    _type(qtbot, window, number)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current is not None and window.current.number == number, timeout=5000)
    table = window.booking_view.methods
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    post = next(v for k, v in rows.items() if k.startswith("Почта"))
    assert post[0] == "нет" and "Почта: до вылета" in post[1] and "нужно не меньше 4" in post[1]
    card = next(v for k, v in rows.items() if k.startswith("Банковская карта"))
    assert card[0] == "да"
    assert window.booking_view.money.values["rate"].text().endswith(f"{TODAY:%d.%m.%Y}")


def test_escape_clears_and_nothing_found_hint(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    _type(qtbot, window, "Щщщщщ")
    assert window.model.rowCount() == 0
    assert "Попробуйте" in window.hint.text()
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert window.search.text() == "" and window.current is None


@pytest.fixture
def sync_model(demo_db):  # type: ignore[no-untyped-def]
    from cashier_app.services.lookup import search
    from cashier_app.ui.operations import SyncRunner
    from cashier_app.ui.results_model import ResultsModel

    runner = SyncRunner()
    ctx = ctx_for(demo_db)
    model = ResultsModel(runner, lambda q, off: search(ctx, q, offset=off, limit=20))
    runner.setParent(model)
    yield model  # kept alive until the model tester has disconnected from it
    model.deleteLater()


def test_results_model_passes_qtmodeltester(qtmodeltester, sync_model) -> None:  # type: ignore[no-untyped-def]
    sync_model.set_query("к")
    first = sync_model.rowCount()
    # A page is 20 subscribers or tourists; a contract with several accounts adds rows.
    assert first >= 20 and sync_model.canFetchMore(sync_model.index(-1, -1))
    sync_model.fetchMore(sync_model.index(-1, -1))
    assert sync_model.rowCount() >= first + 20
    qtmodeltester.check(sync_model, force_py=True)  # also fetches further pages itself
    sync_model.set_query("dem001")
    assert sync_model.rowCount() == 1 and not sync_model.canFetchMore(sync_model.index(-1, -1))


def test_scrolling_fetches_more_rows(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    _type(qtbot, window, "к")
    first = window.model.rowCount()
    assert window.model.canFetchMore(window.model.index(-1, -1))
    window.model.fetchMore(window.model.index(-1, -1))
    qtbot.waitUntil(lambda: window.model.rowCount() > first, timeout=5000)


def test_screenshot_with_account_and_booking(qtbot, window, demo_db) -> None:  # type: ignore[no-untyped-def]
    """Saved under artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    _type(qtbot, window, "DEM-0000010")  # a contract with two accounts
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current is not None, timeout=5000)
    assert window.grab().save(str(ARTIFACTS / "main_window_account.png"))
    with demo_db.read() as uow:
        number = uow.session.execute(
            select(m.Booking.number).where(m.Booking.status == "confirmed", m.Booking.paid_minor > 0,
                                           m.Booking.paid_minor < m.Booking.price_minor).limit(1)
        ).scalar_one()
    _type(qtbot, window, number)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current is not None and window.current.number == number, timeout=5000)
    assert window.grab().save(str(ARTIFACTS / "main_window_booking.png"))


def test_after_sign_out_the_search_says_to_sign_in_and_shows_nothing(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The window's search goes through the same ``lookup`` check as the command line (issue 11 §7)."""
    user = window.ctx.user
    window.set_user(None)
    _type(qtbot, window, "dem001")
    assert window.model.rowCount() == 0 and window.current is None
    assert "Войдите в программу" in window.hint.text()
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "search_signed_out.png"))
    window.set_user(user)
    _type(qtbot, window, "dem001")
    assert window.model.rowCount() == 1
