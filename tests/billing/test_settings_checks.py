"""Connector settings (admin only, validated, audited, no password in the database), the outbox's rules
(txn_id, txn_date, which payments get a row, a closed account takes no money) and the card's check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from cashier_app.domain.errors import PermissionDenied, RuleViolation, ValidationError
from cashier_app.services.billing import checks, outbox
from cashier_app.services.billing import settings as bs
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.billing.helpers import accounts, ctx_for, delivery, isp_payee, open_desk, pay, start_billing, wire


@pytest.mark.parametrize("url,field", [("ftp://x/osmp", bs.F_URL), ("http://", bs.F_URL), ("", bs.F_URL),
                                       ("http://u:p@host/osmp", bs.F_URL), ("http://h/o?x=1", bs.F_URL)])
def test_bad_urls_named(fresh_db: Database, url: str, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        bs.configure(ctx_for(fresh_db, "admin"), isp_payee(fresh_db), url=url, dialect="abills")
    assert exc.value.field == field


def test_configure_admin_only_audited_and_disable(fresh_db: Database) -> None:
    code = isp_payee(fresh_db)
    with pytest.raises(PermissionDenied):
        bs.configure(ctx_for(fresh_db, "manager"), code, url="https://b.example/osmp", dialect="abills")
    with pytest.raises(ValidationError) as exc:
        bs.configure(ctx_for(fresh_db, "admin"), code, url="https://b.example/osmp", dialect="lanbilling")
    assert exc.value.field == bs.F_DIALECT
    view = bs.configure(ctx_for(fresh_db, "admin"), code, url="https://b.example/osmp", dialect="ubilling",
                        login="kassa")
    assert (view["url"], view["dialect"], view["login"]) == ("https://b.example/osmp", "ubilling", "kassa")
    with fresh_db.read() as uow:
        s = uow.session
        pid = s.execute(select(m.Payee.id).where(m.Payee.code == code)).scalar_one()
        assert bs.get(s, pid) is not None
        events = s.execute(select(func.count()).select_from(m.AuditEvent)
                           .where(m.AuditEvent.action == "payee.billing")).scalar_one()
        assert events == 1
    bs.disable(ctx_for(fresh_db, "admin"), code)
    with fresh_db.read() as uow:
        assert bs.get(uow.session, pid) is None
    # No connector: a payment gets no outbox row.
    res = pay(open_desk(fresh_db), accounts(fresh_db, code, 1)[0], 500)
    with fresh_db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.BillingDelivery)).scalar_one() == 0
    assert res.payment_number


def test_travel_payee_has_no_billing(fresh_db: Database) -> None:
    with fresh_db.read() as uow:
        travel = uow.session.execute(select(m.Payee.code).where(m.Payee.kind == "travel").limit(1)).scalar_one()
    with pytest.raises(ValidationError):
        bs.configure(ctx_for(fresh_db, "admin"), travel, url="https://b.example/osmp", dialect="abills")


def test_txn_id_and_date_frozen_on_the_office_clock(fresh_db: Database) -> None:
    srv = start_billing("abills")
    try:
        _, numbers = wire(fresh_db, srv, "abills")
        from cashier_app.services import office_time

        with fresh_db.uow() as uow:
            uow.session.merge(m.Setting(key=office_time.ZONE_KEY, value="Asia/Vladivostok"))
            uow.commit()
        office_time.forget(fresh_db)
        a, b = pay(open_desk(fresh_db), numbers[0], 100), pay(open_desk(fresh_db), numbers[1], 200)
        ra, rb = delivery(fresh_db, a.payment_number), delivery(fresh_db, b.payment_number)
        assert ra.txn_id[:6] == rb.txn_id[:6] and ra.txn_id != rb.txn_id  # one prefix per database
        assert ra.txn_id == outbox.txn_id_for(ra.txn_id[:6], a.payment_number)
        zone = office_time.office_zone(fresh_db)
        with fresh_db.read() as uow:
            settled = uow.session.execute(select(m.Payment.settled_at).where(
                m.Payment.number == a.payment_number)).scalar_one()
        expected = settled.replace(tzinfo=settled.tzinfo or UTC).astimezone(zone).strftime("%Y%m%d%H%M%S")
        assert ra.txn_date == expected
        assert ra.txn_date != settled.replace(tzinfo=settled.tzinfo or UTC).strftime("%Y%m%d%H%M%S")  # not UTC
    finally:
        srv.stop()


def test_txn_id_shape() -> None:
    assert outbox.txn_id_for("482913", "P-000000123") == "482913000000123"
    with pytest.raises(ValueError):
        outbox.txn_id_for("482913", "P-" + "9" * 20)


def test_closed_account_takes_no_money(fresh_db: Database) -> None:
    number = accounts(fresh_db, isp_payee(fresh_db), 1)[0]
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.Account).where(m.Account.number == number)
                            .values(closed_on=datetime.now(UTC).date()))
        uow.commit()
    with pytest.raises(RuleViolation, match="закрыт"):
        pay(open_desk(fresh_db), number, 100)


def test_checks_found_not_found_blocked_error_off(fresh_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    code = isp_payee(fresh_db)
    numbers = accounts(fresh_db, code, 4)
    ctx = ctx_for(fresh_db, "cashier")
    bs.disable(ctx_for(fresh_db, "admin"), code)  # the demo office wires its first isp payee to the sandbox
    assert checks.check_account(ctx, numbers[0]).state == "off"
    srv = start_billing("ubilling")
    try:
        wire(fresh_db, srv, "ubilling", n=1)
        srv.load_accounts([{"number": numbers[0], "full_name": "Иванов И.И.", "balance": "1234.50", "blocked": "0"},
                           {"number": numbers[1], "full_name": "Петров", "balance": "0", "blocked": "1"}])
        found = checks.check_account(ctx, numbers[0])
        assert (found.state, found.balance_minor, found.full_name) == ("found", 123_450, "Иванов И.И.")
        assert found.checked_at_text and ":" in found.checked_at_text
        assert checks.check_account(ctx, numbers[1]).state == "refused"
        missing = checks.check_account(ctx, numbers[2])
        assert missing.state == "not_found"
        with fresh_db.read() as uow:
            acc = uow.session.execute(select(m.Account.id).where(m.Account.number == numbers[2])).scalar_one()
            assert checks.last_check(uow.session, acc).state == "not_found"  # type: ignore[union-attr]
        srv.fault("check", "http500")
        broken = checks.check_account(ctx, numbers[0])
        assert broken.state == "error" and broken.message
    finally:
        srv.stop()
    t0 = datetime.now(UTC)
    gone = checks.check_account(ctx, numbers[0], timeout=1.0)  # nobody listens any more
    assert gone.state == "error" and (datetime.now(UTC) - t0).total_seconds() < 5
