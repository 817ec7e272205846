"""Properties of the accounts import: any row order → the same office; re-import idempotent; a bad row never half-writes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cashier_app.services.importing import accounts_import as ai
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import copy_sqlite
from tests.imports.helpers import admin, row, write

_rows = st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=6, unique=True).map(
    lambda ns: [row(n, balance=f"{n * 7 - 100},{n % 100:02d}", blocked="1" if n % 3 == 0 else "нет",
                    tariff=f"T{n % 2}") for n in ns])


def _copy(demo: Path, into: Path) -> Database:
    copy_sqlite(demo, into)
    return Database(f"sqlite:///{into}")


def _snapshot(db: Database) -> list[tuple]:
    with db.read() as uow:
        return sorted(uow.session.execute(
            select(m.Account.number, m.Account.balance_minor, m.Account.block_state, m.Account.closed_on,
                   m.Contract.full_name, m.Contract.phone_norm, m.Contract.street_norm, m.Tariff.name)
            .join(m.Contract).outerjoin(m.Tariff, m.Tariff.id == m.Account.tariff_id)).all())


@settings(max_examples=4, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=_rows, order=st.randoms(use_true_random=False))
def test_any_order_same_result_and_reimport_idempotent(demo_db_path: Path, rows: list[dict[str, str]],
                                                       order) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        shuffled = list(rows)
        order.shuffle(shuffled)
        results = []
        for name, data in (("a", rows), ("b", shuffled)):
            db = _copy(demo_db_path, d / f"{name}.db")
            try:
                p = write(d / f"{name}.csv", data)
                first = ai.run(admin(db), p, payee_code="nts")
                snap = _snapshot(db)
                again = ai.run(admin(db), p, payee_code="nts")
                assert again.changed == 0 and again.unchanged == len(rows) and again.same_file
                assert _snapshot(db) == snap
                results.append((first.counts(), snap))
            finally:
                db.dispose()
        assert results[0] == results[1]


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=_rows, bad_at=st.integers(min_value=0, max_value=5),
       bad=st.sampled_from([("balance", "12,345"), ("number", "1 2"), ("full_name", ""), ("blocked", "может"),
                            ("phone", "9" * 40)]))
def test_one_bad_row_never_half_writes(demo_db_path: Path, rows: list[dict[str, str]], bad_at: int,
                                       bad: tuple[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        db = _copy(demo_db_path, d / "o.db")
        try:
            before = _snapshot(db)
            data = [dict(r) for r in rows]
            data[bad_at % len(data)][bad[0]] = bad[1]
            rep = ai.run(admin(db), write(d / "a.csv", data), payee_code="nts")
            assert rep.bad_total == 1 and not rep.written
            assert rep.bad[0].line == bad_at % len(data) + 2 and rep.bad[0].column == bad[0]
            assert _snapshot(db) == before
        finally:
            db.dispose()


@settings(max_examples=3, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=_rows)
def test_cp1251_utf8_and_xlsx_import_the_same(demo_db_path: Path, rows: list[dict[str, str]]) -> None:
    from openpyxl import Workbook

    from tests.imports.helpers import HEADER

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        wb = Workbook()
        wb.active.append(HEADER)
        for r in rows:
            wb.active.append([r[h] for h in HEADER])
        wb.save(d / "x.xlsx")
        files = [write(d / "u.csv", rows), write(d / "w.csv", rows, enc="cp1251", sep="\t"), d / "x.xlsx"]
        snaps = []
        for i, p in enumerate(files):
            db = _copy(demo_db_path, d / f"{i}.db")
            try:
                ai.run(admin(db), p, payee_code="nts")
                snaps.append(_snapshot(db))
            finally:
                db.dispose()
        assert snaps[0] == snaps[1] == snaps[2]
