"""Opening the office database: connect, migrate, and create the demo office once."""

from __future__ import annotations

from sqlalchemy import inspect, text

from cashier_app.storage.db import Database, check_connection
from cashier_app.storage.schema import SCHEMA_HEAD


def schema_revision(db: Database) -> str | None:
    """The applied migration, read from one row: cheap enough for every start."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(db: Database) -> None:
    from cashier_app.storage.migrate import upgrade

    upgrade(db.engine)


def open_database(url: str | None, *, migrate: bool = True) -> Database:
    db = Database(url)
    check_connection(db.engine)
    if migrate and schema_revision(db) != SCHEMA_HEAD:
        globals()["migrate"](db)
    return db


def is_empty(db: Database) -> bool:
    with db.engine.connect() as conn:
        return not conn.execute(text("SELECT 1 FROM payees LIMIT 1")).first()


def ensure_demo_office(url: str | None) -> tuple[Database, bool]:
    """Open the database; a brand-new one gets the schema and the demo office."""
    db = open_database(url)
    created = False
    if is_empty(db):
        from cashier_app.services.passwords import hash_password
        from cashier_app.storage.demo import generate

        generate(db.engine, hash_password=hash_password)
        created = True
    return db, created
