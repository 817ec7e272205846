"""The administrator's billing connector dialog (offscreen): a bad address is marked and named inline and
nothing is saved; a good one is saved through the service (audited); «Проверить связь» asks a real billing
emulator with the address as typed, and says «нет связи» for a port nobody listens on."""

from __future__ import annotations

import socket
from typing import Any

from sqlalchemy import select

from cashier_app.domain.money import format_money
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from cashier_app.ui.billing_actions import Billing
from cashier_app.ui.billing_settings_dialog import BAD_STYLE, BillingSettingsDialog
from cashier_app.ui.operations import OperationRunner, SyncRunner
from tests.billing_gui.gui_helpers import accounts_of, ctx_for, isp_payee


def _stored(db: Database, code: str) -> m.BillingSettings | None:
    with db.read() as uow:
        pid = uow.session.execute(select(m.Payee.id).where(m.Payee.code == code)).scalar_one()
        row = uow.session.get(m.BillingSettings, pid)
        if row is not None:
            uow.session.expunge(row)
        return row


def _dialog(qtbot: Any, db: Database, runner: Any = None) -> tuple[BillingSettingsDialog, str]:
    code, name = isp_payee(db)
    dlg = BillingSettingsDialog(ctx_for(db, "admin"), runner or SyncRunner(), [(code, name)], code)
    qtbot.addWidget(dlg)
    return dlg, code



def _under(field) -> str:  # type: ignore[no-untyped-def]
    """The error shown under ``field`` (issue 12: once, by the field), '' when none."""
    error = field.property("_field_error")
    return error.text() if error is not None and not error.isHidden() else ""


