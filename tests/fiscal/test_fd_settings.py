"""Fiscal settings per payee and the cashier's fiscal name/INN: admin only, validated, audited, secret in the keyring."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.compat import properties
from sqlalchemy import select

from cashier_app.domain.errors import NotFound, PermissionDenied, ValidationError
from cashier_app.services import fiscal_settings as fs
from cashier_app.services.fiscal_settings import FiscalInput
from cashier_app.services.payees import PayeeProblems
from cashier_app.storage import models as m
from tests.test_ledger import ctx_for


class MemoryKeyring(KeyringBackend):
    """A keyring of this test only (the machine has none): proves where the password goes."""

    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        # Never picked by keyring's own discovery (a subclass registers itself): only set_keyring uses it.
        raise RuntimeError("test keyring, set explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def audit(db, action: str) -> list[m.AuditEvent]:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return list(uow.session.execute(select(m.AuditEvent).where(m.AuditEvent.action == action)
                                        .order_by(m.AuditEvent.id)).scalars())


def row(db, code: str) -> m.FiscalSettings | None:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        p = uow.session.execute(select(m.Payee).where(m.Payee.code == code)).scalar_one()
        return uow.session.get(m.FiscalSettings, p.id)


def test_demo_payees_have_valid_register_settings_and_cashiers_an_inn(fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.domain import fiscal_receipt as fr

    with fresh_db.read() as uow:
        s = uow.session
        for p in s.execute(select(m.Payee)).scalars():
            rules = fs.get_rules(s, p.code)
            assert rules is not None and rules.mode == "atol_web" and rules.url == "http://127.0.0.1:16732"
            assert fr.check_rules(rules) == [], (p.code, fr.check_rules(rules))
            assert rules.supplier_inn == p.inn and rules.company_inn == p.inn
            assert rules.agent == ("paying_agent" if p.kind == "isp" else "another")
        cashier = s.execute(select(m.User).where(m.User.login == "cashier")).scalar_one()
        op = fs.operator_for(s, cashier.id)
        assert op.inn == "526098765441" and op.name == cashier.full_name


def test_admin_saves_audited_and_the_values_come_back_cleaned(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    rules = fs.save(admin, "dem", FiscalInput(mode="atol_web", url="http://192.168.1.20:16732/", tax_system="osn",
                                              vat="vat20", agent_phone="8 (495) 111-22-33"))
    assert rules.tax_system == "osn" and rules.vat == "vat20" and rules.agent_phone == "+74951112233"
    stored = row(fresh_db, "dem")
    assert stored is not None and stored.url == "http://192.168.1.20:16732" and stored.agent_phone == "+74951112233"
    assert fs.get_rules(admin, "dem") == rules
    ev = audit(fresh_db, "payee.fiscal")
    assert len(ev) == 1 and ev[0].entity_id == "dem"
    assert ev[0].before["tax_system"] == "usn_income" and ev[0].after["tax_system"] == "osn"
    # Saving the same again records nothing new.
    fs.save(admin, "dem", FiscalInput(mode="atol_web", tax_system="osn"))
    assert len(audit(fresh_db, "payee.fiscal")) == 1


@pytest.mark.parametrize("role", ["cashier", "manager"])
def test_only_an_admin_may_change_them(fresh_db, role: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        fs.save(ctx_for(fresh_db, role), "dem", FiscalInput(mode="none"))
    with pytest.raises(PermissionDenied):
        fs.set_cashier(ctx_for(fresh_db, role), "cashier", "Иванова И. И.", None)
    assert audit(fresh_db, "payee.fiscal") == []


def test_every_problem_at_once_each_naming_its_field(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    before = row(fresh_db, "interra")
    assert before is not None
    with pytest.raises(PayeeProblems) as err:
        fs.save(admin, "interra", FiscalInput(mode="atol_web", url="ftp://x", supplier_inn="1234567890",
                                              agent_phone="12", tax_system="flat"))
    fields = err.value.fields
    assert any("Адрес ККТ" in f for f in fields) and "ИНН поставщика" in fields
    assert "Телефон платёжного агента" in fields and "Система налогообложения" in fields
    assert all(isinstance(p, ValidationError) for p in err.value.problems)
    after = row(fresh_db, "interra")
    assert after is not None and after.url == before.url and after.tax_system == before.tax_system
    assert audit(fresh_db, "payee.fiscal") == []


def test_atol_online_password_goes_to_the_keyring_only(fresh_db, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    password = "Atol-Pa55-zz9"
    rules = fs.save(admin, "pegas", FiscalInput(mode="atol_online", url="https://online.atol.ru/possystem/v5",
                                                group_code="group-1", login="pegas-api", password=password,
                                                company_email="kassa@pegas.ru", place="https://pegas.ru"))
    assert rules.mode == "atol_online"
    assert memory_keyring.items[("cashier-app", "atol_online:pegas")] == password
    assert fs.secret_for("pegas", rules.url) == password
    assert fs.view(admin, "pegas").secret_source == "keyring"
    # Nowhere in the database: not in the settings row, not in the audit trail.
    with fresh_db.read() as uow:
        dump = json.dumps([[getattr(e, c) for c in ("before", "after")] for e in
                           uow.session.execute(select(m.AuditEvent)).scalars()], ensure_ascii=False, default=str)
    assert password not in dump
    ev = audit(fresh_db, "payee.fiscal")[-1]
    assert ev.after["secret_changed"] is True and ev.after["secret_set"] is True


def test_atol_online_without_a_password_is_refused_and_https_is_required(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    with pytest.raises(PayeeProblems) as err:
        fs.save(admin, "pegas", FiscalInput(mode="atol_online", url="http://atol.example.ru", group_code="g",
                                            login="l", company_email="a@b.ru", place="https://x.ru"))
    assert fs.F_PASSWORD in err.value.fields and "Адрес АТОЛ Онлайн" in err.value.fields
    # No keyring on this machine: the refusal says which variable to set, nothing is written.
    with pytest.raises(PayeeProblems) as err2:
        fs.save(admin, "pegas", FiscalInput(mode="atol_online", url="https://online.atol.ru", group_code="g",
                                            login="l", password="x1", company_email="a@b.ru", place="https://x.ru"))
    assert err2.value.fields == [fs.F_PASSWORD] and "CASHIER_GW_SECRET_ATOL_ONLINE_PEGAS" in str(err2.value)
    assert row(fresh_db, "pegas").mode == "atol_web"  # type: ignore[union-attr]


def test_the_demo_password_only_for_a_loopback_emulator(fresh_db) -> None:  # type: ignore[no-untyped-def]
    assert fs.secret_for("pegas", "http://127.0.0.1:16732") == "demo-pass"
    assert fs.secret_for("pegas", "https://online.atol.ru") is None
    admin = ctx_for(fresh_db, "admin")
    rules = fs.save(admin, "pegas", FiscalInput(mode="atol_online", url="http://127.0.0.1:16732/possystem/v5",
                                                group_code="demo-group", login="demo-login",
                                                company_email="a@b.ru", place="https://x.ru"))
    assert rules.mode == "atol_online" and fs.view(admin, "pegas").secret_source == "demo"


def test_mode_none_and_register_url_per_desk(fresh_db, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASHIER_CONFIG_DIR", str(tmp_path / "cfg"))
    admin = ctx_for(fresh_db, "admin")
    with fresh_db.read() as uow:
        dem = uow.session.execute(select(m.Payee).where(m.Payee.code == "dem")).scalar_one().id
    assert fs.register_url_for(admin, dem) == "http://127.0.0.1:16732"
    fs.set_desk_register(admin, "http://127.0.0.1:16800/")
    assert fs.register_url_for(admin, dem) == "http://127.0.0.1:16800"
    assert audit(fresh_db, "desk.fiscal_register")[-1].after == {"url": "http://127.0.0.1:16800"}
    with pytest.raises(PayeeProblems):
        fs.set_desk_register(admin, "not a url")
    fs.set_desk_register(admin, None)
    assert fs.register_url_for(admin, dem) == "http://127.0.0.1:16732"
    fs.save(admin, "dem", FiscalInput(mode="none"))
    assert fs.register_url_for(admin, dem) is None and fs.get_rules(admin, dem).mode == "none"  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied):
        fs.set_desk_register(ctx_for(fresh_db, "cashier"), "http://127.0.0.1:1")


def test_cashier_fiscal_name_and_inn(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    got = fs.set_cashier(admin, "cashier", "  Смирнова   О. Н. ", "5001 2345 6750")
    assert got.name == "Смирнова О. Н." and got.inn == "500123456750"
    with fresh_db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == "cashier")).scalar_one()
        assert fs.operator_for(uow.session, u.id).name == "Смирнова О. Н."
    assert audit(fresh_db, "user.fiscal")[-1].after == {"fiscal_name": "Смирнова О. Н.", "fiscal_inn": "500123456750"}
    for bad in ("500123456751", "7707083893", "12345"):
        with pytest.raises(ValidationError) as err:
            fs.set_cashier(admin, "cashier", None, bad)
        assert err.value.field == fs.F_CASHIER_INN
    with pytest.raises(NotFound):
        fs.set_cashier(admin, "nobody", None, None)
