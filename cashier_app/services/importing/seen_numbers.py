"""The numbers an import has met so far: a temporary table (``import_seen``), one per import.

A number met twice in one file is refused; after a full export, accounts whose number was never
met are closed (``accounts_import._close_missing`` reads the table).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table, bindparam, text

from cashier_app.services.importing.bulk_insert import insert_rows


def seen_table(conn: Connection) -> None:
    # Per connection: a temporary table is private to this import; PostgreSQL drops it at commit.
    if conn.dialect.name == "postgresql":
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS import_seen (number VARCHAR(32) PRIMARY KEY) "
                          "ON COMMIT DROP"))
    else:
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS import_seen (number VARCHAR(32) PRIMARY KEY)"))
    conn.execute(text("DELETE FROM import_seen"))


# The temporary table as SQLAlchemy sees it, for insert_rows (created by seen_table).
SEEN = Table("import_seen", MetaData(), Column("number", String(32), primary_key=True))


def mark_seen(conn: Connection, numbers: list[str]) -> set[str]:
    """Add the chunk's numbers; returns those already listed by an earlier chunk (duplicates)."""
    dup = set(conn.execute(text("SELECT number FROM import_seen WHERE number IN :n")
                           .bindparams(bindparam("n", expanding=True)), {"n": numbers}).scalars())
    fresh = list(dict.fromkeys(n for n in numbers if n not in dup))
    if fresh:
        insert_rows(conn, SEEN, [{"number": n} for n in fresh])
    return dup
