"""Many new rows into one table at once: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

An import of a million subscribers spent most of its PostgreSQL time sending INSERTs; ``COPY``
streams the same rows in one command inside the import's own transaction (all-or-nothing still
holds: a rollback takes them back).  ``COPY`` knows nothing of SQLAlchemy's Python-side column
defaults, so the scalar ones are filled in here — a table with a callable default is refused
rather than written without it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    keys = list(rows[0])
    defaults: dict[str, Any] = {}
    for col in table.columns:
        if col.name in keys or col.default is None:
            continue
        if not getattr(col.default, "is_scalar", False):
            raise ValueError(f"{table.name}.{col.name} has a non-scalar default: COPY cannot fill it")
        defaults[col.name] = col.default.arg  # type: ignore[attr-defined]
    cols = keys + list(defaults)
    extra = tuple(defaults.values())
    names = ", ".join(f'"{c}"' for c in cols)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # type: ignore[union-attr]
        for r in rows:
            copy.write_row(tuple(r[k] for k in keys) + extra)
