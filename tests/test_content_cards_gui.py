"""Issue 12 §3 on screen: nothing clipped, state that stands out, the booking's payments and its matched tourist."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from cashier_app.domain.errors import UserError
from cashier_app.domain.money import format_money
from cashier_app.services import cards, lookup
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m
from cashier_app.ui.account_view import AccountView
from cashier_app.ui.booking_view import BookingView
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import OperationRunner, SyncRunner
from cashier_app.ui.results_model import BALANCE_COLUMN, DUE_COLUMN, ResultsModel
from cashier_app.ui.sign_in_dialog import SignInDialog
from tests.conftest import TODAY
from tests.test_ledger import ctx_for


def _paid_booking(db) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A confirmed booking with payments and two tourists or more; its second tourist's passport."""
    with db.read() as uow:
        for b in uow.session.execute(select(m.Booking).where(m.Booking.status == "confirmed",
                                                             m.Booking.paid_minor > 0,
                                                             m.Booking.paid_minor < m.Booking.price_minor)
                                     .order_by(m.Booking.id)).scalars():
            if len(b.tourists) > 1:
                return b.number, sorted(b.tourists, key=lambda t: t.id)[1].passport_no
    raise AssertionError("no such booking in the demo")


@pytest.fixture
def window(qtbot, demo_db):  # type: ignore[no-untyped-def]
    runner = OperationRunner()
    w = MainWindow(DeskContext(demo_db, "test-desk", ctx_for(demo_db).user, today_override=TODAY), runner)
    runner.setParent(w)
    qtbot.addWidget(w)
    yield w
    runner.wait_idle()
    qtbot.wait(50)


def test_booking_card_lists_its_payments_and_marks_the_matched_tourist(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    number, passport = _paid_booking(demo_db)
    ctx = ctx_for(demo_db)
    card = cards.booking_card(ctx, number, TODAY, matched_passport=passport)
    assert card.last_payments and card.matched_tourist
    view = BookingView()
    qtbot.addWidget(view)
    view.show_card(card)
    table = view.payments
    assert table.rowCount() == len(card.last_payments) and table.isVisibleTo(view)
    first = card.last_payments[0]
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", table.item(0, 0).text())
    assert table.item(0, 1).text() == format_money(first.amount_minor, first.currency)
    assert table.item(0, 3).text() == first.number and table.item(0, 2).text() in ("Наличные", "Карта", "Банк")
    row = next(r for r, t in enumerate(card.tourists) if t.matched)
    assert view.tourists.item(row, 0).font().bold()
    assert not any(view.tourists.item(r, 0).font().bold() for r in range(len(card.tourists)) if r != row)
    assert card.matched_tourist in view.tourists_box.title()
    view.show_card(replace(card, last_payments=[]))
    assert view.payments.isHidden() and not view.no_payments.isHidden()


def test_every_payment_method_shows_at_1280x720(qtbot, window, demo_db) -> None:  # type: ignore[no-untyped-def]
    number, passport = _paid_booking(demo_db)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    window.show_card(cards.booking_card(window.ctx, number, TODAY, matched_passport=passport))
    QApplication.processEvents()
    view = window.booking_view
    table = view.methods
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    assert table.rowCount() >= 5
    # The table is as tall as its rows: none hides behind a scroll bar of its own.
    assert table.viewport().height() >= rows
    # And at 1280×720 its last row (the bonuses) is on screen, not below the card's fold.
    last = table.rowCount() - 1
    bottom = table.viewport().mapTo(view.scroll.viewport(), QPoint(0, table.rowViewportPosition(last)
                                                                   + table.rowHeight(last)))
    assert bottom.y() <= view.scroll.viewport().height()


def test_account_card_block_state_and_internet_off_stand_out(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as uow:
        number = uow.session.execute(select(m.Account.number).where(m.Account.block_state == "debt",
                                                                    m.Account.internet_on.is_(False))
                                     .limit(1)).scalar_one()
        active = uow.session.execute(select(m.Account.number).where(m.Account.block_state == "active",
                                                                    m.Account.internet_on.is_(True))
                                     .limit(1)).scalar_one()
    ctx = ctx_for(demo_db)
    view = AccountView()
    qtbot.addWidget(view)
    view.show_card(cards.account_card(ctx, number))
    for key in ("internet", "block_state"):
        label = view.money.values[key]
        assert label.property("alert") is True and "#c62828" in label.styleSheet()
        assert "bold" in label.styleSheet()
    view.show_card(cards.account_card(ctx, active))
    assert view.money.values["internet"].property("alert") is False
    assert "#c62828" not in view.money.values["block_state"].styleSheet()


def test_account_address_wraps_at_1024x700(qtbot, window, demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as uow:
        number = uow.session.execute(select(m.Account.number).join(m.Contract)
                                     .order_by(m.Contract.street.desc()).limit(1)).scalar_one()
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    window.show_card(cards.account_card(window.ctx, number))
    QApplication.processEvents()
    label = window.account_view.person.values["address"]
    assert label.wordWrap()
    fm = label.fontMetrics()
    lines = max(1, label.height() // fm.lineSpacing())
    # Every word of the address fits on the lines the label has (wrapped, not cut at the right edge).
    assert fm.horizontalAdvance(label.text()) <= lines * label.width() + lines * fm.averageCharWidth() * 12
    assert label.heightForWidth(label.width()) <= label.height()


def test_results_table_has_balance_and_due_apart(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(demo_db)
    model = ResultsModel(SyncRunner(), lambda q, off: lookup.search(ctx, q, offset=off))
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert header[BALANCE_COLUMN] == "Баланс" and header[DUE_COLUMN] == "К оплате" and "Сумма" not in header
    model.set_query("0000001")
    assert model.data(model.index(0, BALANCE_COLUMN)).endswith("₽") and model.data(model.index(0, DUE_COLUMN)) == ""
    number, _ = _paid_booking(demo_db)
    model.set_query(number)
    r = next(i for i in range(model.rowCount()) if model.hit(i).kind == "booking")
    hit = model.hit(r)
    assert model.data(model.index(r, BALANCE_COLUMN)) == ""
    due = model.data(model.index(r, DUE_COLUMN))
    assert "\u00a0" in due or due.startswith("0,00")  # thousands grouped
    if hit.due_rub_minor is not None:
        assert "≈" in due and due.endswith("₽")


def test_sign_in_lockout_message_fits(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = SignInDialog(None, "desk-1", None)  # type: ignore[arg-type]
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    before = dlg.height()
    dlg._fail(UserError("Неверный пароль 5 раз подряд: пользователь «cashier» заблокирован до 04.12.2026 19:30 "
                        "(на 15 минут). Войти раньше нельзя — обратитесь к администратору, он может снять блокировку."))
    QApplication.processEvents()
    label = dlg.error
    assert label.wordWrap() and dlg.height() > before
    assert label.heightForWidth(label.width()) <= label.height()
    assert label.width() <= dlg.width()
