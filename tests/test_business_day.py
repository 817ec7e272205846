"""Issue 11 §2: the business day is the office's day, whatever the desk clock's zone.

A payment at 01:30 in Moscow on 1 April is 22:30 UTC on 31 March; it must be
recorded on 1 April.  ``probe()`` runs every derivation that turns an instant
into a date (ledger «paid on», the same-day cancel, the travel facts behind
bonus milestones, commission quarters, journal day filters, printed times, the
office's «today») at 00:30 and 23:30 office-local time, in Europe/Moscow and
Asia/Vladivostok and with no zone set (the operating system's).  It runs here
and, through ``python tests/test_business_day.py``, in subprocesses with
``TZ=UTC``, ``TZ=Europe/Moscow`` and ``TZ=Asia/Vladivostok``, so the desk's
zone differs from the office's in every combination.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by the subprocess tests
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from cashier_app.domain.business_day import business_day, day_bounds, day_start, parse_zone  # noqa: E402
from cashier_app.domain.errors import PermissionDenied, RuleViolation, ValidationError  # noqa: E402
from cashier_app.services.context import DeskContext, UserInfo  # noqa: E402
from cashier_app.storage import models as m  # noqa: E402
from cashier_app.storage.db import Database  # noqa: E402

DAY = date(2026, 4, 1)  # the first day of a quarter: a day off moves a payment into Q1
ZONES = ("Europe/Moscow", "Asia/Vladivostok", None)  # None: not set, the operating system's zone
CLOCKS = (time(0, 30), time(23, 30))
PROCESS_ZONES = ("UTC", "Europe/Moscow", "Asia/Vladivostok")


# --- the pure function ------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Moscow", "Asia/Vladivostok"])
@pytest.mark.parametrize("clock", CLOCKS)
def test_business_day_is_the_office_date(zone: str, clock: time) -> None:
    tz = ZoneInfo(zone)
    instant = datetime.combine(DAY, clock, tzinfo=tz).astimezone(UTC)
    assert business_day(instant, tz) == DAY
    assert business_day(instant.replace(tzinfo=None), tz) == DAY  # naive = UTC, as SQLite returns it
    start, end = day_bounds(DAY, None, tz)
    assert start <= instant < end and end - start == timedelta(days=1)
    assert start == datetime(2026, 3, 31, 24 - int(tz.utcoffset(instant).total_seconds()) // 3600, tzinfo=UTC)


def test_a_payment_at_0130_moscow_on_1_april_is_on_1_april() -> None:
    assert business_day(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), ZoneInfo("Europe/Moscow")) == DAY


def test_day_bounds_span_several_days_and_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 29 March 2026: clocks go forward, the day has 23 hours
    start, end = day_bounds(date(2026, 3, 29), None, berlin)
    assert end - start == timedelta(hours=23)
    start, end = day_bounds(date(2026, 3, 28), date(2026, 3, 30), berlin)
    assert (start, end) == (day_start(date(2026, 3, 28), berlin), day_start(date(2026, 3, 31), berlin))


def test_a_bad_zone_name_is_refused_with_a_hint() -> None:
    assert parse_zone(" Europe/Moscow ").key == "Europe/Moscow"
    for bad in ("Europe/Mosco", "Europe", "../etc/passwd", "MSK+3", ""):
        with pytest.raises(ValidationError, match="Часовой пояс"):
            parse_zone(bad)
    with pytest.raises(ValidationError, match="Europe/Moscow"):
        parse_zone("moscow")


# --- the probe: every derivation at 00:30 and 23:30 office time ------------------------------------------


def _ctx(db: Database, role: str) -> DeskContext:
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.role == role)).scalars().first()
    return DeskContext(db, "desk-tz", UserInfo(u.id, u.login, u.full_name, u.role))


def _fresh_booking(db: Database, used: set[int]) -> m.Booking:
    with db.read() as uow:
        rows = uow.session.execute(
            select(m.Booking).where(m.Booking.status == "confirmed", m.Booking.paid_minor == 0,
                                    m.Booking.agency_id.is_not(None), m.Booking.first_paid_on.is_(None))
            .order_by(m.Booking.id)).scalars().all()
    b = next(r for r in rows if r.id not in used)
    used.add(b.id)
    return b


def probe(db: Database, zones: tuple[str | None, ...] = ZONES) -> list[dict[str, str]]:
    """Every date the services derive, as (check, expected, got) rows; the caller asserts they agree.

    ``None`` in ``zones`` (no office zone: the operating system's) needs ``TZ`` set, to know the answer.
    """
    from cashier_app.services import (
        cash,
        corrections,
        ledger,
        office_settings,
        office_time,
        payments_journal,
        shifts,
    )
    from cashier_app.services.commission_report import _apps
    from cashier_app.services.context import day_start_utc
    from cashier_app.services.travel_facts import booking_payments

    admin, manager = _ctx(db, "admin"), _ctx(db, "manager")
    out: list[dict[str, str]] = []
    used: set[int] = set()
    shifts.open_shift(manager, 0, now=datetime(2026, 3, 30, tzinfo=UTC))
    accounts = iter(["0000001", "0000002", "0000003", "0000004", "0000005", "0000006"])

    def row(check: str, expected: object, got: object) -> None:
        out.append({"check": f"{label}: {check}", "expected": str(expected), "got": str(got)})

    for zone in zones:
        office_settings.set_office_zone(admin, zone)
        # The office's zone as the user means it: the named one, or this process's TZ when not set.
        tz = ZoneInfo(zone) if zone else ZoneInfo(os.environ.get("TZ") or "UTC")
        for clock in CLOCKS:
            label = f"office {zone or 'system'} {clock:%H:%M} (process TZ {os.environ.get('TZ', '-')})"
            instant = datetime.combine(DAY, clock, tzinfo=tz).astimezone(UTC)
            # The ledger's «paid on» (first and full payment), then the facts bonuses and commission read.
            b = _fresh_booking(db, used)
            with db.uow() as uow:
                s = uow.session
                amount = ledger.BookingAmount(rub_minor=1000, target_minor=b.price_minor, currency=b.currency,
                                              rate=Decimal("1"), rate_day=DAY)
                p = ledger.open_payment(s, manager, ledger.Target(booking_id=b.id), method="card",
                                        amount_minor=1000, booking_amount=amount, now=instant)
                ledger.credit(s, manager, p.id, now=instant)
                p.rate_day = None  # a card payment settled later: the day comes from settled_at
                s.get(m.Booking, b.id).confirmed_on = date(2026, 3, 30)
                uow.commit()
            with db.read() as uow:
                s = uow.session
                got = s.get(m.Booking, b.id)
                row("booking first_paid_on", DAY, got.first_paid_on)
                row("booking fully_paid_on", DAY, got.fully_paid_on)
                row("travel_facts.booking_payments day", DAY, booking_payments(s, b.id)[0][0])
                apps = {a.number: a for a in _apps(s, b.agency_id, (2026, 2), DAY)}
                row("commission Q2 payment day", DAY, apps[b.number].payments[0][0] if b.number in apps else None)
            # «Today» and the day filters of journals.
            row("office_time.today", DAY, office_time.today(db, instant))
            row("day_start_utc", datetime.combine(DAY, time.min, tzinfo=tz).astimezone(UTC), day_start_utc(DAY, db))
            row("printed time", f"01.04.2026 {clock:%H:%M}", shifts.local_text(instant))
            # A cash payment and its same-day cancel: paid at 00:30, cancelled at 23:30 the same office day.
            account = next(accounts)
            paid = cash.take_cash(manager, token=cash.new_token(), amount_minor=500, account=account, now=instant)
            journal = payments_journal.query(manager, payments_journal.JournalFilter(
                date_from=DAY, date_to=DAY, account=account))
            row("journal of 1 April lists it", True, paid.payment_number in {r.number for r in journal.rows})
            other = datetime.combine(DAY, time(23, 30) if clock.hour == 0 else time(0, 30), tzinfo=tz).astimezone(UTC)
            try:
                corrections.cancel_payment(manager, paid.payment_number, "ошибка кассира", now=other)
                verdict = "cancelled"
            except RuleViolation as exc:
                verdict = f"refused: {exc}"
            row("same-day cancel", "cancelled", verdict)
    office_settings.set_office_zone(admin, None)  # printed times of later tests in this process: the OS zone
    return out


def _disagreements(rows: list[dict[str, str]]) -> list[str]:
    return [f"{r['check']}: expected {r['expected']}, got {r['got']}" for r in rows if r["expected"] != r["got"]]


def test_every_derived_date_is_the_office_day_in_process(fresh_db) -> None:  # type: ignore[no-untyped-def]
    # The desk's own zone is this process's (whatever the machine has); the office's is named.
    rows = probe(fresh_db, ZONES[:2])
    assert len(rows) == 2 * len(CLOCKS) * 9
    assert _disagreements(rows) == []


@pytest.mark.parametrize("process_tz", PROCESS_ZONES)
def test_every_derived_date_is_the_office_day_under_process_tz(process_tz: str, demo_db_path: Path,
                                                               tmp_path: Path) -> None:
    db_path = tmp_path / "office.sqlite3"
    shutil.copy(demo_db_path, db_path)
    env = {**os.environ, "TZ": process_tz}
    done = subprocess.run([sys.executable, __file__, str(db_path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.splitlines()[-1])
    assert len(rows) == len(ZONES) * len(CLOCKS) * 9
    assert _disagreements(rows) == []


# --- the setting -----------------------------------------------------------------------------------------


def test_only_an_administrator_sets_the_zone_and_it_is_audited(fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services import audit, office_settings, office_time

    with pytest.raises(PermissionDenied):
        office_settings.set_office_zone(_ctx(fresh_db, "manager"), "Europe/Moscow")
    admin = _ctx(fresh_db, "admin")
    with pytest.raises(ValidationError, match="неизвестный часовой пояс"):
        office_settings.set_office_zone(admin, "Europe/Mosco")
    assert office_settings.set_office_zone(admin, "Asia/Vladivostok") is None
    assert office_time.office_zone(fresh_db) == ZoneInfo("Asia/Vladivostok")
    assert office_settings.set_office_zone(admin, None) == "Asia/Vladivostok"
    assert office_time.office_zone(fresh_db) is None
    with fresh_db.read() as uow:
        events = uow.session.execute(select(m.AuditEvent).where(
            m.AuditEvent.action == "settings.office_timezone").order_by(m.AuditEvent.id)).scalars().all()
    afters = [e.after if isinstance(e.after, dict) else json.loads(e.after) for e in events]
    assert [a["value"] for a in afters] == ["Asia/Vladivostok", "system"]
    assert audit.verify(fresh_db).ok


def test_cli_sets_shows_and_refuses_the_office_zone(tmp_path: Path, demo_db_path: Path) -> None:
    db_path = tmp_path / "office.sqlite3"
    shutil.copy(demo_db_path, db_path)
    url = f"sqlite:///{db_path}"

    def cli(*args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TZ": "UTC"}
        env.pop("CASHIER_USER", None)
        env.pop("CASHIER_PASSWORD", None)
        if user:
            env.update(CASHIER_USER=user, CASHIER_PASSWORD=user)
        return subprocess.run([sys.executable, "-m", "cashier_app", "office", "timezone", *args, "--db", url],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)

    shown = cli()
    assert shown.returncode == 0 and "системный" in shown.stdout
    refused = cli("Europe/Moscow", user="cashier")
    assert refused.returncode == 2 and "Недостаточно прав" in refused.stderr
    bad = cli("Europe/Mosco", user="admin")
    assert bad.returncode == 2 and "неизвестный часовой пояс" in bad.stderr and "Europe/Moscow" in bad.stderr
    assert "Traceback" not in bad.stderr
    done = cli("Asia/Vladivostok", user="admin")
    assert done.returncode == 0, done.stderr
    assert "Asia/Vladivostok" in cli().stdout
    db = Database(url)
    try:
        from cashier_app.services import office_time

        assert office_time.office_zone(db) == ZoneInfo("Asia/Vladivostok")
    finally:
        db.dispose()


if __name__ == "__main__":  # the subprocess half of the tests above: python tests/test_business_day.py DB
    database = Database(f"sqlite:///{sys.argv[1]}")
    try:
        print(json.dumps(probe(database), ensure_ascii=False))
    finally:
        database.dispose()
