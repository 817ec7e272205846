"""Registers and reconciliation against a real office database and a real billing emulator (port 0)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from cashier_app.domain.errors import PermissionDenied, ValidationError
from cashier_app.services import corrections, office_settings, office_time, registry_export, registry_layouts
from cashier_app.services import registry_reconcile as rr
from cashier_app.services.billing import delivery
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.billing.helpers import ctx_for, isp_payee, open_desk, pay, start_billing, wire
from tests.registry import onec_parser


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_BILLING_TIMEOUTS", "1,1")


def _office(db: Database, dialect: str) -> Iterator[tuple[Any, str, list[str]]]:
    srv = start_billing(dialect)
    try:
        code, numbers = wire(db, srv, dialect, 6)
        yield srv, code, numbers
    finally:
        srv.stop()


@pytest.fixture
def abills(fresh_db: Database) -> Iterator[tuple[Any, str, list[str]]]:
    yield from _office(fresh_db, "abills")


@pytest.fixture
def ubilling(fresh_db: Database) -> Iterator[tuple[Any, str, list[str]]]:
    yield from _office(fresh_db, "ubilling")


def _pay_three(db: Database, numbers: list[str]) -> list[Any]:
    ctx = open_desk(db)
    done = [pay(ctx, numbers[i], 10_000 + i) for i in range(3)]
    delivery.deliver_due(db, timeout=1.0)
    return done


def _billing_file(tmp_path: Path, text: str, name: str = "billing.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _rows(text: str) -> list[str]:
    return text.strip("\r\n").split("\r\n")


def test_billing_list_agrees_then_each_kind_of_difference(fresh_db: Database, abills: Any, tmp_path: Path) -> None:
    srv, code, numbers = abills
    _pay_three(fresh_db, numbers)
    mgr = ctx_for(fresh_db, "manager")
    text = srv.registry()
    res = rr.reconcile(mgr, code, _billing_file(tmp_path, text))
    assert res.agrees and res.matched == 3 and res.matched_minor == 30_003 == res.billing_minor == res.app_minor

    head, first, second, third = _rows(text)
    changed = third.rsplit(";", 2)
    changed[1] = "100.10"  # the billing credited 10 kopecks more
    stranger = f"999000000000001;800001;{numbers[5]};55.00;{first.rsplit(';', 1)[1]}"
    crafted = "\r\n".join([head, first, first, ";".join(changed), stranger]) + "\r\n"  # `second` is lost
    report = tmp_path / "report.csv"
    res = rr.reconcile(mgr, code, _billing_file(tmp_path, crafted, "b2.csv"), report=str(report))
    assert not res.agrees
    kinds = sorted(d.kind for d in res.differences)
    assert kinds == ["amount_differs", "duplicate", "only_app", "only_billing"]
    (differs,) = [d for d in res.differences if d.kind == "amount_differs"]
    assert (differs.app_minor, differs.billing_minor) == (10_002, 10_010)
    (lost,) = [d for d in res.differences if d.kind == "only_app"]
    assert lost.txn_id == second.split(";")[0]
    body = report.read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert table[0][:3] == ["Расхождение", "Номер платежа", "Номер операции"]
    assert ["суммы различаются"] == [r[0] for r in table if r and r[0] == "суммы различаются"]
    assert any("100,02" in r and "100,10" in r for r in table)  # rubles with a comma


def test_ubilling_cancel_stays_in_the_billing_and_is_flagged(fresh_db: Database, ubilling: Any,
                                                            tmp_path: Path) -> None:
    srv, code, numbers = ubilling
    paid = _pay_three(fresh_db, numbers)
    corrections.cancel_payment(ctx_for(fresh_db, "manager"), paid[0].payment_number, "ошибка кассира")
    delivery.deliver_due(fresh_db, timeout=1.0)  # ubilling has no cancel: the row is manual
    res = rr.reconcile(ctx_for(fresh_db, "manager"), code, _billing_file(tmp_path, srv.registry()))
    (d,) = res.differences
    assert d.kind == "amount_differs" and d.number == paid[0].payment_number and (d.app_minor, d.billing_minor) == (0, 10_000)


def test_abills_cancel_is_delivered_and_the_lists_agree(fresh_db: Database, abills: Any, tmp_path: Path) -> None:
    srv, code, numbers = abills
    paid = _pay_three(fresh_db, numbers)
    mgr = ctx_for(fresh_db, "manager")
    corrections.cancel_payment(mgr, paid[0].payment_number, "ошибка кассира")
    delivery.deliver_due(fresh_db, timeout=1.0)
    res = rr.reconcile(mgr, code, _billing_file(tmp_path, srv.registry()))
    assert res.agrees and res.matched == 2
    # The day's register shows the cancel as a negative line on the day of the cancel.
    out = tmp_path / "reg.csv"
    exp = registry_export.export(mgr, code, mgr.today(), str(out))
    assert (exp.count, exp.payments_minor, exp.reversals_minor, exp.total_minor) == (4, 30_003, 10_000, 20_003)
    lines = out.read_bytes().decode("cp1251").split("\r\n")
    assert lines[-2] == "ИТОГО;4;200.03"
    assert sum(1 for x in lines if ";-100.00;" in x) == 1
    # The app's own register is an accepted input too (refund folded into its payment).
    res = rr.reconcile(mgr, code, out)
    assert res.agrees and res.matched == 2, res.as_json()


def test_payments_without_a_connector_match_by_account_amount_day(fresh_db: Database, tmp_path: Path) -> None:
    from cashier_app.services.billing import settings as bs

    code = isp_payee(fresh_db)
    bs.disable(ctx_for(fresh_db, "admin"), code)  # the demo office may wire a payee to the sandbox
    ctx = open_desk(fresh_db)
    numbers = _accounts(fresh_db, code)
    pay(ctx, numbers[0], 5_000)
    pay(ctx, numbers[1], 7_000)
    day = ctx.today().isoformat()
    text = f"account;sum;date\r\n{numbers[0]};50,00;{day}\r\n{numbers[1]};70.01;{day}\r\n"
    res = rr.reconcile(ctx_for(fresh_db, "manager"), code, _billing_file(tmp_path, text))
    assert res.matched == 1 and sorted(d.kind for d in res.differences) == ["only_app", "only_billing"]


def _accounts(db: Database, code: str) -> list[str]:
    from tests.billing.helpers import accounts

    return accounts(db, code, 3)


def test_business_day_in_another_zone(fresh_db: Database, tmp_path: Path) -> None:
    admin = ctx_for(fresh_db, "admin")
    office_settings.set_office_zone(admin, "Asia/Vladivostok")  # UTC+10
    office_time.forget(fresh_db)
    try:
        code = isp_payee(fresh_db)
        ctx = open_desk(fresh_db)
        numbers = _accounts(fresh_db, code)
        late, early = pay(ctx, numbers[0], 1_111), pay(ctx, numbers[1], 2_222)
        zone = ZoneInfo("Asia/Vladivostok")
        day = datetime.now(UTC).astimezone(zone).date() - timedelta(days=3)
        # 23:30 office time is 13:30 UTC the same date; 00:30 the next office day is 14:30 UTC — still the
        # same UTC date, so a `.date()` of the UTC instant would put both on one day.
        at_late = datetime(day.year, day.month, day.day, 23, 30, tzinfo=zone).astimezone(UTC)
        at_early = at_late + timedelta(hours=1)
        assert at_late.date() == at_early.date()
        with fresh_db.uow() as uow:
            for p, at in ((late, at_late), (early, at_early)):
                uow.session.execute(update(m.Payment).where(m.Payment.number == p.payment_number).values(settled_at=at))
            uow.commit()
        mgr = ctx_for(fresh_db, "manager")
        registry_layouts.set_layout(admin, code, {"columns": ["number", "date", "amount"], "totals": False})
        by_day = {}
        for d in (day, day + timedelta(days=1)):
            out = tmp_path / f"{d}.csv"
            registry_export.export(mgr, code, d, str(out))
            by_day[d] = {r[0]: r for r in csv.reader(io.StringIO(out.read_bytes().decode("cp1251")), delimiter=";")}
        assert late.payment_number in by_day[day] and late.payment_number not in by_day[day + timedelta(days=1)]
        assert early.payment_number in by_day[day + timedelta(days=1)] and early.payment_number not in by_day[day]
        assert by_day[day][late.payment_number][1:] == [day.strftime("%d.%m.%Y"), "11.11"]
        registry_export.export(mgr, code, day, str(tmp_path / "d1.txt"), fmt="1c")
        docs = onec_parser.parse((tmp_path / "d1.txt").read_bytes()).documents
        (doc,) = [x for x in docs if x["Номер"] == str(int(late.payment_number[2:]))]
        assert onec_parser.day(doc["Дата"]) == day and onec_parser.kopecks(doc["Сумма"]) == 1_111
    finally:
        office_settings.set_office_zone(admin, None)
        office_time.forget(fresh_db)


def test_cp1251_refusal_through_the_service_leaves_no_file(fresh_db: Database, tmp_path: Path) -> None:
    code = isp_payee(fresh_db)
    ctx = open_desk(fresh_db)
    number = _accounts(fresh_db, code)[0]
    p = pay(ctx, number, 3_000)
    with fresh_db.uow() as uow:
        acc = uow.session.query(m.Account).filter_by(number=number).one()
        acc.contract.full_name = "Ким Чжон 金"
        uow.commit()
    out = tmp_path / "r.csv"
    with pytest.raises(ValidationError) as exc:
        registry_export.export(ctx_for(fresh_db, "manager"), code, ctx.today(), str(out))
    assert exc.value.field == "ФИО" and p.payment_number in exc.value.message
    assert not out.exists() and not list(tmp_path.glob(".r.csv.*"))


def test_permissions_and_audited_layout(fresh_db: Database, tmp_path: Path) -> None:
    code = isp_payee(fresh_db)
    cashier = ctx_for(fresh_db, "cashier")
    with pytest.raises(PermissionDenied):
        registry_export.export(cashier, code, cashier.today(), str(tmp_path / "x.csv"))
    with pytest.raises(PermissionDenied):
        registry_layouts.set_layout(ctx_for(fresh_db, "manager"), code, {"columns": ["amount"]})
    admin = ctx_for(fresh_db, "admin")
    registry_layouts.set_layout(admin, code, {"columns": ["txn_id", "amount"], "encoding": "utf-8"})
    registry_layouts.set_layout(admin, code, {"columns": ["txn_id", "amount"], "encoding": "utf-8"})  # no change
    with fresh_db.read() as uow:
        events = uow.session.query(m.AuditEvent).filter_by(action="payee.registry_layout").all()
    assert len(events) == 1
    assert registry_layouts.show(admin, code)["layout"]["columns"] == ["txn_id", "amount"]
    with pytest.raises(ValidationError):
        registry_layouts.set_layout(admin, code, {"columns": ["txn_id", "amount"], "separator": "x"})
