"""race guards: one open shift per desk

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Eight parallel ``shift open`` on one desk made five open shifts (issue 10): the
check-then-insert in ``shifts.open_shift`` cannot see uncommitted rows of other
desks' transactions on PostgreSQL.  A partial unique index makes the database
refuse the second open shift; SQLite and PostgreSQL both support it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "uq_cash_shifts_open_desk"
OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    # An older version allowed one open shift per user and desk: say which ones to close
    # rather than fail with a bare «could not create unique index».
    dupes = op.get_bind().execute(sa.text(
        "SELECT desk, COUNT(*) FROM cash_shifts WHERE status = 'open' GROUP BY desk HAVING COUNT(*) > 1"
    )).all()
    if dupes:
        desks = ", ".join(f"{desk} ({n})" for desk, n in dupes)
        raise RuntimeError(
            f"На кассах открыто по несколько смен: {desks}. Закройте лишние смены прежней версией "
            "программы, затем обновите базу: теперь на кассе может быть открыта только одна смена.")
    op.create_index(INDEX, "cash_shifts", ["desk"], unique=True, sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="cash_shifts")
