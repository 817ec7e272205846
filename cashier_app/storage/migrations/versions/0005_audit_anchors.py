"""audit anchors and ledger checks

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Each Z report keeps the audit chain's head (rows up to an event and that
event's hash) so that deleting the chain's last rows or re-hashing it is
found by ``cashier-app audit verify`` (services/audit.py).  No foreign key to
``audit_events``: an anchor must survive the row it names being deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("document_number", sa.String(length=32), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shift_id"], ["cash_shifts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_anchors_event_id"), "audit_anchors", ["event_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_anchors_event_id"), table_name="audit_anchors")
    op.drop_table("audit_anchors")
