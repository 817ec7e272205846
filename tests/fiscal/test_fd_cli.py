"""``cashier-app payees fiscal`` and ``users fiscal``: the dialog's settings headless, authenticated, audited."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from cashier_app import cli as cli_main
from cashier_app.storage import models as m
from cashier_app.storage.db import Database


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Database, *args: str,
        user: str = "admin", stdin: str | None = None) -> tuple[int, str, str]:
    monkeypatch.setenv("CASHIER_USER", user)
    monkeypatch.setenv("CASHIER_PASSWORD", user)
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    rc = cli_main.main([*args, "--db", str(db.engine.url)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_payees_fiscal_shows_sets_and_refuses_naming_the_field(fresh_db, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rc, out, _ = run(capsys, monkeypatch, fresh_db, "payees", "fiscal", "dem", "--json")
    assert rc == 0 and json.loads(out)["mode"] == "atol_web" and json.loads(out)["configured"] is True
    rc, out, err = run(capsys, monkeypatch, fresh_db, "payees", "fiscal", "dem", "--atol-web", "http://127.0.0.1:16800",
                       "--tax", "osn", "--vat", "vat20", "--supplier-phone", "8 831 200-02-03", "--card-by-bank",
                       "--json")
    assert rc == 0, err
    got = json.loads(out)
    assert (got["url"], got["tax_system"], got["vat"], got["card_by_bank"]) == ("http://127.0.0.1:16800", "osn",
                                                                                 "vat20", True)
    assert got["supplier_phone"] == "+78312000203"
    rc, out, err = run(capsys, monkeypatch, fresh_db, "payees", "fiscal", "dem", "--supplier-inn", "1234567890",
                       "--vat", "vat99")
    assert rc == 2 and "ИНН поставщика" in err and "НДС" in err and "Traceback" not in err
    rc, out, err = run(capsys, monkeypatch, fresh_db, "payees", "fiscal", "dem", "--none")
    assert rc == 0 and "без ККТ" in out
    with fresh_db.read() as uow:
        events = uow.session.execute(select(m.AuditEvent).where(m.AuditEvent.action == "payee.fiscal")).scalars().all()
        assert len(events) == 2 and events[-1].after["mode"] == "none"


def test_payees_fiscal_is_the_administrators(fresh_db, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rc, _out, err = run(capsys, monkeypatch, fresh_db, "payees", "fiscal", "dem", "--none", user="manager")
    assert rc != 0 and "Недостаточно прав" in err
    with fresh_db.read() as uow:
        pid = uow.session.execute(select(m.Payee.id).where(m.Payee.code == "dem")).scalar_one()
        assert uow.session.get(m.FiscalSettings, pid).mode == "atol_web"  # type: ignore[union-attr]


def test_atol_online_password_only_from_stdin(fresh_db, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    base = ["payees", "fiscal", "pegas", "--atol-online", "https://online.atol.ru/possystem/v5", "--group", "g-1",
            "--login", "pegas-api", "--company-email", "kassa@pegas.ru", "--place", "https://pegas.ru"]
    rc, _out, err = run(capsys, monkeypatch, fresh_db, *base)
    assert rc == 2 and "Пароль АТОЛ Онлайн" in err
    # No keyring on this machine: the refusal names the variable an administrator sets instead.
    rc, _out, err = run(capsys, monkeypatch, fresh_db, *base, "--password-stdin", stdin="Secret-1\n")
    assert rc == 2 and "CASHIER_GW_SECRET_ATOL_ONLINE_PEGAS" in err and "Secret-1" not in err
    monkeypatch.setenv("CASHIER_GW_SECRET_ATOL_ONLINE_PEGAS", "from-env")
    rc, out, err = run(capsys, monkeypatch, fresh_db, *base, "--json")
    assert rc == 0, err
    got = json.loads(out)
    assert got["mode"] == "atol_online" and got["secret"] == "env" and "from-env" not in out


def test_users_fiscal_name_and_inn(fresh_db, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rc, out, err = run(capsys, monkeypatch, fresh_db, "users", "fiscal", "cashier", "--inn", "5001 2345 6750",
                       "--name", "Смирнова О. Н.", "--json")
    assert rc == 0, err
    assert json.loads(out) == {"login": "cashier", "fiscal_name": "Смирнова О. Н.", "fiscal_inn": "500123456750"}
    rc, out, _ = run(capsys, monkeypatch, fresh_db, "users", "fiscal", "cashier", "--name", "")
    assert rc == 0 and "500123456750" in out and "Смирнова Ольга Николаевна" in out  # name cleared, INN kept
    rc, _out, err = run(capsys, monkeypatch, fresh_db, "users", "fiscal", "cashier", "--inn", "500123456751")
    assert rc != 0 and "ИНН кассира" in err and "Traceback" not in err


def test_fiscal_sync_finishes_the_register_part_a_shift_open_missed(fresh_db, capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.emulators.register.server import RegisterServer
    from tests.fiscal.fd_helpers import kinds, point_payees_at

    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "1,2")
    srv = RegisterServer(host="127.0.0.1", port=0, state_path=tmp_path / "register.sqlite")
    srv.start()
    try:
        point_payees_at(fresh_db, srv.url)
        srv.set_state(offline=True)
        rc, out, err = run(capsys, monkeypatch, fresh_db, "shift", "open", "--float", "100", user="cashier")
        assert rc in (0, 3) and "Traceback" not in err  # the app's shift is open; the register's is not
        assert kinds(srv.documents())["openShift"] == 0
        srv.set_state(offline=False)
        rc, out, err = run(capsys, monkeypatch, fresh_db, "fiscal", "sync", "--json", user="cashier")
        got = json.loads(out)
        assert rc == 0 and got["actions"] and got["problems"] == [], (out, err)
        assert kinds(srv.documents())["openShift"] == 1
        rc, out, err = run(capsys, monkeypatch, fresh_db, "fiscal", "sync", user="cashier")
        assert rc == 0 and "доделывать нечего" in out
        assert kinds(srv.documents())["openShift"] == 1  # asked again: nothing sent twice
    finally:
        srv.stop()
