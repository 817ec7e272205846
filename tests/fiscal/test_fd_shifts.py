"""The register's side of the app's shift, against the register emulator over loopback (ATOL Web Server).

Open (or adopt), cash in/out, X, close with the Z data in ``CashShift.register_z`` and on the app's Z
report; a register that is offline or refuses never loses the app's shift and is finished by ``sync``
with the same derived task uuids, so nothing is made twice; the 24-hour limit; the status bar.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cashier_app.domain.errors import RuleViolation
from cashier_app.services import fiscal_shifts, shifts
from cashier_app.storage import models as m
from tests.fiscal.fd_helpers import ctx, kinds, point_payees_at, shift_row


@pytest.fixture
def srv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from cashier_app.emulators.register.server import RegisterServer

    monkeypatch.setenv("CASHIER_FISCAL_TIMEOUTS", "1,3")
    server = RegisterServer(host="127.0.0.1", port=0, state_path=tmp_path / "register.sqlite")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def office(fresh_db, srv):  # type: ignore[no-untyped-def]
    point_payees_at(fresh_db, srv.url)
    return fresh_db


def payee_id(db, code: str = "dem") -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Payee.id).where(m.Payee.code == code)).scalar_one()


def test_open_cash_x_close_are_mirrored_and_the_z_carries_the_register(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    opened = shifts.open_shift(c, 500_000)
    assert opened.register_state == "opened" and opened.register_note is None
    row = shift_row(office, opened.number)
    open_doc = [d for d in srv.documents() if d["type"] == "openShift"]
    assert len(open_doc) == 1 and row.register_shift_number == open_doc[0]["shift_number"]
    assert row.register_url == srv.url and row.register_fn == open_doc[0]["fn_number"]
    assert open_doc[0]["operator"]["vatin"] == "526098765441"  # the cashier's fiscal INN (tag 1203)
    shifts.cash_movement(c, "in", 30_000, "размен")
    shifts.cash_movement(c, "out", 20_000, "инкассация")
    x = shifts.x_report(c)
    assert x.register_note is None
    docs = srv.documents()
    assert kinds(docs) == {"openShift": 1, "cashIn": 2, "cashOut": 1, "reportX": 1}
    assert sorted(d["total_minor"] for d in docs if d["type"] == "cashIn") == [30_000, 500_000]  # + the float
    z = shifts.close_shift(c, 510_000)
    close = [d for d in srv.documents() if d["type"] == "closeShift"]
    assert len(close) == 1
    row = shift_row(office, opened.number)
    assert row.register_z["state"] == "closed"
    assert row.register_z["shift_number"] == close[0]["shift_number"] == open_doc[0]["shift_number"]
    assert row.register_z["fd_number"] == close[0]["fd_number"]
    assert str(row.register_z["fiscal_sign"]) == str(close[0]["fiscal_sign"])
    with office.read() as uow:
        doc = uow.session.execute(select(m.Document).where(m.Document.number == z.document.number)).scalar_one()
        assert doc.params["register"]["fd_number"] == close[0]["fd_number"]
        assert "state" not in doc.params["register"]
    assert z.summary.register_state == "closed"
    assert srv.state()["shift"]["state"] == "closed"


def test_a_register_shift_already_open_is_adopted_not_opened_again(office, srv) -> None:  # type: ignore[no-untyped-def]
    srv.set_state(shift_open=True)
    number = srv.state()["shift"]["number"]
    opened = shifts.open_shift(ctx(office), 0)
    assert opened.register_state == "opened" and "openShift" not in kinds(srv.documents())
    row = shift_row(office, opened.number)
    assert row.register_shift_number == number
    with office.read() as uow:
        ev = uow.session.execute(select(m.AuditEvent).where(m.AuditEvent.action == "shift.register_adopted")).scalars().all()
        assert len(ev) == 1


def test_offline_at_open_keeps_the_app_shift_and_sync_opens_it_once(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    srv.set_state(offline=True)
    opened = shifts.open_shift(c, 0)
    assert opened.status == "open" and opened.register_state == "open_failed"
    assert "смена ККТ не открыта" in (opened.register_note or "")
    assert shifts.current(c) is not None  # the app's shift is there
    assert fiscal_shifts.register_status(c).state == "offline"
    srv.set_state(offline=False)
    result = fiscal_shifts.sync(c)
    assert result.problems == () and "смена ККТ открыта" in result.actions
    assert kinds(srv.documents())["openShift"] == 1
    fiscal_shifts.sync(c)
    assert kinds(srv.documents())["openShift"] == 1
    assert shifts.current(c).register_state == "opened"  # type: ignore[union-attr]


def test_an_open_whose_answer_was_lost_is_read_back_not_repeated(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    srv.fault("openShift", "drop_after_processing")
    opened = shifts.open_shift(c, 0)
    assert opened.register_state in ("open_failed", "opened")
    fiscal_shifts.sync(c)
    assert kinds(srv.documents())["openShift"] == 1
    row = shift_row(office, opened.number)
    assert row.register_shift_number == next(d for d in srv.documents() if d["type"] == "openShift")["shift_number"]


def test_a_refused_cash_in_is_retried_under_the_next_derived_uuid_once(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    shifts.open_shift(c, 0)
    srv.set_state(paper=False)
    after = shifts.cash_movement(c, "in", 10_000, "размен")
    assert "ККТ не приняла внесение" in (after.register_note or "")
    assert kinds(srv.documents())["cashIn"] == 0
    srv.set_state(paper=True)
    assert fiscal_shifts.sync(c).problems == ()
    fiscal_shifts.sync(c)
    docs = [d for d in srv.documents() if d["type"] == "cashIn"]
    assert len(docs) == 1 and docs[0]["total_minor"] == 10_000 and docs[0]["key"].endswith("-2")


def test_offline_at_close_closes_the_app_shift_and_the_next_open_closes_the_register_first(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    first = shifts.open_shift(c, 0)
    srv.set_state(offline=True)
    z = shifts.close_shift(c, 0)
    assert z.summary.status == "closed" and z.summary.register_state == "close_failed"
    with office.read() as uow:
        doc = uow.session.execute(select(m.Document).where(m.Document.number == z.document.number)).scalar_one()
        assert "смена ККТ не закрыта" in doc.params["register"]["error"]
    assert "closeShift" not in kinds(srv.documents())
    srv.set_state(offline=False)
    second = shifts.open_shift(c, 0)
    docs = srv.documents()
    assert kinds(docs)["closeShift"] == 1 and kinds(docs)["openShift"] == 2
    assert [d["type"] for d in docs][-2:] == ["closeShift", "openShift"]  # closed before the next one opened
    assert shift_row(office, first.number).register_z["state"] == "closed"
    assert shift_row(office, second.number).register_shift_number == docs[-1]["shift_number"]


def test_a_crash_between_the_register_close_and_the_app_close_reads_the_same_z_back(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    opened = shifts.open_shift(c, 0)
    # The register part of a close that died before the app's transaction committed.
    first = fiscal_shifts.close_register(c, opened.id)
    assert first is not None and first["state"] == "closed"
    z = shifts.close_shift(c, 0)
    assert kinds(srv.documents())["closeShift"] == 1
    assert shift_row(office, z.summary.number).register_z["fd_number"] == first["fd_number"]


def test_another_desks_close_finishing_between_the_lookup_and_the_state_is_carried_by_this_z(
        office, srv, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The window the 8-desk close race hit now and then: lookup «not found», then the other desk's
    closeShift under the same uuid finishes, then this desk reads the state «closed».  The Z report
    must carry that closeShift, not «closed without the program»."""
    c = ctx(office)
    shifts.open_shift(c, 0)
    real_client = fiscal_shifts._client

    class OtherDeskFinishesAfterTheLookup:
        def __init__(self, inner: Any) -> None:
            self.inner, self.done = inner, False

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def lookup(self, key: str, remote_uuid: str | None = None) -> Any:
            found = self.inner.lookup(key, remote_uuid)
            if key.endswith("-close") and not self.done:
                self.done = True
                other = real_client(self.rules, srv.url)
                other.close_shift(key, self.operator)
            return found

    def client(rules: Any, url: str) -> Any:
        wrapped = OtherDeskFinishesAfterTheLookup(real_client(rules, url))
        wrapped.rules = rules
        return wrapped

    with office.read() as uow:
        wrapped_operator = fiscal_shifts._operator(uow.session, c)
    OtherDeskFinishesAfterTheLookup.operator = wrapped_operator
    monkeypatch.setattr(fiscal_shifts, "_client", client)
    z = shifts.close_shift(c, 0)
    docs = [d for d in srv.documents() if d["type"] == "closeShift"]
    assert len(docs) == 1
    block = shift_row(office, z.summary.number).register_z
    assert block.get("note") is None, block
    assert block["fd_number"] == docs[0]["fd_number"]


