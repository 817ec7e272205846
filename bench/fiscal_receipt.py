"""Benchmark: the time a fiscal receipt adds to a cash payment at the counter (register emulator answering at once).

    PYTHONPATH=. .venv/bin/python bench/fiscal_receipt.py [--payments 200] [--modes atol_web,atol_online]

A demo office on SQLite in a temp dir and the register emulator on a loopback port.  For each
mode, ``cash.take_cash`` is timed end to end (ledger + outbox row + delivery + slip) against the
same with the payee «без ККТ», interleaved so both see the same machine; the receipt's own part
(``deliver_after_commit``: lease, register conversation, fiscal data stored) is timed separately.
Prints p50/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import report
from cashier_app.emulators.register.server import RegisterServer
from cashier_app.services import cash, shifts
from cashier_app.services.bootstrap import open_database
from cashier_app.services.context import DeskContext, UserInfo
from cashier_app.storage import models as m
from cashier_app.storage.demo import generate
from tests.fiscal.fc_helpers import set_fiscal


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--payments", type=int, default=200)
    ap.add_argument("--modes", default="atol_web,atol_online")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'office.sqlite3'}")
        generate(db.engine, accounts=200, today=date.today(), hash_password=lambda p: "x")
        srv = RegisterServer(host="127.0.0.1", port=0, state_path=Path(tmp) / "register.sqlite")
        srv.start()
        try:
            with db.read() as uow:
                s = uow.session
                u = s.execute(select(m.User).where(m.User.login == "cashier")).scalar_one()
                accounts = list(s.execute(select(m.Account.number).order_by(m.Account.id).limit(50)).scalars())
            ctx = DeskContext(db, "bench", UserInfo(u.id, u.login, u.full_name, u.role))
            shifts.open_shift(ctx, 0)
            srv.set_state(shift_opened_at=datetime.now(UTC).isoformat())
            inner: list[float] = []
            real = cash.deliver_after_commit

            def timed_delivery(*a: object, **kw: object) -> object:
                t0 = time.perf_counter()
                try:
                    return real(*a, **kw)  # type: ignore[arg-type]
                finally:
                    inner.append((time.perf_counter() - t0) * 1000)

            cash.deliver_after_commit = timed_delivery  # type: ignore[assignment]

            def one(i: int) -> float:
                t0 = time.perf_counter()
                res = cash.take_cash(ctx, token=cash.new_token(), amount_minor=10_000 + i,
                                     account=accounts[i % len(accounts)], paper="80mm")
                return (time.perf_counter() - t0) * 1000 if res.slip else float("nan")

            for mode in args.modes.split(","):
                with_fiscal: list[float] = []
                without: list[float] = []
                inner.clear()
                for i in range(args.payments):
                    for which, out in ((mode, with_fiscal), ("none", without)):
                        set_fiscal(db, srv, which)
                        out.append(one(i))
                print(f"--- {mode}: {args.payments} cash payments each way")
                report("take_cash, payee «без ККТ»", without)
                report(f"take_cash with a {mode} receipt", with_fiscal)
                report("the receipt's part (deliver)", inner[::2])
                gap = sorted(a - b for a, b in zip(with_fiscal, without, strict=True))
                report("added per payment (pairwise)", gap)
        finally:
            cash.deliver_after_commit = real  # type: ignore[assignment]
            srv.stop()
            db.dispose()


if __name__ == "__main__":
    main()
