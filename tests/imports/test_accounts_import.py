"""Accounts import on a real SQLite and a real PostgreSQL office: upsert, idempotence, closing,
all-or-nothing, lookup (issue 14).

Every test runs on both: PostgreSQL writes the new rows with ``COPY`` (``bulk_insert``), SQLite
with ``executemany`` and refreshed planner statistics — the same outcomes must hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cashier_app.domain.errors import PermissionDenied, ValidationError
from cashier_app.services import lookup
from cashier_app.services.importing import accounts_import as ai
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.imports.helpers import admin, row, write
from tests.race_helpers import desk_ctx


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request: pytest.FixtureRequest, fresh_db: Database) -> Iterator[Database]:
    """The conftest's SQLite demo office, or a PostgreSQL one copied from the demo template."""
    if request.param == "sqlite":
        yield fresh_db
        return
    from cashier_app.services.bootstrap import open_database

    db = open_database(request.getfixturevalue("pg_database_factory")(demo={"accounts": 2000}))
    yield db
    db.dispose()


def _acc(db: Database, number: str) -> m.Account | None:
    with db.read() as uow:
        return uow.session.execute(select(m.Account).where(m.Account.number == number)).scalar_one_or_none()


def _count(db: Database, model: type) -> int:
    with db.read() as uow:
        return int(uow.session.execute(select(func.count()).select_from(model)).scalar_one())


def test_import_then_same_file_changes_nothing_and_says_so(fresh_db: Database, tmp_path: Path) -> None:
    p = write(tmp_path / "a.csv", [row(1, services="ТВ, IP-адрес"), row(2, blocked="да", contract="k-9")])
    rep = ai.run(admin(fresh_db), p, payee_code="nts", partial=True)
    assert (rep.created, rep.updated, rep.bad_total, rep.written) == (2, 0, 0, True)
    a = _acc(fresh_db, "770001")
    assert a is not None and a.balance_minor == 150 and a.login == "imp1" and a.block_state == "active"
    assert a.contract.number == "770001" and a.contract.street == "ул. Импортная" and a.contract.house == "1"
    assert a.tariff is not None and a.tariff.name == "Импорт 300" and a.tariff.monthly_fee_minor == 30000
    assert {s.service_id for s in a.services} and len(a.services) == 2
    b = _acc(fresh_db, "770002")
    assert b is not None and b.block_state == "admin" and not b.internet_on and b.contract.number == "K-9"
    events = _count(fresh_db, m.AuditEvent)
    again = ai.run(admin(fresh_db), p, payee_code="nts", partial=True)
    assert (again.created, again.updated, again.unchanged, again.written, again.same_file) == (0, 0, 2, False, True)
    assert any(w.startswith("Изменений нет: файл уже загружен") for w in again.warnings)
    assert _count(fresh_db, m.AuditEvent) == events + 1  # audited once per import, with counts
    with fresh_db.read() as uow:
        ev = uow.session.execute(select(m.AuditEvent).order_by(m.AuditEvent.id.desc()).limit(1)).scalar_one()
    assert ev.action == "import.accounts" and ev.after["file"] == "a.csv" and ev.after["unchanged"] == 2


def test_changed_row_updates_only_what_changed(fresh_db: Database, tmp_path: Path) -> None:
    ai.run(admin(fresh_db), write(tmp_path / "a.csv", [row(1), row(2)]), payee_code="nts", partial=True)
    before = _acc(fresh_db, "770002")
    rep = ai.run(admin(fresh_db), write(tmp_path / "b.csv", [row(1), row(2, balance="-10")]),
                 payee_code="nts", partial=True)
    assert (rep.created, rep.updated, rep.unchanged) == (0, 1, 1)
    after = _acc(fresh_db, "770002")
    assert after.balance_minor == -1000 and after.contract.full_name == before.contract.full_name


