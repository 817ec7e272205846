"""Eight desks at once against one PostgreSQL database: the harness of the race tests (issue 10).

:func:`race` starts one fresh process per job (:func:`desk_processes`), each with its own engine (a
desk of its own); every process connects and loads its user first, then waits
on one barrier, so the jobs really overlap.  A job is a service call as the
counter makes it (``JOBS``); what comes back is ``(kind, ok|refused, value)``,
and any other exception fails the test.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import TODAY

PROCESSES = 8


# --- the harness ------------------------------------------------------------------------------------

# What a desk process imports; the fork server imports it once, so a desk starts in
# milliseconds instead of re-importing the app (~1.4 s CPU × 8 desks per race on 2 cores).
_PRELOAD = ["tests.race_helpers", "cashier_app.services.bonuses", "cashier_app.services.card_payments",
            "cashier_app.services.cash", "cashier_app.services.corrections", "cashier_app.services.shifts",
            "cashier_app.services.auth", "psycopg"]
_PRIVATE_DIRS = ("CASHIER_DATA_DIR", "CASHIER_CONFIG_DIR", "CASHIER_LOG_DIR")


def _in_parent_env(env: dict[str, str], cwd: str, target: Callable[..., Any], args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    # What 'spawn' gave each desk: the parent's environment as it is *now* (tests monkeypatch
    # CASHIER_GW_TIMEOUTS for the desks) and cwd, and private data/config/log dirs like
    # tests/conftest.py makes — the fork server itself was started earlier, with older env.
    os.environ.clear()
    os.environ.update(env)
    own = tempfile.mkdtemp(prefix="cashier-desk-")
    for name in _PRIVATE_DIRS:
        os.environ[name] = os.path.join(own, name.rsplit("_", 2)[1].lower())
    os.chdir(cwd)
    return target(*args, **kwargs)


class DeskProcesses:
    """A multiprocessing context for desk processes: spawn's isolation at fork-server speed.

    Each process is forked from a clean server process (never from pytest, so no open
    connections, threads or Qt state are inherited), then takes the parent's current
    environment.  Everything else (Barrier, Queue, Event…) comes from the forkserver context.
    """

    def __init__(self) -> None:
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(_PRELOAD)  # only takes effect when the server first starts

    def Process(self, target: Callable[..., Any], args: tuple[Any, ...] = (),  # the mp API name
                kwargs: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self._ctx.Process(target=_in_parent_env,
                                 args=(dict(os.environ), os.getcwd(), target, tuple(args), kwargs or {}), **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


def desk_processes() -> Any:
    """Use instead of ``mp.get_context("spawn")`` for processes that run app code at once."""
    return DeskProcesses()


def desk_ctx(db: Database, login: str, desk: str) -> DeskContext:
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == login)).scalar_one()
    return DeskContext(db, desk, UserInfo(u.id, u.login, u.full_name, u.role), today_override=TODAY)


def _job_refund(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import corrections

    return corrections.refund_payment(ctx, arg["payment"], "гонка возвратов").amount_minor


def _job_cancel(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import corrections

    return corrections.cancel_payment(ctx, arg["payment"], "гонка отмен").amount_minor


def _job_cash(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import cash

    kwargs = {"booking": arg["booking"]} if "booking" in arg else {"account": arg["account"]}
    return cash.take_cash(ctx, token=cash.new_token(), amount_minor=arg["amount"], **kwargs).payment_number


def _job_card(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import card_payments

    return card_payments.open_order(ctx, booking=arg["booking"], amount_minor=arg["amount"]).order_number


def _job_open(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import shifts

    return shifts.open_shift(ctx, 0).number


def _job_close(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    from cashier_app.services import shifts

    return shifts.close_shift(ctx, arg["counted"]).document.number


def _job_pay_until_closed(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    """Cash payments and cash-ins into the shift until it is closed; returns what got in."""
    from cashier_app.domain.errors import RuleViolation
    from cashier_app.services import cash, shifts

    taken: list[tuple[str, int]] = []
    for i in range(arg["max_ops"]):
        amount = 100 + arg["n"]
        try:
            if (i + arg["n"]) % 3 == 2:
                shifts.cash_movement(ctx, "in", amount, "размен")
                taken.append(("in", amount))
            else:
                cash.take_cash(ctx, token=cash.new_token(), amount_minor=amount, account=arg["account"])
                taken.append(("pay", amount))
        except RuleViolation as exc:
            assert "смена не открыта" in str(exc), exc
            return taken
    return taken


def _job_bonus(ctx: DeskContext, arg: dict[str, Any]) -> Any:
    """Spend through the service, one unit of work per write-off, until refused ``arg['tries']`` times."""
    from cashier_app.domain.errors import RuleViolation
    from cashier_app.services import bonuses

    accepted: list[int] = []
    refused = 0
    for amount in arg["amounts"]:
        try:
            bonuses.spend(ctx, arg["booking"], {"agent": amount}, TODAY, account="agency")
            accepted.append(amount)
        except RuleViolation:
            refused += 1
    return accepted, refused


JOBS: dict[str, Callable[[DeskContext, dict[str, Any]], Any]] = {
    "refund": _job_refund, "cancel": _job_cancel, "cash": _job_cash, "card": _job_card, "open": _job_open,
    "close": _job_close, "pay_until_closed": _job_pay_until_closed, "bonus": _job_bonus,
}


def _worker(url: str, job: dict[str, Any], barrier: Any, results: Any) -> None:
    from cashier_app.domain.errors import UserError

    db = Database(url)
    try:
        ctx = desk_ctx(db, job["login"], job["desk"])  # connected and warm before the start
        # Imported before the barrier too, so no desk starts late by a module load.
        from cashier_app.services import bonuses, card_payments, cash, corrections, shifts  # noqa: F401
        barrier.wait()
        try:
            results.put((job["kind"], "ok", JOBS[job["kind"]](ctx, job)))
        except UserError as exc:
            results.put((job["kind"], "refused", str(exc)))
    except BaseException as exc:  # reported to the test, which fails on it
        results.put((job["kind"], "error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def race(url: str, jobs: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """Run the jobs in as many processes at once; (kind, ok|refused, value) per job, no crash allowed."""
    ctx = desk_processes()
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    # A generous bound so a deadlock fails the test instead of hanging the suite; not a timing check.
    out = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    errors = [r for r in out if r[1] == "error"]
    assert not errors, errors
    return out


def ok(out: list[tuple[str, str, Any]], kind: str | None = None) -> list[Any]:
    return [v for k, status, v in out if status == "ok" and (kind is None or k == kind)]


# --- the office -----------------------------------------------------------------------------------------


def make_office(pg_database_factory: Callable[..., str]) -> str:
    """A private small demo office on PostgreSQL (the races write a lot)."""
    from cashier_app.services.bootstrap import open_database

    # A copy of a session template (tests/conftest.py): the same office, without 2 s of generation.
    url = pg_database_factory(demo={"accounts": 40, "bookings": 120})
    open_database(url).dispose()  # the schema check the generation did before
    return url


def connect(url: str) -> Database:
    return Database(url)


def open_shifts(url: str, login: str, desks: list[str], float_minor: int = 0) -> None:
    from cashier_app.services import shifts

    db = connect(url)
    for desk in desks:
        shifts.open_shift(desk_ctx(db, login, desk), float_minor)
    db.dispose()


def fresh_bookings(s: Any, n: int) -> list[m.Booking]:
    """Demo bookings with no ledger entries and no bonus history: paid_minor is then all the race adds."""
    used = select(m.Payment.booking_id).where(m.Payment.booking_id.is_not(None))
    spent = select(m.BonusTransaction.booking_id).where(m.BonusTransaction.booking_id.is_not(None))
    rows = s.execute(select(m.Booking).where(m.Booking.id.not_in(used), m.Booking.id.not_in(spent))
                     .order_by(m.Booking.id).limit(n)).unique().scalars().all()
    assert len(rows) == n
    return list(rows)


def payable_booking(url: str, *, price: int, paid: int, currency: str = "USD") -> str:
    """A demo booking reset to a known price, paid amount and rules that let it be paid today."""
    db = connect(url)
    with db.uow() as uow:
        s = uow.session
        b = fresh_bookings(s, 1)[0]
        b.status, b.tour_type, b.currency = "confirmed", "standard", currency
        b.price_minor, b.paid_minor = price, paid
        b.departure_on, b.return_on = TODAY + timedelta(days=60), TODAY + timedelta(days=70)
        number = b.number
        uow.commit()
    db.dispose()
    return number


def booking_paid(url: str, number: str) -> tuple[int, int, int]:
    """(paid_minor, sum of credited ledger entries, credited payment count) of a booking."""
    db = connect(url)
    with db.read() as uow:
        s = uow.session
        b = s.execute(select(m.Booking).where(m.Booking.number == number)).scalar_one()
        total, n = s.execute(select(func.coalesce(func.sum(m.Payment.target_amount_minor), 0), func.count())
                             .where(m.Payment.booking_id == b.id, m.Payment.credited.is_(True))).one()
        paid = b.paid_minor
    db.dispose()
    return paid, int(total), int(n)


def cash_payment(url: str, amount: int, *, login: str = "cashier", desk: str = "desk-1") -> str:
    from cashier_app.services import cash

    db = connect(url)
    number = cash.take_cash(desk_ctx(db, login, desk), token=cash.new_token(), amount_minor=amount,
                            account="0000001").payment_number
    db.dispose()
    return number


def account_balance(url: str, account: str) -> int:
    db = connect(url)
    with db.read() as uow:
        value = uow.session.execute(select(m.Account.balance_minor).where(m.Account.number == account)).scalar_one()
    db.dispose()
    return int(value)


def given_back(url: str, payment: str) -> tuple[int, int]:
    """(entries, kopecks given back) against one payment."""
    db = connect(url)
    with db.read() as uow:
        s = uow.session
        pid = s.execute(select(m.Payment.id).where(m.Payment.number == payment)).scalar_one()
        n, total = s.execute(select(func.count(), func.coalesce(func.sum(m.Payment.amount_minor), 0))
                             .where(m.Payment.reverses_id == pid)).one()
    db.dispose()
    return int(n), -int(total)


# --- bonus accounts ------------------------------------------------------------------------------------------


def bonus_office(url: str, *, bookings: int, balance: int) -> tuple[list[str], int]:
    """Bookings that may take bonuses today (90 % paid, far from departure) and one agency balance."""
    db = connect(url)
    numbers: list[str] = []
    with db.uow() as uow:
        s = uow.session
        manager = s.execute(select(m.User).where(m.User.login == "manager")).scalar_one()
        for b in fresh_bookings(s, bookings):
            b.status, b.tour_type, b.currency = "confirmed", "standard", "USD"
            b.price_minor, b.paid_minor = 100_000, 90_000  # cap 10 % = 100.00 USD, due 100.00 USD
            b.departure_on, b.return_on = TODAY + timedelta(days=60), TODAY + timedelta(days=70)
            b.agency_id, b.manager_id = manager.agency_id, manager.id
            numbers.append(b.number)
        acc = s.execute(select(m.BonusAccount).where(m.BonusAccount.owner_kind == "agency",
                                                     m.BonusAccount.agency_id == manager.agency_id)).scalar_one()
        s.execute(text("DELETE FROM bonus_balances WHERE account_id = :a"), {"a": acc.id})
        s.add(m.BonusBalance(account_id=acc.id, bonus_type="agent", currency="USD", active_minor=balance))
        account_id = acc.id
        uow.commit()
    db.dispose()
    return numbers, account_id


def bonus_state(url: str, account_id: int, numbers: list[str]) -> tuple[int, int, int, dict[str, int], int]:
    """(balance, spend rows, spend sum, paid per booking, credited bonus payments' target sum)."""
    db = connect(url)
    with db.read() as uow:
        s = uow.session
        final = s.execute(select(m.BonusBalance.active_minor).where(m.BonusBalance.account_id == account_id,
                                                                    m.BonusBalance.bonus_type == "agent")).scalar_one()
        rows, total = s.execute(select(func.count(), func.coalesce(func.sum(m.BonusTransaction.amount_minor), 0))
                                .where(m.BonusTransaction.account_id == account_id,
                                       m.BonusTransaction.kind == "spend")).one()
        paid = dict(s.execute(select(m.Booking.number, m.Booking.paid_minor)
                              .where(m.Booking.number.in_(numbers))).all())
        ledger_sum = s.execute(select(func.coalesce(func.sum(m.Payment.target_amount_minor), 0))
                               .where(m.Payment.method == "bonus", m.Payment.credited.is_(True))).scalar_one()
    db.dispose()
    return int(final), int(rows), int(total), {k: int(v) for k, v in paid.items()}, int(ledger_sum)
