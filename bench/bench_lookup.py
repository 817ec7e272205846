"""Lookup speed on a large office (issue: lookup at the counter).

Usage:
    .venv/bin/python -m cashier_app init-db --db sqlite:////tmp/big.db --scale 1000000
    .venv/bin/python bench/bench_lookup.py --db sqlite:////tmp/big.db
    .venv/bin/python bench/bench_lookup.py --db postgresql://postgres@127.0.0.1/big

Prints p50/p99 per query kind and the database used.  Targets (2-core machine,
1 000 000 accounts): exact account/booking/login ≤ 5 ms p99; surname prefix and
address, first page of 50, ≤ 50 ms p99; contract with its accounts ≤ 10 ms p99.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report, timed
from sqlalchemy import func, select

from cashier_app.services.bootstrap import open_database
from cashier_app.services.cards import account_card, booking_card
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.lookup import search
from cashier_app.storage import models as m
from cashier_app.storage.db import describe


def sample(db, column, n: int, rng: random.Random, where=None) -> list[str]:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        s = uow.session
        table = column.class_
        top = s.execute(select(func.max(table.id))).scalar_one()
        ids = [rng.randint(1, top) for _ in range(n * 2)]
        stmt = select(column).where(table.id.in_(ids))
        if where is not None:
            stmt = stmt.where(where)
        values = [v for v in s.execute(stmt).scalars() if v]
    rng.shuffle(values)
    return values[:n]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--runs", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(7)
    db = open_database(args.db)
    with db.read() as uow:
        n_acc = uow.session.execute(select(func.count()).select_from(m.Account)).scalar_one()
        # The lookups check who asks (``lookup``): time them as a cashier of the office would run them.
        u = uow.session.execute(select(m.User).where(m.User.role == "cashier", m.User.active.is_(True))
                                .order_by(m.User.id)).scalars().first()
    if u is None:
        print("no active cashier in this database (init-db --demo makes one)", file=sys.stderr)
        return 2
    ctx = DeskContext(db, "bench", UserInfo(u.id, u.login, u.full_name, u.role))
    ctx.today_override = ctx.today()  # the office's day, read once: the card timings are the card's own
    print(f"database: {describe(db.engine)}; accounts: {n_acc}", flush=True)
    runs = args.runs
    accounts = sample(db, m.Account.number, runs, rng)
    logins = sample(db, m.Account.login, runs, rng)
    bookings = sample(db, m.Booking.number, runs, rng)
    contracts = sample(db, m.Contract.number, runs, rng)
    names = [n.split()[0][:4] for n in sample(db, m.Contract.full_name, runs, rng)]
    streets = sample(db, m.Contract.street, runs, rng)
    houses = sample(db, m.Contract.house, runs, rng)
    addresses = [f"{s.removeprefix('ул. ')} {h}" for s, h in zip(streets, houses, strict=False)]
    # One warm-up pass so the figures are for a running counter, not a cold start.
    for q in (accounts[0], names[0], addresses[0]):
        search(ctx, q)

    def each(values: list[str]):  # type: ignore[no-untyped-def]
        it = iter(values * 3)
        return lambda: search(ctx, next(it))

    lines = [
        report("exact account number", timed(each(accounts), runs), 5),
        report("exact login", timed(each(logins), runs), 5),
        report("exact booking number", timed(each(bookings), runs), 5),
        report("contract with its accounts", timed(each(contracts), runs), 10),
        report("surname prefix, first 50", timed(each(names), runs), 50),
        report("address (street + house), first 50", timed(each(addresses), runs), 50),
    ]
    # What the counter shows next: the whole card (a booking's card includes the agency's commission tier).
    acc_it, book_it = iter(accounts * 3), iter(bookings * 3)
    cards_runs = max(50, runs // 4)
    report("account card", timed(lambda: account_card(ctx, next(acc_it)), cards_runs))
    report("booking card (with commission)", timed(lambda: booking_card(ctx, next(book_it)), cards_runs))
    over = [ln for ln in lines if "OVER" in ln]
    print(f"done: {len(lines) - len(over)} of {len(lines)} within target", flush=True)
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
