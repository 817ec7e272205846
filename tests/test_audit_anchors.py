"""Tampering is found: deleted audit rows, a re-hashed chain, a balance edited in SQL.

Each attack below passes a plain chain walk (the chain stays internally valid, or
the balance is not in the chain at all); the anchors the Z report prints and
keeps, and ``audit verify --ledger``, are what catch it.  The command line runs
in-process (``cashier_app.cli.main``) as the real entry point.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text

from cashier_app import cli
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.services import audit, cash, shifts
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.test_card_helpers import ctx_for


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    # Headless commands authenticate; the demo passwords equal the logins.
    monkeypatch.setenv("CASHIER_PASSWORD", "admin")
    monkeypatch.setenv("CASHIER_USER", "admin")


def run(capsys: pytest.CaptureFixture[str], db: Database, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main([*args, "--as", "admin", "--db", str(db.engine.url)])
    out, err = capsys.readouterr()
    return rc, out, err


def _shift_with_payments(db: Database) -> str:
    """A cashier's day: an account and a booking paid in cash, the shift closed; the Z's printed anchor."""
    ctx = ctx_for(db, "manager")
    shifts.open_shift(ctx, 10000)
    cash.take_cash(ctx, token=cash.new_token(), amount_minor=150000, account="0000001")
    with db.read() as uow:
        bookings = uow.session.execute(select(m.Booking.number).where(
            m.Booking.status == "confirmed", m.Booking.paid_minor < m.Booking.price_minor)).scalars().all()
    for number in bookings:
        try:
            cash.take_cash(ctx, token=cash.new_token(), amount_minor=1000, booking=number)
            break
        except (RuleViolation, ValidationError):  # a rule of this booking (dates, limits): the next one
            continue
    summary = shifts.current(ctx)
    assert summary is not None
    rep = shifts.close_shift(ctx, summary.expected_minor)
    page = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(rep.document.pdf)).pages)
    found = re.search(r"(\d+):((?:[0-9a-f]{8} ?){8})", page)
    assert found, page
    return f"{found.group(1)}:{found.group(2)}"  # typed back as printed, spaces and all


def _rehash_from(db: Database, first_id: int) -> None:
    """What a tamperer with the database does after an edit: recompute every hash from there on."""
    with db.engine.begin() as conn:
        prev = conn.execute(text("SELECT hash FROM audit_events WHERE id < :i ORDER BY id DESC LIMIT 1"),
                            {"i": first_id}).scalar() or audit.GENESIS
        rows = conn.execute(select(m.AuditEvent.__table__).where(m.AuditEvent.id >= first_id)
                            .order_by(m.AuditEvent.id)).mappings().all()
        # Two passes: the hash column is unique, so park the rows on temporary values first.
        for r in rows:
            conn.execute(text("UPDATE audit_events SET hash = :h WHERE id = :i"), {"h": f"tmp{r['id']}", "i": r["id"]})
        for r in rows:
            at = m.UtcDateTime().process_result_value(r["at"], None)
            h = audit._digest(prev, at, r["user_login"], r["role"], r["desk"], r["action"], r["entity"],
                              r["entity_id"], r["before"], r["after"])
            conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :i"),
                         {"p": prev, "h": h, "i": r["id"]})
            prev = h


def test_clean_office_passes_chain_anchor_and_ledger(fresh_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    printed = _shift_with_payments(fresh_db)
    rc, out, err = run(capsys, fresh_db, "audit", "verify", "--ledger", "--anchor", printed)
    assert rc == 0, out + err
    assert "цела" in out and "балансы сходятся" in out
    rc, out, _ = run(capsys, fresh_db, "audit", "verify", "--ledger", "--anchor", printed, "--json")
    res = json.loads(out)
    # Two kept (the table's head after the close, the Z's printed head) plus the one typed from paper.
    assert rc == 0 and res["ok"] and res["anchors_checked"] == 3 and res["ledger"]["differences"] == []


def test_deleting_the_last_audit_rows_is_found(fresh_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    printed = _shift_with_payments(fresh_db)
    with fresh_db.engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_events")).scalar_one()
        anchored = conn.execute(text("SELECT max(event_id) FROM audit_anchors")).scalar_one()
        assert anchored <= last
        # The tail from the shift's close on: the chain that is left is still a valid chain.
        conn.execute(text("DELETE FROM audit_events WHERE id >= :i"), {"i": anchored - 1})
    rc, out, _ = run(capsys, fresh_db, "audit", "verify")
    assert rc == 1 and "записи удалены" in out, out
    # A thorough tamperer also removes the kept anchors and the Z's copy: the paper still tells.
    with fresh_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_anchors"))
        conn.execute(text("DELETE FROM audit_events WHERE id >= (SELECT max(id) FROM audit_events) - 2"))
        conn.execute(text("UPDATE documents SET params = '{}' WHERE kind = 'z_report'"))
    rc, out, _ = run(capsys, fresh_db, "audit", "verify", "--anchor", printed)
    assert rc == 1 and "из Z-отчёта нет" in out, out


def test_a_rehashed_chain_is_found(fresh_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    printed = _shift_with_payments(fresh_db)
    with fresh_db.engine.begin() as conn:
        victim = conn.execute(text("SELECT min(id) FROM audit_events WHERE action = 'payment.credit'")).scalar_one()
        conn.execute(text("UPDATE audit_events SET after = :a WHERE id = :i"),
                     {"a": json.dumps({"amount_minor": 1}), "i": victim})
    _rehash_from(fresh_db, victim)
    rc, out, _ = run(capsys, fresh_db, "audit", "verify")
    assert rc == 1 and "цепочка пересчитана" in out, out
    # Rewriting the kept anchors too leaves only the paper — which still does not match.
    with fresh_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_anchors"))
        conn.execute(text("UPDATE documents SET params = '{}' WHERE kind = 'z_report'"))
    rc, out, _ = run(capsys, fresh_db, "audit", "verify")
    assert rc == 0, "without an anchor a re-hashed chain is a valid chain: this is what the paper is for"
    rc, out, _ = run(capsys, fresh_db, "audit", "verify", "--anchor", printed)
    assert rc == 1 and "цепочка пересчитана" in out, out


def test_a_balance_edited_in_sql_is_named(fresh_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    _shift_with_payments(fresh_db)
    with fresh_db.engine.begin() as conn:
        before = conn.execute(text("SELECT balance_minor FROM accounts WHERE number = '0000001'")).scalar_one()
        conn.execute(text("UPDATE accounts SET balance_minor = balance_minor + 100000 WHERE number = '0000001'"))
        booking, paid = conn.execute(text("SELECT number, paid_minor FROM bookings WHERE paid_minor > 0 "
                                          "ORDER BY id LIMIT 1")).one()
        conn.execute(text("UPDATE bookings SET paid_minor = paid_minor - 1 WHERE number = :n"), {"n": booking})
    rc, out, _ = run(capsys, fresh_db, "audit", "verify", "--ledger", "--json")
    res = json.loads(out)
    assert rc == 1 and res["chain_ok"] and not res["ok"]
    diffs = {(d["kind"], d["number"]): (d["stored_minor"], d["computed_minor"]) for d in res["ledger"]["differences"]}
    assert diffs == {("account", "0000001"): (before + 100000, before), ("booking", booking): (paid - 1, paid)}
    rc, out, _ = run(capsys, fresh_db, "audit", "verify", "--ledger")
    assert rc == 1 and "лицевой счёт 0000001: в базе" in out and f"заявка {booking}: в базе" in out


@pytest.mark.parametrize("given", ["12:xyz", "abc", "1:" + "a" * 65, "x:" + "a" * 64, "٣:" + "a" * 64])
def test_a_mistyped_anchor_names_the_option(fresh_db: Database, capsys: pytest.CaptureFixture[str],
                                            given: str) -> None:
    rc, _, err = run(capsys, fresh_db, "audit", "verify", "--anchor", given)
    assert rc == 2 and err.startswith("cashier-app: --anchor:") and len(err.strip().splitlines()) == 1


def test_a_pg_office_keeps_the_same_anchors_and_ledger(pg_database_factory, capsys) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services.bootstrap import open_database

    db = open_database(pg_database_factory(demo={"accounts": 50}))
    try:
        printed = _shift_with_payments(db)
        rc, out, _ = run(capsys, db, "audit", "verify", "--ledger", "--anchor", printed)
        assert rc == 0, out
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE accounts SET balance_minor = balance_minor - 7 WHERE number = '0000001'"))
            conn.execute(text("DELETE FROM audit_events WHERE id = (SELECT max(event_id) FROM audit_anchors)"))
        rc, out, _ = run(capsys, db, "audit", "verify", "--ledger")
        assert rc == 1 and "удален" in out and "лицевой счёт 0000001" in out, out
    finally:
        db.dispose()


def test_anchors_taken_while_other_desks_write_all_hold_on_pg(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    """8 processes: four Z reports at once while four desks append to the chain; no anchor may be off by a row.

    The head is read (rows, last id) under the chain's lock: read without it, another desk's commit
    between the two reads gives an anchor whose row count does not match its row — a false alarm
    that would teach an office to ignore ``audit verify``.
    """
    from tests import race_helpers as rh

    url = rh.make_office(pg_database_factory)
    closers = [f"z-desk-{i}" for i in range(4)]
    payers = [f"p-desk-{i}" for i in range(4)]
    rh.open_shifts(url, "admin", closers + payers)
    jobs = [{"kind": "close", "login": "admin", "desk": d, "counted": 0} for d in closers]
    jobs += [{"kind": "pay_until_closed", "login": "admin", "desk": d, "n": i, "max_ops": 12, "account": "0000001"}
             for i, d in enumerate(payers)]
    out = rh.race(url, jobs)
    assert len(rh.ok(out, "close")) == 4, out
    db = rh.connect(url)
    try:
        res = audit.verify(db)
        assert res.ok, res
        assert res.anchors_checked == 8  # each Z: the head it printed and the head after its close
        with db.read() as uow:
            printed = [p["audit_anchor"] for p in uow.session.execute(
                select(m.Document.params).where(m.Document.kind == "z_report")).scalars()]
        typed = [audit.parse_anchor(f"{a['rows']}:{a['hash']}") for a in printed]
        assert audit.verify(db, typed).ok
    finally:
        db.dispose()
