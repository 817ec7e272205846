"""The query planner's statistics kept true while a bulk import grows the tables (SQLite).

SQLite plans from ``sqlite_stat1``, written by the last ``ANALYZE`` — on a new office that is the
demo's or an empty one's.  Believing ``contracts`` still holds 200 rows, it answered the import's
«which of these 2 000 numbers exist» by scanning the whole table instead of its unique index, so
each chunk cost more than the one before: 1 000 000 rows took 233 s where 200 000 took 22 s.
Re-analysing whenever the tables have doubled (a sampled ``ANALYZE``, a few milliseconds) keeps
the plan on the index.  PostgreSQL estimates from the tables' current size and needs none of this.
"""

from __future__ import annotations

from sqlalchemy import Connection

FIRST_AT = 10_000  # rows written before the first refresh
SAMPLE_ROWS = 1_000  # PRAGMA analysis_limit: enough for the planner to tell an index from a scan


class PlannerStats:
    def __init__(self, conn: Connection, tables: tuple[str, ...]) -> None:
        self.conn, self.tables = conn, tables
        self.sqlite = conn.dialect.name == "sqlite"
        self.written = 0
        self.next_at = FIRST_AT

    def grew(self, rows: int) -> None:
        """``rows`` more were written; refresh once the tables may have doubled since the last time."""
        self.written += rows
        if self.sqlite and self.written >= self.next_at:
            self.refresh()
            self.next_at = self.written * 2

    def refresh(self) -> None:
        if not self.sqlite:
            return
        self.conn.exec_driver_sql(f"PRAGMA analysis_limit={SAMPLE_ROWS}")
        for table in self.tables:
            self.conn.exec_driver_sql(f"ANALYZE {table}")