def test_missing_account_closed_payments_stay_and_reopened_when_back(fresh_db: Database, tmp_path: Path) -> None:
    with fresh_db.read() as uow:
        s = uow.session
        nts = s.execute(select(m.Payee.id).where(m.Payee.code == "nts")).scalar_one()
        listed = s.execute(select(func.count()).select_from(m.Account).join(m.Contract)
                           .where(m.Contract.payee_id == nts)).scalar_one()
        paid = s.execute(select(m.Payment.account_id).join(m.Account).join(m.Contract)
                         .where(m.Contract.payee_id == nts)).scalars().first()
        paid_number = s.execute(select(m.Account.number).where(m.Account.id == paid)).scalar_one()
    payments = _count(fresh_db, m.Payment)
    rep = ai.run(admin(fresh_db), write(tmp_path / "a.csv", [row(1)]), payee_code="nts")
    assert rep.closed == listed  # a full export: every other nts account is gone from the billing
    closed = _acc(fresh_db, paid_number)
    assert closed is not None and closed.closed_on == admin(fresh_db).today()
    assert _count(fresh_db, m.Payment) == payments  # never deleted, payments stay
    back = ai.run(admin(fresh_db), write(tmp_path / "b.csv", [row(1), {**row(5), "number": paid_number}]),
                  payee_code="nts", partial=True)
    assert back.reopened == 1 and _acc(fresh_db, paid_number).closed_on is None


def test_one_bad_row_writes_nothing_and_names_line_and_column(fresh_db: Database, tmp_path: Path) -> None:
    accounts = _count(fresh_db, m.Account)
    p = write(tmp_path / "a.csv", [row(1), row(2, balance="12,3,4"), row(3, full_name="")])
    rep = ai.run(admin(fresh_db), p, payee_code="nts")
    assert rep.bad_total == 2 and not rep.written
    assert [(e.line, e.column, e.message) for e in rep.bad] == [
        (3, "balance", 'не число: "12,3,4"'), (4, "full_name", "пусто — значение обязательно")]
    assert _count(fresh_db, m.Account) == accounts and _acc(fresh_db, "770001") is None
    with fresh_db.read() as uow:
        run = uow.session.execute(select(m.ImportRun).order_by(m.ImportRun.id.desc()).limit(1)).scalar_one()
    assert run.state == "failed"


def test_skip_bad_imports_the_good_and_reports_the_rest(fresh_db: Database, tmp_path: Path) -> None:
    p = write(tmp_path / "a.csv", [row(1), row(2, balance="1e3"), row(1, full_name="Дубль")])
    rep = ai.run(admin(fresh_db), p, payee_code="nts", skip_bad=True)
    assert rep.created == 1 and rep.bad_total == 2 and rep.skipped_report
    text = Path(rep.skipped_report).read_text(encoding="utf-8-sig")
    assert "1e3" in text and "дважды" in text
    # The bad row's account is in the export: it was not closed as missing (it never existed here).
    assert _acc(fresh_db, "770001").contract.full_name == "Импортов Абонент 1"


def test_dry_run_counts_and_writes_nothing(fresh_db: Database, tmp_path: Path) -> None:
    rep = ai.run(admin(fresh_db), write(tmp_path / "a.csv", [row(1)]), payee_code="nts", dry_run=True)
    assert rep.created == 1 and rep.closed > 0 and not rep.written
    assert _acc(fresh_db, "770001") is None


def test_imported_subscriber_found_by_account_name_phone_and_address(fresh_db: Database, tmp_path: Path) -> None:
    ai.run(admin(fresh_db), write(tmp_path / "a.csv", [row(4321, full_name="Ёлкина Злата Игоревна",
                                                          phone="8 (920) 555-43-21")]),
           payee_code="nts", partial=True)
    ctx = desk_ctx(fresh_db, "cashier", "import-test")
    for query in ("774321", "Елкина Злата", "+7 920 555 43 21", "Импортная 4321", "imp4321"):
        hits = lookup.search(ctx, query).hits
        assert any(h.number == "774321" for h in hits), query


def test_unsent_payments_added_to_the_billing_balance(fresh_db: Database, tmp_path: Path) -> None:
    """The billing's balance lacks a payment still in the outbox: the account keeps it on top."""
    ai.run(admin(fresh_db), write(tmp_path / "a.csv", [row(1)]), payee_code="nts", partial=True)
    from datetime import UTC, datetime

    with fresh_db.uow() as uow:
        s = uow.session
        acc = s.execute(select(m.Account).where(m.Account.number == "770001")).scalar_one()
        pay = s.execute(select(m.Payment).limit(1)).scalar_one()
        now = datetime.now(UTC)
        s.add(m.BillingDelivery(payment_id=pay.id, operation="pay", payee_id=acc.contract.payee_id, txn_id="1",
                                account_number="770001", amount_minor=70000, txn_date="20260101000000",
                                state="pending", desk="t", created_at=now, updated_at=now))
        uow.commit()
    rep = ai.run(admin(fresh_db), write(tmp_path / "b.csv", [row(1, balance="100")]), payee_code="nts", partial=True)
    assert _acc(fresh_db, "770001").balance_minor == 10000 + 70000
    assert any("не доставленные" in w for w in rep.warnings)


