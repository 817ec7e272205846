"""Benchmark: N queued billing deliveries (default 10 000) delivered to the billing emulator.

    .venv/bin/python bench/billing_delivery.py [--rows 10000] [--db URL] [--dialect abills|ubilling]

Queues N credited cash payments (``ledger.credit`` writes each one's ``pay`` row, as the counter does)
on a fresh SQLite office (or ``--db``, an empty database to fill), then times ``deliver_due`` until
the outbox is empty: payments/s, and p50/p99 of one delivery (the lease, the HTTP call, the store).
Afterwards it checks that the emulator holds exactly one payment per row.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench._common import percentile


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--db", help="SQLAlchemy URL of an empty database (default: a temporary SQLite file)")
    ap.add_argument("--dialect", default="abills", choices=("abills", "ubilling"))
    args = ap.parse_args()

    from cashier_app.emulators.billing.server import BillingServer
    from cashier_app.services import ledger
    from cashier_app.services.billing import delivery
    from cashier_app.services.billing import settings as bs
    from cashier_app.services.bootstrap import open_database
    from cashier_app.storage import models as m
    from cashier_app.storage.demo import generate
    from tests.billing.helpers import accounts, ctx_for, isp_payee

    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    db = open_database(url)
    generate(db.engine, accounts=200, hash_password=lambda p: "x")  # nobody signs in here
    srv = BillingServer(dialect=args.dialect, port=0)
    srv.start()
    try:
        code = isp_payee(db)
        bs.configure(ctx_for(db, "admin"), code, url=srv.osmp_url, dialect=args.dialect)
        numbers = accounts(db, code, 100)
        srv.load_accounts([{"number": a, "full_name": "Б", "balance": "0", "blocked": "0"} for a in numbers])
        ctx = ctx_for(db, "cashier", "bench")
        t0 = time.perf_counter()
        for start in range(0, args.rows, 500):
            with db.uow() as uow:
                s = uow.session
                for i in range(start, min(start + 500, args.rows)):
                    target, payee = ledger.find_target(s, account=numbers[i % len(numbers)])
                    p = ledger.open_payment(s, ctx, target, method="cash", amount_minor=100 + i, payee_id=payee)
                    ledger.credit(s, ctx, p.id)
                uow.commit()
        queued = time.perf_counter() - t0
        print(f"queued {args.rows} payments in {queued:.1f} s", flush=True)
        with db.read() as uow:
            ids = list(uow.session.execute(select(m.BillingDelivery.id).order_by(m.BillingDelivery.id)).scalars())
        per: list[float] = []
        t0 = time.perf_counter()
        for rid in ids:
            t1 = time.perf_counter()
            delivery._deliver_row(db, rid, timeout=5.0)
            per.append((time.perf_counter() - t1) * 1000)
        wall = time.perf_counter() - t0
        with db.read() as uow:
            done = uow.session.execute(select(func.count()).select_from(m.BillingDelivery)
                                       .where(m.BillingDelivery.state == "delivered")).scalar_one()
        billed = len(srv.payments())
        print(f"delivered {done}/{len(ids)} in {wall:.1f} s: {len(ids) / wall:.0f} payments/s; "
              f"p50 {percentile(per, 50):.1f} ms, p99 {percentile(per, 99):.1f} ms; emulator holds {billed}")
        return 0 if done == len(ids) == billed else 1
    finally:
        srv.stop()
        db.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