def test_bad_address_is_named_inline_and_nothing_saved(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    dlg, code = _dialog(qtbot, fresh_db)
    assert dlg.save_button.isEnabled() and dlg.protocol.currentData() == "none"
    dlg.protocol.setCurrentIndex(dlg.protocol.findData("osmp"))
    for bad in ("ftp://billing.example.ru/osmp", "billing", "http://user:pw@billing.example.ru/osmp"):
        dlg.url.setText(bad)
        dlg.save()
        assert dlg.url.styleSheet() == BAD_STYLE and _under(dlg.url), bad
        assert not dlg.problems.isVisibleTo(dlg), dlg.problems.text()  # said once: under the field
        assert dlg.state.text() == "Не сохранено" and dlg.save_button.isEnabled()
        assert _stored(fresh_db, code) is None
    assert said == []  # said on the form, never a second (modal) dialog


def test_good_address_is_saved_and_shown_again(qtbot: Any, fresh_db: Database, said: list[str],
                                               billing: Any) -> None:
    dlg, code = _dialog(qtbot, fresh_db)
    dlg.protocol.setCurrentIndex(dlg.protocol.findData("osmp"))
    dlg.url.setText(f"  {billing.osmp_url}  ")
    dlg.dialect.setCurrentIndex(dlg.dialect.findData("ubilling"))
    dlg.save()
    row = _stored(fresh_db, code)
    assert row is not None and row.protocol == "osmp" and row.url == billing.osmp_url and row.dialect == "ubilling"
    assert dlg.url.text() == billing.osmp_url and dlg.state.text() == "Сохранено" and not dlg.problems.isVisibleTo(dlg)
    with fresh_db.read() as uow:
        events = uow.session.execute(select(m.AuditEvent).where(m.AuditEvent.action == "payee.billing")).scalars()
        assert [e.entity_id for e in events] == [code]
    # A password on a desk without a keyring: the password field is marked and the refusal names what to do.
    dlg.password.setText("secret")
    dlg.save()
    assert dlg.password.styleSheet() == BAD_STYLE and _under(dlg.password)
    assert "secret" not in dlg.problems.text() + _under(dlg.password)
    # «не подключён» switches the connector off.
    dlg.password.clear()
    dlg.protocol.setCurrentIndex(dlg.protocol.findData("none"))
    assert not dlg.url.isEnabled()
    dlg.save()
    row = _stored(fresh_db, code)
    assert row is not None and row.protocol == "none" and dlg.state.text() == "Сохранено"
    assert said == []


def test_probe_asks_the_billing_off_the_gui_thread(qtbot: Any, fresh_db: Database, said: list[str],
                                                   billing: Any) -> None:
    code, _ = isp_payee(fresh_db)
    number = accounts_of(fresh_db, code, 1)[0]
    billing.load_accounts([{"number": number, "full_name": "Петров П. П.", "balance": "1234.50", "blocked": "0"}])
    runner = OperationRunner()
    dlg, _code = _dialog(qtbot, fresh_db, runner)
    qtbot.waitUntil(lambda: dlg.save_button.isEnabled(), timeout=5_000)
    dlg.protocol.setCurrentIndex(dlg.protocol.findData("osmp"))
    dlg.url.setText(billing.osmp_url)  # typed, not saved: the probe uses the form
    dlg.run_probe()
    assert not dlg.probe_button.isEnabled()  # the answer has not come yet: the click returned at once
    qtbot.waitUntil(lambda: dlg.probe_button.isEnabled(), timeout=5_000)
    assert dlg.probe_result.text().startswith("Связь есть"), dlg.probe_result.text()
    dlg.probe_account.setText(number)
    dlg.run_probe()
    qtbot.waitUntil(lambda: dlg.probe_button.isEnabled(), timeout=5_000)
    assert dlg.probe_result.text() == f"Связь есть. Счёт {number} найден: Петров П. П., баланс {format_money(123450)}"
    dlg.grab().save("/tmp/h5_billing_settings.png")
    assert billing.requests().get("check") == 2 and billing.payments() == []
    assert _stored(fresh_db, code) is None  # a probe saves nothing

    with socket.socket() as s:  # a port nobody listens on (bound, then closed)
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    dlg.url.setText(f"http://127.0.0.1:{dead}/osmp")
    dlg.run_probe()
    qtbot.waitUntil(lambda: dlg.probe_button.isEnabled(), timeout=10_000)
    assert dlg.probe_result.text().startswith("Нет связи с биллингом:"), dlg.probe_result.text()
    dlg.url.setText("not a url")
    dlg.run_probe()
    qtbot.waitUntil(lambda: dlg.probe_button.isEnabled(), timeout=5_000)
    assert dlg.url.styleSheet() == BAD_STYLE and _under(dlg.url)
    runner.wait_idle(5_000)
    assert said == []


def test_only_an_administrator_opens_it(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    from cashier_app.ui import billing_actions
    from tests.billing_gui.gui_helpers import window

    w = window(qtbot, ctx_for(fresh_db, "manager"), SyncRunner())
    billing_actions.open_settings(w)
    assert w.live_dialog(BillingSettingsDialog) is None and said and "прав" in said[0].lower()
    w.capability(Billing).agent.delivery.stop()


def test_the_stored_connector_is_shown(qtbot: Any, fresh_db: Database, said: list[str]) -> None:
    with fresh_db.read() as uow:
        row = uow.session.execute(select(m.BillingSettings, m.Payee.code, m.Payee.name)
                                  .join(m.Payee, m.Payee.id == m.BillingSettings.payee_id)
                                  .where(m.BillingSettings.protocol == "osmp")).first()
    assert row is not None  # the demo office wires one provider to the billing sandbox
    settings, code, name = row
    dlg = BillingSettingsDialog(ctx_for(fresh_db, "admin"), SyncRunner(), [(code, name)], code)
    qtbot.addWidget(dlg)
    assert dlg.protocol.currentData() == "osmp" and dlg.url.text() == settings.url
    assert dlg.dialect.currentData() == settings.dialect and dlg.state.text() == "Действующие настройки"
    assert dlg.secret_status.text() == "пароль: не задан" and dlg.password.text() == ""