def test_account_of_another_payee_is_a_bad_row(fresh_db: Database, tmp_path: Path) -> None:
    with fresh_db.read() as uow:
        other = uow.session.execute(select(m.Account.number).join(m.Contract).join(m.Payee)
                                    .where(m.Payee.code == "interra")).scalars().first()
    rep = ai.run(admin(fresh_db), write(tmp_path / "a.csv", [{**row(1), "number": other}]), payee_code="nts",
                 partial=True)
    assert rep.bad_total == 1 and "другому получателю" in rep.bad[0].message


def test_only_the_admin_imports_and_required_columns_named(fresh_db: Database, tmp_path: Path) -> None:
    p = write(tmp_path / "a.csv", [row(1)])
    with pytest.raises(PermissionDenied):
        ai.run(desk_ctx(fresh_db, "manager", "t"), p, payee_code="nts")
    q = write(tmp_path / "b.csv", [row(1)], header=["number", "balance"])
    with pytest.raises(ValidationError, match="full_name"):
        ai.run(admin(fresh_db), q, payee_code="nts")
    with pytest.raises(ValidationError, match="нет получателя"):
        ai.run(admin(fresh_db), p, payee_code="nope")


def test_cancel_writes_nothing(fresh_db: Database, tmp_path: Path) -> None:
    p = write(tmp_path / "a.csv", [row(i) for i in range(1, ai.CHUNK + 10)])
    rep = ai.run(admin(fresh_db), p, payee_code="nts", partial=True, cancel=lambda: True)
    assert rep.cancelled and not rep.written and _acc(fresh_db, "770001") is None


def test_preview_maps_the_preset_and_names_missing_fields(tmp_path: Path) -> None:
    p = write(tmp_path / "abills.csv", [{"UID": "1", "FIO": "Ёлкин Иван", "DEPOSIT": "-5,00", "TP_NAME": "Тариф"}],
              header=["UID", "FIO", "DEPOSIT", "TP_NAME"], enc="cp1251")
    pv = ai.preview(p, preset="abills", rows=5)
    assert pv.encoding == "cp1251" and pv.mapping == {"UID": "number", "FIO": "full_name", "DEPOSIT": "balance",
                                                      "TP_NAME": "tariff"}
    assert pv.unmapped_required == [] and len(pv.rows) == 1
    assert ai.preview(p, preset="generic").unmapped_required == ["number", "full_name"]


def test_empty_full_export_closes_nothing(fresh_db: Database, tmp_path: Path) -> None:
    rep = ai.run(admin(fresh_db), write(tmp_path / "a.csv", []), payee_code="nts")
    assert rep.closed == 0 and any("нет ни одного счёта" in w for w in rep.warnings)


def test_same_file_message_is_on_the_office_clock(fresh_db: Database, tmp_path: Path) -> None:
    from cashier_app.services import office_time

    with fresh_db.uow() as uow:
        uow.session.merge(m.Setting(key=office_time.ZONE_KEY, value="Asia/Vladivostok"))  # UTC+10
        uow.commit()
    office_time.forget(fresh_db)
    p = write(tmp_path / "z.csv", [row(1)])
    ai.run(admin(fresh_db), p, payee_code="nts", partial=True)
    again = ai.run(admin(fresh_db), p, payee_code="nts", partial=True)
    with fresh_db.read() as uow:
        done = uow.session.execute(select(m.ImportRun.finished_at).where(m.ImportRun.state == "done")
                                   .order_by(m.ImportRun.id).limit(1)).scalar_one()
    local = done.astimezone(office_time.office_zone(fresh_db))
    assert local.utcoffset() == timedelta(hours=10)
    assert f"Изменений нет: файл уже загружен {local:%d.%m.%Y %H:%M}" in again.warnings
