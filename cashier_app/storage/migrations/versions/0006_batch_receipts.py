"""documents journal: each receipt of a batch is journaled on its own

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

A debtors batch prints «Документ № D-…/00409» on each receipt; that number
must reprint the receipt and the account's documents must list it.  The batch
items get the printed number (unique), the account (indexed) and the single
receipt's PDF hash.  Rows written before this migration get their number and
account from the batch number, position and stored params.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document_batch_items") as batch:
        batch.add_column(sa.Column("number", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
        batch.create_foreign_key("fk_document_batch_items_account_id", "accounts", ["account_id"], ["id"])
        batch.create_index(op.f("ix_document_batch_items_number"), ["number"], unique=True)
        batch.create_index(op.f("ix_document_batch_items_account_id"), ["account_id"], unique=False)
    conn = op.get_bind()
    items = sa.table("document_batch_items", sa.column("id", sa.Integer()), sa.column("batch_number", sa.String()),
                     sa.column("position", sa.Integer()), sa.column("params", sa.JSON()),
                     sa.column("number", sa.String()), sa.column("account_id", sa.Integer()))
    accounts = sa.table("accounts", sa.column("id", sa.Integer()), sa.column("number", sa.String()))
    rows = conn.execute(sa.select(items.c.id, items.c.batch_number, items.c.position, items.c.params)).all()
    for item_id, batch_number, position, params in rows:
        p = json.loads(params) if isinstance(params, str) else (params or {})
        account_id = conn.execute(sa.select(accounts.c.id).where(accounts.c.number == p.get("target_number"))).scalar()
        conn.execute(sa.update(items).where(items.c.id == item_id)
                     .values(number=p.get("document_number") or f"{batch_number}/{position:05d}", account_id=account_id))


def downgrade() -> None:
    with op.batch_alter_table("document_batch_items") as batch:
        batch.drop_index(op.f("ix_document_batch_items_account_id"))
        batch.drop_index(op.f("ix_document_batch_items_number"))
        batch.drop_constraint("fk_document_batch_items_account_id", type_="foreignkey")
        batch.drop_column("pdf_sha256")
        batch.drop_column("account_id")
        batch.drop_column("number")
