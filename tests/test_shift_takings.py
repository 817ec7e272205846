"""Issue 11 §6: X and Z reports give every method's takings, the drawer apart, and the open card orders."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cashier_app.services import cash, corrections, journal, ledger, shifts
from cashier_app.storage import models as m
from tests.test_ledger import ctx_for
from tests.test_shifts import text_of


def _taken(db, ctx, method: str, amount: int, account: str, *, credited: bool = True,  # type: ignore[no-untyped-def]
           order: str | None = None) -> str:
    """A ledger entry as the card, bonus or a later method writes it (not through the bank here)."""
    with db.uow() as uow:
        s = uow.session
        target, payee_id = ledger.find_target(s, account=account)
        shift = shifts.open_shift_row(s, ctx)
        p = ledger.open_payment(s, ctx, target, method=method, amount_minor=amount, payee_id=payee_id,
                                status="pending", shift_id=shift.id if shift and method == "card" else None,
                                gateway_order_number=order)
        if order:
            now = datetime.now(UTC)
            s.add(m.GatewayOrder(payment_id=p.id, provider="tbank", order_number=order, state="pending",
                                 amount_minor=amount, refunded_minor=0, checks=0, created_at=now, updated_at=now,
                                 expires_at=now + timedelta(minutes=20), desk=ctx.desk,
                                 payment_url="https://pay.example/x"))
        if credited:
            ledger.credit(s, ctx, p.id)
        uow.commit()
        return p.number


def _report_text(pdf: bytes) -> str:
    return " ".join(text_of(pdf).split())


def test_reports_show_every_method_and_the_drawer_apart(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cashier, manager = ctx_for(fresh_db, "cashier"), ctx_for(fresh_db, "manager")
    shifts.open_shift(cashier, 100000)
    cash.take_cash(cashier, token=cash.new_token(), amount_minor=100050, account="0000001")
    p2 = cash.take_cash(cashier, token=cash.new_token(), amount_minor=20000, account="0000002")
    corrections.cancel_payment(manager, p2.payment_number, "не тот счёт")
    _taken(fresh_db, cashier, "card", 250075, "0000003")
    _taken(fresh_db, cashier, "bonus", 30000, "0000004")
    _taken(fresh_db, cashier, "sbp", 12345, "0000005")  # a method added later: no code change needed
    _taken(fresh_db, cashier, "card", 77700, "0000006", credited=False, order="ORD-PENDING-1")

    x = _report_text(shifts.x_report(cashier).document.pdf)
    assert "Выручка по способам оплаты" in x
    assert "Наличные 2 на 1 200,50 ₽" in x and "отмены и возвраты 1 на -200,00 ₽" in x
    assert "Банковская карта 1 на 2 500,75 ₽" in x and "Бонусы 1 на 300,00 ₽" in x and "sbp 1 на 123,45 ₽" in x
    assert "Всего по всем способам 3 924,70 ₽" in x  # 1 000,50 + 2 500,75 + 300,00 + 123,45
    # The drawer is cash only: float + cash − cancel.
    assert "Денежный ящик (наличные)" in x and "Ожидается в кассе 2 000,50 ₽" in x

    z = shifts.close_shift(cashier, 200050)
    zt = _report_text(z.document.pdf)
    assert "Заказы по карте, не завершённые к закрытию" in zt
    assert "ORD-PENDING-1" in zt and "777,00 ₽ — л/с 0000006, ожидает оплаты" in zt
    assert "Всего заказов 1 на 777,00 ₽" in zt
    # The report is journaled with its params: the reprint is the same bytes.
    assert journal.reprint(fresh_db, cashier, z.document.number).pdf == z.document.pdf
    # Looked at: the Z report rendered to PNG.
    pdf = tmp_path / "z.pdf"
    pdf.write_bytes(z.document.pdf)
    out = os.environ.get("CASHIER_SCREENSHOTS")
    if out:
        subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), os.path.join(out, "z_report")],
                       check=True)


def test_a_report_without_takings_still_reprints(fresh_db) -> None:  # type: ignore[no-untyped-def]
    """Reports journaled before issue 11 have no takings in their params: their bytes must not change."""
    from cashier_app.printing.shift_report import render_params

    cashier = ctx_for(fresh_db, "cashier")
    shifts.open_shift(cashier, 0)
    x = shifts.x_report(cashier)
    with fresh_db.read() as uow:
        params = dict(uow.session.get(m.Document, x.document.id).params)
    old = {k: v for k, v in params.items() if k not in ("takings", "pending_orders")}
    text = _report_text(render_params(old))
    assert "Выручка по способам" not in text and "Денежный ящик" not in text
    assert "платежей за смену нет" in _report_text(x.document.pdf)


@pytest.mark.parametrize("typed", ["1 500,50", "1500,50"])
def test_cash_limit_keeps_its_kopecks_in_the_users_dialog(qtbot, fresh_db, typed: str) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services import users
    from cashier_app.ui.operations import SyncRunner
    from cashier_app.ui.users_dialog import UsersDialog

    admin = ctx_for(fresh_db, "admin")
    dlg = UsersDialog(admin, SyncRunner())
    qtbot.addWidget(dlg)
    row = next(i for i, r in enumerate(dlg.rows) if r.login == "cashier")
    dlg.table.selectRow(row)
    dlg.limit.setText(typed)
    dlg.run("limit")
    assert next(r for r in dlg.rows if r.login == "cashier").cash_limit_minor == 150050
    # Selecting the user again shows the kopecks, and saving what is shown keeps them.
    dlg.table.clearSelection()
    dlg.table.selectRow(next(i for i, r in enumerate(dlg.rows) if r.login == "cashier"))
    assert dlg.limit.text() == "1500,50"
    dlg.run("limit")
    assert next(r for r in users.list_users(admin) if r.login == "cashier").cash_limit_minor == 150050
