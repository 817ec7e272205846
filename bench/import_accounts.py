"""Accounts import speed and memory (issue 14): N generated rows, then the same file again.

Usage:
    .venv/bin/python bench/import_accounts.py                       # 1 000 000 rows, SQLite in a temp dir
    .venv/bin/python bench/import_accounts.py --rows 100000 --db postgresql://postgres@127.0.0.1/bench

The database is migrated and given the demo office (small) when empty; the rows go to the payee
``nts`` as a full export.  Prints rows/s, wall time and peak RSS of the first import and of the
re-import (every row unchanged).  Target: 1 M rows ≤ 3 min, flat memory.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from cashier_app.services.bootstrap import is_empty, open_database
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.services.importing import accounts_import
from cashier_app.storage import models as m
from cashier_app.storage.db import describe

STREETS = ("ул. Ленина", "ул. Мира", "пр-т Победы", "ул. Садовая", "ул. Гагарина")
NAMES = ("Иванов Иван Иванович", "Петрова Анна Сергеевна", "Сидоров Пётр Ильич", "Кузнецова Ольга Петровна")


def generate(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["number", "contract", "login", "full_name", "phone", "address", "tariff", "monthly_charge",
                    "balance", "blocked"])
        for i in range(rows):
            w.writerow([f"8{i:08d}", "", f"bn{i}", NAMES[i % 4], f"+7 9{i % 100:02d} {i % 1000:03d}-{i % 97:02d}-11",
                        f"г. Калуга, {STREETS[i % 5]}, д. {i % 150 + 1}, кв. {i % 300 + 1}",
                        f"Тариф {i % 6}", f"{(i % 6 + 3) * 100},00", f"{(i % 5000) - 1000},{i % 100:02d}",
                        "1" if i % 37 == 0 else "0"])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", help="database URL (default: a new SQLite file in a temp dir)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = args.db or f"sqlite:///{tmp / 'office.db'}"
    db = open_database(url)
    if is_empty(db):
        from cashier_app.services.passwords import hash_password
        from cashier_app.storage.demo import generate as demo

        demo(db.engine, accounts=200, hash_password=hash_password)
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.role == "admin")).scalars().first()
    ctx = DeskContext(db, "bench", UserInfo(u.id, u.login, u.full_name, u.role))
    src = tmp / "accounts.csv"
    t0 = time.perf_counter()
    generate(src, args.rows)
    print(f"database: {describe(db.engine)}; file: {src.stat().st_size / 1e6:.0f} MB, {args.rows} rows, "
          f"generated in {time.perf_counter() - t0:.1f} s", flush=True)
    for label in ("first import", "re-import (unchanged)"):
        rss0 = peak_rss_mb()
        t0 = time.perf_counter()
        rep = accounts_import.run(ctx, src, payee_code="nts", partial=False)
        wall = time.perf_counter() - t0
        print(f"{label:<24} wall={wall:7.1f} s  rows/s={args.rows / wall:9.0f}  peak RSS={peak_rss_mb():6.0f} MB "
              f"(before {rss0:.0f} MB)  counts={rep.counts()}  warnings={rep.warnings}", flush=True)
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
