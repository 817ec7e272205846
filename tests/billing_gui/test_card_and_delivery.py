"""The main window's billing side (offscreen, real worker threads): the account card asks the payee's real
billing emulator when it opens and says what it answered — found with its balance and time, not found in
red, no connection — without waiting on the GUI thread; the outbox is delivered by a periodic background
run, one at a time, off the GUI thread."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from cashier_app.domain.money import format_money
from cashier_app.services.lookup import SearchHit
from cashier_app.storage.db import Database
from cashier_app.ui import billing_actions
from cashier_app.ui.billing_actions import Billing
from cashier_app.ui.changes import ChangeSet
from cashier_app.ui.operations import OperationRunner
from tests.billing_gui.gui_helpers import ctx_for, open_desk, pay, window, wire


def _open(w: Any, number: str) -> None:
    w.open_hit(SearchHit("account", number, "", "", 0, "RUB", ""))


def test_card_shows_what_the_billing_says(qtbot: Any, fresh_db: Database, billing: Any) -> None:
    code, numbers = wire(fresh_db, billing, known=3)
    runner = OperationRunner()
    w = window(qtbot, ctx_for(fresh_db), runner)
    w.resize(1280, 720)
    w.show()
    line = w.account_view.billing
    try:
        _open(w, numbers[0])
        qtbot.waitUntil(lambda: line.isVisible() and "найден" in line.text(), timeout=5_000)
        text = line.text()
        assert text.startswith(f"Биллинг: найден, баланс {format_money(123450)} — по данным биллинга на "), text
        hhmm = text.rsplit(" ", 1)[-1]
        assert len(hhmm) == 5 and hhmm[2] == ":"  # today's check: the office's clock time only
        w.account_view.grab().save("/tmp/h5_card_found.png")

        _open(w, numbers[4])  # the billing does not have it
        qtbot.waitUntil(lambda: line.text() == "Биллинг: лицевой счёт не найден!", timeout=5_000)
        assert "c62828" in line.styleSheet()
        w.account_view.grab().save("/tmp/h5_card_not_found.png")

        billing.stop()  # the billing goes away
        _open(w, numbers[1])
        qtbot.waitUntil(lambda: w.account_view.card is not None and w.account_view.card.number == numbers[1],
                        timeout=5_000)
        qtbot.waitUntil(lambda: line.text() == "Биллинг: нет связи с биллингом", timeout=10_000)
        assert line.toolTip()  # what went wrong, for whoever looks closer
    finally:
        w.capability(Billing).agent.delivery.stop()
        runner.wait_idle(10_000)
    assert billing_actions.BillingAgent  # the capability module is what installed it
    assert code


def test_card_of_a_payee_without_a_billing_shows_no_line(qtbot: Any, fresh_db: Database) -> None:
    from tests.billing_gui.gui_helpers import accounts_of, isp_payee

    code, _ = isp_payee(fresh_db)
    number = accounts_of(fresh_db, code, 1)[0]
    runner = OperationRunner()
    w = window(qtbot, ctx_for(fresh_db), runner)
    try:
        _open(w, number)
        qtbot.waitUntil(lambda: w.account_view.card is not None, timeout=5_000)
        qtbot.waitUntil(lambda: w.account_view.check is not None, timeout=5_000)
        assert w.account_view.check.state == "off" and not w.account_view.billing.isVisibleTo(w)
    finally:
        w.capability(Billing).agent.delivery.stop()
        runner.wait_idle(10_000)


def test_periodic_delivery_runs_off_the_gui_thread_one_at_a_time(qtbot: Any, fresh_db: Database, billing: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _code, numbers = wire(fresh_db, billing)
    ctx = open_desk(fresh_db)
    p = pay(ctx, numbers[0], 7_700)
    threads: list[bool] = []
    inflight, most, took = [0], [0], []
    lock = threading.Lock()
    real = billing_actions.deliver

    def spy(c: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        with lock:
            inflight[0] += 1
            most[0] = max(most[0], inflight[0])
        started = time.monotonic()
        try:
            return real(c)
        finally:
            took.append(time.monotonic() - started)
            with lock:
                inflight[0] -= 1

    monkeypatch.setattr(billing_actions, "DELIVERY_MS", 100)
    monkeypatch.setattr(billing_actions, "deliver", spy)
    billing.fault("pay", "slow", count=1, seconds=0.6)  # the first run waits on the billing
    runner = OperationRunner()
    w = window(qtbot, ctx, runner)
    agent = w.capability(Billing).agent
    try:
        assert agent.delivery.timer.isActive() and agent.delivery.timer.interval() == 100
        qtbot.waitUntil(lambda: [x for x in billing.payments() if x["account"] == numbers[0]] != [], timeout=10_000)
        qtbot.waitUntil(lambda: agent.delivery.runs >= 2, timeout=5_000)
    finally:
        agent.delivery.stop()
        runner.wait_idle(10_000)
    assert threads and not any(threads)
    # The first run waited on the slow billing through several 100 ms ticks; none started beside it.
    assert max(took) >= 0.5 and most[0] == 1, (took, most)
    paid = [x for x in billing.payments() if x["account"] == numbers[0]]
    assert len(paid) == 1 and paid[0]["sum_minor"] == 7_700 and p.payment_number
    assert agent.last_counts is not None
    # Signing out stops the timer: nobody at the desk, nothing delivered on its behalf.
    w.set_user(None)
    assert not agent.delivery.timer.isActive()


def test_reconcile_from_the_menu_tells_the_counts(qtbot: Any, fresh_db: Database, billing: Any) -> None:
    from cashier_app.ui.notifications import notifier_of
    from cashier_app.ui.operations import SyncRunner

    _code, numbers = wire(fresh_db, billing, known=3)
    ctx = open_desk(fresh_db)
    pay(ctx, numbers[0])
    pay(ctx, numbers[4])
    w = window(qtbot, ctx, SyncRunner())
    w.capability(Billing).agent.delivery.stop()
    w.action("billing_reconcile").trigger()
    note = notifier_of(w).history[-1]
    assert note.title == "Биллинг" and note.level == "error", note
    assert "Доставлено: 1; отклонено: 1" in note.text, note.text
    w.action("billing_reconcile").trigger()
    assert notifier_of(w).history[-1].text == "Недоставленных платежей нет"


def test_payment_goes_to_the_billing_when_its_card_is_shown_again(qtbot: Any, fresh_db: Database,
                                                                  billing: Any) -> None:
    _code, numbers = wire(fresh_db, billing)
    ctx = open_desk(fresh_db)
    runner = OperationRunner()
    w = window(qtbot, ctx, runner)
    agent = w.capability(Billing).agent
    try:
        qtbot.waitUntil(lambda: agent.delivery.runs >= 1, timeout=5_000)  # the sign-in run, nothing due
        assert agent.delivery.timer.interval() == 30_000
        _open(w, numbers[2])
        qtbot.waitUntil(lambda: w.account_view.card is not None, timeout=5_000)
        pay(ctx, numbers[2], 4_200)  # what the cash dialog does, then F6 announces the change (issue 12)
        w.announce(ChangeSet.payment(account=numbers[2]))
        qtbot.waitUntil(lambda: [x for x in billing.payments() if x["account"] == numbers[2]] != [], timeout=5_000)
    finally:
        agent.delivery.stop()
        runner.wait_idle(10_000)
    assert [x["sum_minor"] for x in billing.payments()] == [4_200]
