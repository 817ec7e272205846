"""card order identity: a random uuid per gateway order, and this database's installation id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Order numbers came from a per-database counter, so a restored backup, a new
``init-db`` or a second office on the same merchant account repeated them and the
app credited a stranger's bank order (issue 10 §1).  Each order now carries a
random identity sent to the bank (``services/card_identity.py``), and the order
number carries this database's random installation id and the identity's token.
Orders written before this revision keep no identity: a bank order under their
number is never adopted.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = "ix_gateway_orders_order_uid"
INSTALLATION_KEY = "installation_id"
# The same alphabet as services/card_identity.py (a migration does not import application code).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def upgrade() -> None:
    op.add_column("gateway_orders", sa.Column("order_uid", sa.String(length=36), nullable=True))
    op.create_index(INDEX, "gateway_orders", ["order_uid"], unique=True)
    bind = op.get_bind()
    exists = bind.execute(sa.text("SELECT 1 FROM settings WHERE key = :k"), {"k": INSTALLATION_KEY}).first()
    if exists is None:
        value = "".join(secrets.choice(ALPHABET) for _ in range(4))
        bind.execute(sa.text("INSERT INTO settings (key, value) VALUES (:k, :v)"), {"k": INSTALLATION_KEY, "v": value})


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM settings WHERE key = :k"), {"k": INSTALLATION_KEY})
    op.drop_index(INDEX, table_name="gateway_orders")
    with op.batch_alter_table("gateway_orders", schema=None) as batch_op:
        batch_op.drop_column("order_uid")
