"""The schema comes from migrations alone, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cashier_app.services.bootstrap import open_database, schema_revision
from cashier_app.storage.migrate import head_revision
from cashier_app.storage.models import Base
from cashier_app.storage.schema import SCHEMA_HEAD

EXPECTED_TABLES = {
    "payees", "tariffs", "services", "contracts", "accounts", "account_services", "account_charges",
    "agencies", "bookings", "tourists", "exchange_rates", "users", "cash_shifts", "cash_movements",
    "payments", "gateway_orders", "documents", "bonus_accounts", "bonus_balances", "bonus_transactions",
    "audit_events", "counters", "settings",
}


def _check_fresh_schema(url: str) -> None:
    db = open_database(url)
    try:
        assert schema_revision(db) == SCHEMA_HEAD
        insp = inspect(db.engine)
        assert EXPECTED_TABLES <= set(insp.get_table_names())
        indexed = {tuple(ix["column_names"]) for ix in insp.get_indexes("contracts")}
        assert ("name_norm", "id") in indexed and ("phone_norm",) in indexed
        assert ("street_norm", "house", "id") in indexed
        tourist_ix = {tuple(ix["column_names"]) for ix in insp.get_indexes("tourists")}
        assert ("passport_no",) in tourist_ix and ("name_norm", "id") in tourist_ix
        # The migration and the models describe the same schema.
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], diff
        # Running again is a no-op.
        open_database(url).dispose()
    finally:
        db.dispose()


def test_schema_head_constant_matches_alembic() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_migrations_up_on_sqlite_from_empty(tmp_path: Path) -> None:
    _check_fresh_schema(f"sqlite:///{tmp_path / 'empty.sqlite3'}")


def test_migrations_up_on_postgresql_from_empty(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    _check_fresh_schema(pg_database_factory())


def test_sqlite_has_wal_and_foreign_keys(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
