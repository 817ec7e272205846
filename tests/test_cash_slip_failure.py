"""The cashier is told the truth after a cash payment (issue 11 §3).

Before issue 11 a slip that failed after the payment was committed showed «Операция
не выполнена, данные не изменены» over money already on the account.  Now the dialog
asks the database by the operation token: the payment is there → «Оплата проведена…
квитанция не напечатана» and a reprint button; the database does not answer →
«результат неизвестен, проверьте журнал».
"""

from __future__ import annotations

from typing import Any

import pytest

from cashier_app.services import cards, cash, shifts
from cashier_app.storage.db import Database
from cashier_app.ui.cash_payment_dialog import CashPaymentDialog
from cashier_app.ui.operations import SyncRunner
from tests.test_card_helpers import account_of, balance, ctx_for


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    texts: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.QMessageBox.warning", lambda *a: texts.append(str(a[2])))
    return texts


def _dialog(qtbot, db: Database) -> tuple[CashPaymentDialog, str]:  # type: ignore[no-untyped-def]
    ctx = ctx_for(db, desk="desk-slip")
    shifts.open_shift(ctx, 0)
    number = account_of(db, "interra")
    dlg = CashPaymentDialog(ctx, SyncRunner(), cards.account_card(ctx, number))
    qtbot.addWidget(dlg)
    dlg.amount.setText("1 000,50")
    return dlg, number


def test_slip_failing_after_the_payment_says_paid_and_offers_a_reprint(
        qtbot, fresh_db: Database, monkeypatch: pytest.MonkeyPatch, shown: list[str]) -> None:  # type: ignore[no-untyped-def]
    dlg, number = _dialog(qtbot, fresh_db)
    before = balance(fresh_db, number)
    real = cash.issue_slip
    calls: list[int] = []

    def printer_jammed(*a: Any, **k: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("принтер не отвечает")
        return real(*a, **k)

    monkeypatch.setattr(cash, "issue_slip", printer_jammed)
    paid: list[Any] = []
    slips: list[Any] = []
    dlg.paid.connect(paid.append)
    dlg.slip_ready.connect(slips.append)
    dlg.show()
    dlg.submit()
    assert balance(fresh_db, number) == before + 100_050  # the money is on the account
    text = dlg.error.text()
    assert text.startswith("Оплата проведена: платёж P-") and "Квитанция не напечатана (OSError)" in text
    assert "данные не изменены" not in text and not shown  # no false «nothing changed» box
    assert paid and paid[0].slip is None and dlg.result is not None
    assert dlg.reprint_button.isVisible() and not dlg.pay_button.isVisible()
    dlg.grab().save("/tmp/cash_slip_failed.png")
    dlg.reprint_button.click()
    assert slips and slips[0].kind == "slip" and not dlg.isVisible()
    assert balance(fresh_db, number) == before + 100_050  # printed again, not paid again


def test_database_silent_after_a_failure_says_the_outcome_is_unknown(
        qtbot, fresh_db: Database, monkeypatch: pytest.MonkeyPatch, shown: list[str]) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services import outcomes

    dlg, _number = _dialog(qtbot, fresh_db)

    def boom(*_a: Any, **_k: Any) -> Any:
        raise ConnectionError("connection reset")

    monkeypatch.setattr(cash, "take_cash", boom)
    monkeypatch.setattr(outcomes, "cash_payment_by_token", boom)
    dlg.submit()
    assert "результат неизвестен, проверьте журнал" in dlg.error.text()
    assert not shown  # issue 12: said once, on the dialog's own line — no second, modal box
    assert dlg.pay_button.isEnabled()  # the same token: pressing again cannot take the money twice


def test_failure_before_the_commit_says_nothing_was_taken(
        qtbot, fresh_db: Database, monkeypatch: pytest.MonkeyPatch, shown: list[str]) -> None:  # type: ignore[no-untyped-def]
    dlg, number = _dialog(qtbot, fresh_db)
    before = balance(fresh_db, number)

    def bug(*_a: Any, **_k: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(cash, "take_cash", bug)
    dlg.submit()
    assert "не проведён (проверено по журналу)" in dlg.error.text()
    assert balance(fresh_db, number) == before and dlg.pay_button.isEnabled()


def test_unexpected_error_box_never_claims_nothing_changed() -> None:
    from cashier_app.ui.messages import error_text

    assert error_text(RuntimeError("x")) == "Внутренняя ошибка: RuntimeError. Результат неизвестен, проверьте журнал."


def test_no_dialog_claims_nothing_changed_after_an_unexpected_error() -> None:
    # An unexpected error may come after the commit: every dialog says «результат неизвестен»
    # through messages.error_text; none may promise that nothing was changed.
    from pathlib import Path

    ui = Path(__file__).resolve().parent.parent / "cashier_app" / "ui"
    offenders = [p.name for p in ui.glob("*.py") if "данные не изменены" in p.read_text(encoding="utf-8")]
    assert offenders == []