def test_the_24_hour_limit_refuses_the_next_sale_and_shows_in_the_status(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    shifts.open_shift(c, 0)
    pid = payee_id(office)
    with office.read() as uow:
        fiscal_shifts.check_can_sell(uow.session, c, pid)  # fresh: fine
        later = datetime.now(UTC) + timedelta(hours=24, minutes=5)
        with pytest.raises(RuleViolation) as err:
            fiscal_shifts.check_can_sell(uow.session, c, pid, now=later)
    assert "больше 24 часов" in str(err.value)
    srv.clock(advance_secs=25 * 3600)
    assert fiscal_shifts.register_status(c).state == "shift_expired"


def test_an_expired_register_shift_nobody_holds_is_closed_before_the_open(office, srv) -> None:  # type: ignore[no-untyped-def]
    srv.set_state(shift_opened_at=(datetime.now(UTC) - timedelta(hours=30)).isoformat())
    opened = shifts.open_shift(ctx(office), 0)
    assert opened.register_state == "opened"
    assert [d["type"] for d in srv.documents()] == ["closeShift", "openShift"]


def test_sync_without_an_open_shift_closes_a_register_shift_left_open(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    first = shifts.open_shift(c, 0)
    srv.set_state(offline=True)
    shifts.close_shift(c, 0)
    srv.set_state(offline=False)
    assert fiscal_shifts.sync(c).problems == ()
    fiscal_shifts.sync(c)
    assert kinds(srv.documents())["closeShift"] == 1
    assert shift_row(office, first.number).register_z["state"] == "closed"


def test_register_status_ready_paper_unsent(office, srv) -> None:  # type: ignore[no-untyped-def]
    c = ctx(office)
    shifts.open_shift(c, 0)
    st = fiscal_shifts.register_status(c)
    assert st.state == "ready" and st.url == srv.url and st.shift_state == "opened"
    srv.set_state(unsent=3)
    st = fiscal_shifts.register_status(c)
    assert st.unsent == 3 and "не отправлено в ОФД: 3" in st.text
    srv.set_state(paper=False)
    assert fiscal_shifts.register_status(c).state == "paper_out"


@pytest.mark.parametrize("mode", ["none", "atol_online"])
def test_without_a_local_register_shift_operations_touch_no_register(office, srv, mode) -> None:  # type: ignore[no-untyped-def]
    point_payees_at(office, srv.online_url if mode == "atol_online" else srv.url, mode)
    c = ctx(office)
    opened = shifts.open_shift(c, 1_000)
    shifts.cash_movement(c, "in", 1_000, "размен")
    shifts.x_report(c)
    z = shifts.close_shift(c, 2_000)
    assert opened.register_state is None and z.summary.register_state is None
    assert srv.documents() == []
    assert fiscal_shifts.register_status(c).state == ("cloud" if mode == "atol_online" else "none")


def test_a_cash_payment_and_a_card_order_after_24_hours_are_refused_before_anything_is_written(office, srv) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services import card_open, cash

    c = ctx(office)
    shifts.open_shift(c, 0)
    with office.read() as uow:
        account = uow.session.execute(select(m.Account.number).join(m.Contract)
                                      .where(m.Contract.payee_id == payee_id(office)).limit(1)).scalar_one()
        before = uow.session.execute(select(m.Payment.id).order_by(m.Payment.id.desc()).limit(1)).scalar()
    later = datetime.now(UTC) + timedelta(hours=24, minutes=5)
    with pytest.raises(RuleViolation, match="больше 24 часов"):
        cash.take_cash(c, token=cash.new_token(), amount_minor=10_000, account=account, now=later)
    with pytest.raises(RuleViolation, match="больше 24 часов"):
        card_open.open_order(c, account=account, amount_minor=10_000, now=later)
    with office.read() as uow:
        assert uow.session.execute(select(m.Payment.id).order_by(m.Payment.id.desc()).limit(1)).scalar() == before
    # Within the 24 hours the same payment goes through.
    assert cash.take_cash(c, token=cash.new_token(), amount_minor=10_000, account=account).payment_number


def test_another_database_with_the_same_shift_number_does_not_adopt_this_ones_register_tasks(
        office, srv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A re-created (or a second office's) database numbers its first shift S-000000001 too: its float
    cash-in is its own, not the other database's document under the same number."""
    import sqlite3

    from cashier_app.storage.db import Database

    other_path = tmp_path / "other.sqlite3"
    src = sqlite3.connect(str(office.engine.url.database))
    dst = sqlite3.connect(other_path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    other = Database(f"sqlite:///{other_path}")
    try:
        first = shifts.open_shift(ctx(office), 100_000)
        shifts.close_shift(ctx(office), 100_000)
        second = shifts.open_shift(ctx(other), 100_000)
        assert first.number == second.number  # the numbers repeat ...
        assert kinds(srv.documents())["cashIn"] == 2  # ... the register tasks do not
        assert kinds(srv.documents())["openShift"] == 2
    finally:
        other.dispose()
