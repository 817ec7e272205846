"""Benchmark: one ПД-4 from lookup to PDF bytes through the service (``documents.issue`` end to end).

    PYTHONPATH=. .venv/bin/python bench/bench_documents.py [--samples 200] [--accounts 2000]

Builds a demo office on SQLite in a temp dir, then times ``issue`` (account
lookup, payee check, journal number, QR, drawing, journal row + audit event,
commit) for debtor accounts, and the same for a booking's CONTACT sheet.
Prints p50/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from cashier_app.services import documents
from cashier_app.services.bootstrap import open_database
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from cashier_app.storage.demo import generate


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--accounts", type=int, default=2000)
    args = ap.parse_args()
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'office.sqlite3'}")
        generate(db.engine, accounts=args.accounts, today=today, hash_password=lambda p: "x")
        with db.read() as uow:
            s = uow.session
            u = s.execute(select(m.User).where(m.User.role == "cashier")).scalars().first()
            accounts = s.execute(select(m.Account.number).where(m.Account.balance_minor < 0)
                                 .order_by(m.Account.id).limit(args.samples)).scalars().all()
            booking = s.execute(select(m.Booking.number).where(
                m.Booking.status == "confirmed", m.Booking.paid_minor < m.Booking.price_minor,
                m.Booking.departure_on > today).limit(1)).scalar_one()
        ctx = DeskContext(db, "bench", UserInfo(u.id, u.login, u.full_name, u.role))
        documents.issue(ctx, "pd4", account=accounts[0], today=today)  # warm-up: fonts, imports
        for label, call, n in (
            ("ПД-4 for an account", lambda i: documents.issue(ctx, "pd4", account=accounts[i % len(accounts)],
                                                              today=today), args.samples),
            ("CONTACT sheet for a booking", lambda i: documents.issue(ctx, "info", method="contact",
                                                                      booking=booking, today=today),
             max(20, args.samples // 4)),
        ):
            times = []
            for i in range(n):
                t0 = time.perf_counter()
                doc = call(i)
                times.append((time.perf_counter() - t0) * 1000)
                assert doc.pdf.startswith(b"%PDF")
            print(f"{label}: issue() end to end, {n} samples: p50 {statistics.median(times):.1f} ms, "
                  f"p99 {pct(times, 99):.1f} ms, max {max(times):.1f} ms")
        t0 = time.perf_counter()
        number = documents.journal_lines(ctx, account=accounts[0])[0].number
        again = documents.reprint(ctx, number)
        print(f"reprint from the journal: {(time.perf_counter() - t0) * 1000:.1f} ms, {len(again.pdf)} bytes")
        db.dispose()


if __name__ == "__main__":
    main()
