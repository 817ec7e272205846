"""Benchmark: the payments journal export (CSV and XLSX) of N ledger rows, streamed.

    PYTHONPATH=. .venv/bin/python bench/bench_journal_export.py [--rows 20000]

Builds a throw-away SQLite office, adds N credited payments on one desk, then
exports that filter to CSV and to XLSX (openpyxl write-only), each in a fresh
child process so its peak resident set (VmHWM) is the export's alone.
Prints rows written, the total line against the sum of the rows, seconds and
peak memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
from cashier_app.services import payments_journal as pj
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage.db import Database
from cashier_app.storage import models as m
from sqlalchemy import select
url, fmt, out = sys.argv[1:4]
db = Database(url)
with db.read() as uow:
    u = uow.session.execute(select(m.User).where(m.User.role == "manager")).scalars().first()
ctx = DeskContext(db, "bench", UserInfo(u.id, u.login, u.full_name, u.role))
t = time.perf_counter()
summary = pj.export(ctx, pj.JournalFilter(desk="bulk"), out, fmt)
took = time.perf_counter() - t
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"rows": summary.rows, "net_minor": summary.net_minor, "seconds": round(took, 2),
                  "peak_mb": round(hwm / 1024, 1)}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    args = ap.parse_args()
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from cashier_app.domain.money import format_money
    from cashier_app.services.bootstrap import open_database
    from cashier_app.services.passwords import hash_password
    from cashier_app.storage import models as m
    from cashier_app.storage.demo import generate

    tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
    url = f"sqlite:///{tmp / 'office.sqlite3'}"
    db = open_database(url)
    generate(db.engine, accounts=200, hash_password=hash_password)
    base = datetime.now(UTC) - timedelta(days=1)
    with db.uow() as uow:
        s = uow.session
        account_id = s.execute(select(m.Account.id).limit(1)).scalar_one()
        user_id = s.execute(select(m.User.id).where(m.User.login == "cashier")).scalar_one()
        rows = [{"number": f"BULK-{i:07d}", "entry_kind": "payment", "method": ("cash", "card", "bonus")[i % 3],
                 "status": "paid", "amount_minor": 100 + (i * 7919) % 1_000_000, "currency": "RUB",
                 "account_id": account_id, "desk": "bulk", "user_id": user_id,
                 "created_at": base + timedelta(seconds=i), "credited": True,
                 "reason": "=HYPERLINK(\"x\")" if i % 1000 == 0 else None} for i in range(args.rows)]
        expected = sum(r["amount_minor"] for r in rows)
        for i in range(0, len(rows), 5000):
            s.execute(insert(m.Payment), rows[i:i + 5000])
        uow.commit()
    db.dispose()
    del rows
    print(f"{args.rows} rows, sum {format_money(expected)}")
    for fmt in ("csv", "xlsx"):
        out = tmp / f"payments.{fmt}"
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", CHILD, url, fmt, str(out)], capture_output=True, text=True,
                           check=True)
        res = json.loads(p.stdout)
        ok = res["rows"] == args.rows and res["net_minor"] == expected
        print(f"{fmt}: {res['rows']} rows, total {'=' if ok else '≠'} sum of rows, export {res['seconds']} s "
              f"(process {time.perf_counter() - t:.1f} s), peak RSS {res['peak_mb']} MB, "
              f"{out.stat().st_size / 1e6:.1f} MB file")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
