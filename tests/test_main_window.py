"""The main window of issue 12: always current after a change, state-aware F-keys, menus, remembered layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu

from cashier_app.services import cards, cash, shifts
from cashier_app.services.counter_state import ActionState, CounterState, ShiftBadge
from cashier_app.ui import messages
from cashier_app.ui.changes import ChangeSet
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import OperationRunner, SyncRunner
from tests.conftest import TODAY
from tests.test_ledger import balance, ctx_for

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, fresh_db):  # type: ignore[no-untyped-def]
    runner = OperationRunner()
    ctx = ctx_for(fresh_db)
    ctx.today_override = TODAY
    w = MainWindow(ctx, runner)
    runner.setParent(w)
    qtbot.addWidget(w)
    w.show()
    yield w
    runner.wait_idle(10_000)
    qtbot.wait(20)


def _search(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.model.page_loaded, timeout=5000):
        window.search.setText(text)


def test_the_results_row_and_the_card_show_the_balance_after_a_cash_payment(qtbot, window, fresh_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db)
    shifts.open_shift(ctx, 0)
    _search(qtbot, window, "Иванов")  # several accounts: no card opens by itself
    assert window.model.rowCount() > 1
    row = 1
    hit = window.model.hit(row)
    window.table.selectRow(row)
    window.open_hit(hit)
    qtbot.waitUntil(lambda: window.current is not None and window.current.number == hit.number, timeout=5000)
    before = balance(fresh_db, hit.number)
    assert window.model.hit(row).amount_minor == before

    cash.take_cash(ctx, token=cash.new_token(), amount_minor=12_345, account=hit.number)  # the service, as F6 does
    window.announce(ChangeSet.payment(account=hit.number))  # what the F6 capability says after it

    qtbot.waitUntil(lambda: window.current.balance_minor == before + 12_345, timeout=5000)
    qtbot.waitUntil(lambda: any(h.number == hit.number and h.amount_minor == before + 12_345
                                for h in window.model.rows), timeout=5000)
    selected = window.model.hit(window.table.currentIndex().row())
    assert selected is not None and selected.number == hit.number  # the selection stayed on the row


def test_a_change_elsewhere_leaves_the_results_alone(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    _search(qtbot, window, "Иванов")
    loads: list = []
    window.model.page_loaded.connect(loads.append)
    window.announce(ChangeSet.payment(account="no-such-account"))
    qtbot.wait(100)
    assert loads == []


def test_ctrl_l_hides_the_customer_at_once_without_signing_out(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    _search(qtbot, window, "dem001")
    qtbot.waitUntil(lambda: window.current is not None, timeout=5000)
    act = window.action("hide_customer")
    assert act.shortcut().toString() == "Ctrl+L"
    act.trigger()
    assert window.search.text() == "" and window.model.rowCount() == 0 and window.current is None
    assert window.detail.currentWidget() is window.empty and window.ctx.user is not None


def test_f_keys_follow_the_counter_state_and_say_why_not(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    opened: list = []
    window = MainWindow(ctx_for(fresh_db), SyncRunner())
    qtbot.addWidget(window)
    window.register_action("cash", lambda host, card: opened.append(card))
    with fresh_db.read() as uow:
        from sqlalchemy import select

        from cashier_app.storage import models as m

        number = uow.session.execute(select(m.Account.number).limit(1)).scalar_one()
    window.show_card(cards.account_card(ctx_for(fresh_db), number))
    reason = "Смена не открыта: откройте смену (Смена → Открыть)."
    state = CounterState(ShiftBadge(open=False), {"cash": ActionState(False, reason)})
    window._state_gen += 1
    window._show_state(window._state_gen, state)
    assert not window.buttons["cash"].isEnabled() and window.buttons["cash"].toolTip() == reason
    window.trigger("cash")  # F6 on a disabled key: the reason in the status bar, nothing opens
    assert opened == [] and window.statusBar().currentMessage() == reason
    window._state_gen += 1
    window._show_state(window._state_gen, CounterState(ShiftBadge(open=True, number="7"),
                                                       {"cash": ActionState(True)}))
    assert window.buttons["cash"].isEnabled() and window.buttons["cash"].toolTip() == ""
    window.trigger("cash")
    assert len(opened) == 1
    assert window.shift_indicator.objectName() == "shift_indicator" and window.shift_indicator.text()


def test_switching_user_with_an_open_shift_asks_first(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui import cash_actions

    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, _title, text, _yes=None: asked.append(text) or False)
    ctx = ctx_for(fresh_db)
    shifts.open_shift(ctx, 0)
    window = MainWindow(ctx, SyncRunner())
    qtbot.addWidget(window)
    cash_actions.install(window)
    window.refresh_state()
    assert window.state.shift is not None and window.state.shift.open
    window.action("switch_user").trigger()
    assert asked and "не закрыта" in asked[0]
    assert window.ctx.user is not None and window.ctx.user.login == ctx.user.login  # «no»: nobody signed out


def test_menus_have_mnemonics_quit_and_help_and_the_title_is_said_once(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(ctx_for(fresh_db), SyncRunner())
    qtbot.addWidget(window)
    window.show()
    titles = [a.text() for a in window.menuBar().actions() if a.isVisible()]
    assert titles and all("&" in t for t in titles)
    assert [t.replace("&", "") for t in titles] == ["Файл", "Вид", "Справка"]  # empty menus stay hidden
    assert window.action("quit").shortcut().toString() == "Ctrl+Q"
    assert window.action("help_keys").shortcut().toString() == "F1"
    help_menu = window.findChild(QMenu, "menu_help")
    assert [a.objectName() for a in help_menu.actions()] == ["help_keys", "help_about"]
    assert window.windowTitle() == "Касса"
    QApplication.setApplicationDisplayName("Касса")
    try:
        assert window.windowTitle().count("Касса") == 1
    finally:
        QApplication.setApplicationDisplayName("")


def test_the_window_remembers_its_size_and_splitter(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.settings import DeskSettings

    first = MainWindow(ctx_for(fresh_db), SyncRunner())
    qtbot.addWidget(first)
    first.resize(1024, 690)  # inside the offscreen screen (1024×768)
    first.show()
    first.splitter.setSizes([300, 700])
    sizes = first.splitter.sizes()
    first.save_layout()
    assert DeskSettings().get("splitter_sizes") == sizes
    second = MainWindow(ctx_for(fresh_db), SyncRunner())
    qtbot.addWidget(second)
    second.restore_layout()
    second.show()
    # The width may be fitted to the (offscreen) screen; the height and the splitter come back as they were.
    assert second.size().height() == 690 and second.splitter.sizes() == sizes
    second.confirm_quit = False  # the test's teardown closes it without a question


def test_quitting_with_an_open_shift_asks_and_no_keeps_the_window(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    answers = [False, True]
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, _title, text, _yes=None: asked.append(text) or answers.pop(0))
    ctx = ctx_for(fresh_db)
    shifts.open_shift(ctx, 0)
    window = MainWindow(ctx, SyncRunner())
    qtbot.addWidget(window)
    window.show()
    window.confirm_quit = True
    window.refresh_state()
    window.action("quit").trigger()
    assert window.isVisible() and len(asked) == 1
    window.close()
    assert not window.isVisible() and len(asked) == 2


def test_escape_in_the_search_clears_it(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    _search(qtbot, window, "dem001")
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert window.search.text() == "" and window.current is None


def test_an_open_payments_journal_shows_a_payment_announced_elsewhere(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui import cash_actions
    from cashier_app.ui.journal_dialog import JournalDialog

    ctx = ctx_for(fresh_db)
    shifts.open_shift(ctx, 0)
    window = MainWindow(ctx, SyncRunner())
    qtbot.addWidget(window)
    cash_actions.install(window)
    window.action("journal_payments").trigger()
    journal = window.live_dialog(JournalDialog)
    before = len(journal.model.rows)
    paid = cash.take_cash(ctx, token=cash.new_token(), amount_minor=5_000, account="0000001")
    assert len(journal.model.rows) == before  # nobody said anything yet
    window.announce(ChangeSet.payment(account="0000001"))
    assert any(r.number == paid.payment_number for r in journal.model.rows)
    journal.close()


def test_the_sign_in_after_a_switch_starts_with_the_last_login(qtbot, fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.settings import DeskSettings
    from cashier_app.ui import cash_actions
    from cashier_app.ui.sign_in_dialog import SignInDialog

    window = MainWindow(ctx_for(fresh_db, "manager"), SyncRunner())
    qtbot.addWidget(window)
    cash_actions.install(window)
    cash_actions.remember_login(window.ctx.user)
    assert DeskSettings().get("last_login") == window.ctx.user.login
    window.action("switch_user").trigger()  # no shift, no pending order: nothing to ask
    dlg = window.live_dialog(SignInDialog)
    assert window.ctx.user is None and dlg.login.text() == DeskSettings().get("last_login")
    dlg.login.setText("cashier")
    dlg.password.setText("cashier")
    dlg.submit()
    assert window.ctx.user.login == "cashier" and DeskSettings().get("last_login") == "cashier"
