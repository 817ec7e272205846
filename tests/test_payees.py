"""Payees and gateway settings for the administrator: validation, roles, audit, secrets, CA file, CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import certifi
import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from sqlalchemy import func, select

from cashier_app.domain.errors import NotFound, PermissionDenied, RuleViolation
from cashier_app.services import card_gateway, card_orders, card_payments, payees
from cashier_app.services.payees import PayeeInput, PayeeProblems
from cashier_app.storage import models as m
from tests.test_ledger import ctx_for

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-Pa55-zz9"
PEM = (b"-----BEGIN CERTIFICATE-----\nMIIBextraRussianTrustedRootCAforTestsOnly\n-----END CERTIFICATE-----\n")

# Real, valid requisites (STANDARDS §1 «Test data trap»): ПАО Сбербанк.
VALID = PayeeInput(
    code="sbertest", kind="isp", name="ООО «Проверка»", inn="7707083893", kpp="773601001",
    account="40702810138250123017", bank_name="ПАО СБЕРБАНК", bic="044525225",
    corr_account="30101810400000000225", postal_index="117997", address="г. Москва, ул. Вавилова, д. 19",
    purpose_template="Оплата услуг связи по л/с {account}", tech_code="09",
)


def payee_count(db) -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(func.count()).select_from(m.Payee)).scalar_one()


def audit_rows(db, action: str) -> list[m.AuditEvent]:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return list(uow.session.execute(
            select(m.AuditEvent).where(m.AuditEvent.action == action).order_by(m.AuditEvent.id)).scalars())


def test_this_machine_has_no_keyring_backend() -> None:
    # The env-variable guidance below is what a desk without a keyring sees; if this machine ever
    # gains a backend, the secret tests must be rewritten, not silently pass the other branch.
    assert isinstance(keyring.get_keyring(), FailKeyring)


# --- requisites ---------------------------------------------------------------------------------------

def test_create_then_update_with_audit_before_after(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    n = payee_count(fresh_db)
    spaced = dataclasses.replace(VALID, inn=" 7707 083 893 ", account="40702 810 1382 5012 3017", kpp="773601001")
    res = payees.save_payee(admin, spaced)
    assert res.created and res.changed and payee_count(fresh_db) == n + 1
    row = payees.get(admin, "sbertest")
    assert row.inn == "7707083893" and row.account == "40702810138250123017"  # stored cleaned
    ev = audit_rows(fresh_db, "payee.create")
    assert len(ev) == 1 and ev[0].before is None and ev[0].after["inn"] == "7707083893"
    assert ev[0].user_login == admin.user.login and ev[0].role == "admin"

    res = payees.save_payee(admin, dataclasses.replace(VALID, name="ООО «Проверка-2»", postal_index="117998"))
    assert not res.created and res.changed and res.payee.name == "ООО «Проверка-2»"
    ev = audit_rows(fresh_db, "payee.update")
    assert ev[-1].before == {"name": "ООО «Проверка»", "postal_index": "117997"}
    assert ev[-1].after == {"name": "ООО «Проверка-2»", "postal_index": "117998"}
    # Saving the same values again changes nothing and records nothing.
    again = payees.save_payee(admin, dataclasses.replace(VALID, name="ООО «Проверка-2»", postal_index="117998"))
    assert not again.changed and len(audit_rows(fresh_db, "payee.update")) == 1


BAD_FIELDS = [
    ("code", "Sber Test", "Код"),
    ("code", "x", "Код"),
    ("kind", "bank", "Вид"),
    ("name", "", "Наименование"),
    ("name", "Я" * 161, "Наименование"),
    ("inn", "7707083894", "ИНН"),
    ("kpp", "77360100", "КПП"),
    ("account", "40702810138250123018", "Расчётный счёт"),
    ("bank_name", "", "Банк"),
    ("bank_name", "Б" * 46, "Банк"),
    ("bic", "044525226", "Расчётный счёт"),  # a БИК typo breaks the account's control key
    ("bic", "14452522", "БИК"),
    ("corr_account", "30101810400000000226", "Корр. счёт"),
    ("postal_index", "11799", "Индекс"),
    ("postal_index", "1179970", "Индекс"),
    ("address", "   ", "Адрес"),
    ("purpose_template", "Оплата услуг связи", "Назначение платежа"),
    ("purpose_template", "Оплата по заявке {booking}", "Назначение платежа"),
    ("purpose_template", "Оплата {account", "Назначение платежа"),
    ("purpose_template", "Оплата {account} {amount}", "Назначение платежа"),
    ("purpose_template", "{account}" + "я" * 202, "Назначение платежа"),
    ("tech_code", "10", "TechCode"),
    ("tech_code", "11", "TechCode"),  # 11 is travel; this payee is an ISP
]


@pytest.mark.parametrize(("attr", "value", "field"), BAD_FIELDS)
def test_each_wrong_field_is_refused_by_name_and_nothing_written(fresh_db, attr, value, field) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    n = payee_count(fresh_db)
    with pytest.raises(PayeeProblems) as err:
        payees.save_payee(admin, dataclasses.replace(VALID, **{attr: value}))
    assert field in err.value.fields, err.value.reasons
    assert all(r.startswith(f) for r, f in zip(err.value.reasons, err.value.fields, strict=True))
    assert payee_count(fresh_db) == n and not audit_rows(fresh_db, "payee.create")


def test_every_problem_at_once_and_update_refusal_keeps_the_old_values(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    bad = dataclasses.replace(VALID, code="interra", inn="123", postal_index="", bank_name="", tech_code="")
    with pytest.raises(RuleViolation) as err:
        payees.save_payee(admin, bad)
    fields = err.value.fields  # type: ignore[attr-defined]
    assert {"ИНН", "Индекс", "Банк", "TechCode"} <= set(fields)
    assert payees.get(admin, "interra").inn == "4027001231"
    assert not audit_rows(fresh_db, "payee.update")


def test_ip_has_no_kpp_and_travel_needs_booking(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    with pytest.raises(PayeeProblems) as err:
        payees.save_payee(admin, dataclasses.replace(VALID, inn="500100732259"))  # a valid 12-digit ИНН
    assert err.value.fields == ["КПП"]
    res = payees.save_payee(admin, dataclasses.replace(VALID, inn="500100732259", kpp=""))
    assert res.payee.kpp is None
    travel = dataclasses.replace(VALID, code="tourco", kind="travel", tech_code="11",
                                 purpose_template="Оплата туристских услуг по заявке {booking}")
    assert payees.save_payee(admin, travel).created


def test_create_flag_refuses_an_existing_code_and_kind_change_with_payments(fresh_db) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    with pytest.raises(PayeeProblems) as err:
        payees.save_payee(admin, dataclasses.replace(VALID, code="interra"), create=True)
    assert err.value.fields[0] == "Код" and "уже занят" in err.value.reasons[0]
    with pytest.raises(PayeeProblems) as err:
        payees.save_payee(admin, VALID, create=False)
    assert err.value.fields == ["Код"]
    row = payees.get(admin, "interra")
    to_travel = PayeeInput(**{f.name: getattr(row, f.name) for f in dataclasses.fields(PayeeInput)})
    to_travel = dataclasses.replace(to_travel, kind="travel", tech_code="11",
                                    purpose_template="Оплата по заявке {booking}")
    with pytest.raises(PayeeProblems) as err:
        payees.save_payee(admin, to_travel)
    assert err.value.fields == ["Вид"]


@pytest.mark.parametrize("role", ["cashier", "manager"])
def test_cashier_and_manager_are_refused(fresh_db, role) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(fresh_db, role)
    assert {r.code for r in payees.list_payees(ctx)} >= {"interra", "pegas"}  # reading is for everyone
    with pytest.raises(PermissionDenied):
        payees.list_for_admin(ctx)
    with pytest.raises(PermissionDenied):
        payees.save_payee(ctx, VALID)
    with pytest.raises(PermissionDenied):
        payees.set_gateway(ctx, "interra", "sberbank", "https://securepayments.sberbank.ru", "x")
    with pytest.raises(PermissionDenied):
        payees.gateway_status(ctx, "interra")
    assert not audit_rows(fresh_db, "payee.create") and not audit_rows(fresh_db, "payee.gateway")


def test_unknown_payee_is_not_found(demo_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        payees.get(ctx_for(demo_db, "admin"), "nobody")


# --- gateway ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "ok"), [
    ("https://securepayments.sberbank.ru", True),
    ("https://securepay.tinkoff.ru/v2/", True),
    ("http://127.0.0.1:8765", True),
    ("http://localhost:8765", True),
    ("http://securepayments.sberbank.ru", False),
    ("ftp://securepayments.sberbank.ru", False),
    ("securepayments.sberbank.ru", False),
    ("https://", False),
    ("https://user:pass@securepayments.sberbank.ru", False),
    ("https://securepayments.sberbank.ru/?userName=x", False),
    ("https://host:99999", False),
    ("", False),
])
def test_gateway_url_rules(fresh_db, url, ok) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    if ok:
        st = payees.set_gateway(admin, "interra", "sberbank", url, "api-login")
        assert st.base_url == url.rstrip("/")
    else:
        with pytest.raises(PayeeProblems) as err:
            payees.set_gateway(admin, "interra", "sberbank", url, "api-login")
        assert err.value.fields == ["Адрес шлюза"]
        assert payees.get(admin, "interra").gateway_login == "demo-api"  # nothing written


def test_gateway_other_fields_refused_by_name(fresh_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    url = "https://securepay.tinkoff.ru/v2"
    cases = [
        (("visa", url, "T1", None), "Шлюз"),
        (("tbank", url, "", None), "Логин / терминал"),
        (("tbank", url, "T" * 21, None), "Логин / терминал"),  # TerminalKey ≤ 20
        (("tbank", url, "T 1", None), "Логин / терминал"),
        (("tbank", url, "T1", str(tmp_path / "missing.pem")), "Файл сертификата"),
    ]
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    cases.append((("tbank", url, "T1", str(not_pem)), "Файл сертификата"))
    for args, field in cases:
        with pytest.raises(PayeeProblems) as err:
            payees.set_gateway(admin, "dem", *args)
        assert err.value.fields == [field], (args, err.value.reasons)
    assert not audit_rows(fresh_db, "payee.gateway")


def test_secret_without_keyring_names_the_env_variable_and_leaks_nowhere(fresh_db, caplog) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    before = payees.get(admin, "dem")
    with pytest.raises(PayeeProblems) as err:
        payees.set_gateway(admin, "dem", "tbank", "https://securepay.tinkoff.ru/v2", "Term1", None, SECRET)
    assert err.value.fields == ["Секрет"]
    assert "CASHIER_GW_SECRET_TBANK_DEM" in str(err.value) and SECRET not in str(err.value)
    assert SECRET not in repr(err.value.problems) and SECRET not in caplog.text
    assert payees.get(admin, "dem") == before  # the refusal wrote nothing
    assert not audit_rows(fresh_db, "payee.gateway")


def test_gateway_status_and_audit_carry_no_secret(fresh_db, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    admin = ctx_for(fresh_db, "admin")
    monkeypatch.delenv("CASHIER_GW_SECRET_TBANK_DEM", raising=False)
    assert payees.gateway_status(admin, "dem").secret_source == "demo"  # the loopback sandbox
    ca = tmp_path / "russian_trusted_root_ca.pem"
    ca.write_bytes(PEM)
    st = payees.set_gateway(admin, "dem", "tbank", "https://securepay.tinkoff.ru/v2", "Term1", str(ca))
    assert st.secret_source is None and st.secret_text == "не задан"
    assert st.ca_file == str(ca.resolve())
    monkeypatch.setenv("CASHIER_GW_SECRET_TBANK_DEM", SECRET)
    st = payees.gateway_status(admin, "dem")
    assert st.secret_source == "env" and st.secret_env == "CASHIER_GW_SECRET_TBANK_DEM"
    assert SECRET not in json.dumps(st.as_json()) and SECRET not in repr(st)
    ev = audit_rows(fresh_db, "payee.gateway")
    assert len(ev) == 1
    assert ev[0].before == {"provider": "tbank", "base_url": "http://127.0.0.1:8765", "login": "DemoTerminal",
                            "ca_file": None, "secret_set": True}
    assert ev[0].after["base_url"] == "https://securepay.tinkoff.ru/v2" and ev[0].after["secret_set"] is False
    assert ev[0].after["secret_changed"] is False
    with fresh_db.read() as uow:
        dump = json.dumps([(e.before, e.after) for e in uow.session.execute(select(m.AuditEvent)).scalars()],
                          ensure_ascii=False)
    assert SECRET not in dump
    # Clearing the gateway leaves no settings behind.
    st = payees.set_gateway(admin, "dem", None, None, None)
    assert st.provider is None and payees.get(admin, "dem").gateway_base_url is None


def test_ca_file_reaches_the_card_client(fresh_db, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A payee's extra CA is verified against together with certifi's roots, not instead of them."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CASHIER_GW_SECRET_TBANK_DEM", SECRET)
    admin = ctx_for(fresh_db, "admin")
    ca = tmp_path / "russian_trusted_root_ca.pem"
    ca.write_bytes(PEM)
    payees.set_gateway(admin, "dem", "tbank", "https://rest-api-test.tinkoff.ru/v2", "TermKey", str(ca))
    from cashier_app.services import shifts

    cashier = ctx_for(fresh_db, "cashier")
    shifts.open_shift(cashier, 0)
    order = card_payments.open_order(cashier, account="0000001", amount_minor=10_000)  # «dem»
    with fresh_db.read() as uow:
        row = card_orders._snapshot(uow.session, card_orders._order_row(uow.session, order.order_number))
    assert row.ca_file == str(ca.resolve())
    client = card_gateway._client(row)
    verify = client._http.verify  # type: ignore[attr-defined]
    assert isinstance(verify, str) and verify != certifi.where()
    bundle = Path(verify).read_bytes()
    assert PEM.strip() in bundle and Path(certifi.where()).read_bytes().strip() in bundle
    # Without a CA file the client verifies with certifi's roots as they are.
    payees.set_gateway(admin, "dem", "tbank", "https://rest-api-test.tinkoff.ru/v2", "TermKey", None)
    with fresh_db.read() as uow:
        row = card_orders._snapshot(uow.session, card_orders._order_row(uow.session, order.order_number))
    assert card_gateway._client(row)._http.verify is True  # type: ignore[attr-defined]


# --- CLI ----------------------------------------------------------------------------------------------

def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        user: str = "admin") -> subprocess.CompletedProcess[str]:
    from tests.test_cli import as_user, clean_env

    return subprocess.run([sys.executable, "-m", "cashier_app", *args], capture_output=True, text=True,
                          input=stdin, timeout=90, cwd=ROOT, env=clean_env({**as_user(user), **(env or {})}))


def test_cli_list_show_set_gateway(fresh_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = ["--db", str(fresh_db.engine.url)]
    proc = cli("payees", "list", "--json", *db)
    assert proc.returncode == 0, proc.stderr
    assert {json.loads(x)["code"] for x in proc.stdout.splitlines()} >= {"interra", "dem", "pegas"}

    new = ["--name", "ООО «Новая»", "--inn", "7707083893", "--kpp", "773601001", "--account",
           "40702810138250123017", "--bank-name", "ПАО СБЕРБАНК", "--bic", "044525225", "--corr-account",
           "30101810400000000225", "--postal-index", "117997", "--address", "г. Москва", "--purpose",
           "Оплата по л/с {account}", "--tech-code", "09", "--kind", "isp"]
    proc = cli("payees", "set", "newco", *new[:6], "--postal-index", "1234", *db)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) >= 5 and any("Индекс:" in x for x in lines) and any("Банк:" in x for x in lines)
    proc = cli("payees", "set", "newco", *new, *db)
    assert proc.returncode == 0 and "создан" in proc.stdout, proc.stderr
    proc = cli("payees", "set", "newco", "--postal-index", "117998", *db)
    assert proc.returncode == 0 and "изменён" in proc.stdout, proc.stderr
    proc = cli("payees", "set", "newco", "--postal-index", "117999", *db, user="cashier")
    assert proc.returncode == 2 and "Недостаточно прав" in proc.stderr

    gw = ["payees", "gateway", "newco", "--provider", "tbank", "--url", "https://securepay.tinkoff.ru/v2",
          "--login", "Term1"]
    proc = cli(*gw, "--secret-stdin", *db, stdin=SECRET + "\n")
    assert proc.returncode == 2 and "CASHIER_GW_SECRET_TBANK_NEWCO" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
    proc = cli("payees", "gateway", "newco", "--provider", "tbank", "--url", "http://pay.example",
               "--login", "", *db)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 2  # the URL and the login, one line each
    proc = cli(*gw, *db)
    assert proc.returncode == 0 and "секрет: не задан" in proc.stdout, proc.stderr
    proc = cli("payees", "show", "newco", "--json", *db, env={"CASHIER_GW_SECRET_TBANK_NEWCO": SECRET})
    shown = json.loads(proc.stdout)
    assert shown["postal_index"] == "117998" and shown["gateway"]["secret"] == "env"
    assert SECRET not in proc.stdout
    proc = cli("payees", "show", "nobody", *db)
    assert proc.returncode == 2 and "не найден" in proc.stderr


def test_postgresql_create_refusal_and_audit(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: a new payee takes its id after the demo's explicit ones; refusals write nothing."""
    from cashier_app.services.bootstrap import open_database

    db = open_database(pg_database_factory(demo={"accounts": 20}))
    try:
        admin = ctx_for(db, "admin")
        n = payee_count(db)
        with pytest.raises(PayeeProblems):
            payees.save_payee(admin, dataclasses.replace(VALID, bic="044525226"))
        assert payee_count(db) == n and not audit_rows(db, "payee.create")
        res = payees.save_payee(admin, VALID)
        assert res.created and payee_count(db) == n + 1
        st = payees.set_gateway(admin, VALID.code, "sberbank", "https://securepayments.sberbank.ru", "api")
        assert st.secret_source is None  # a real bank URL never gets the sandbox's demo secret
        assert [e.action for e in audit_rows(db, "payee.create") + audit_rows(db, "payee.gateway")] == [
            "payee.create", "payee.gateway"]
    finally:
        db.dispose()
