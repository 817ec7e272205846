"""systems of record: billing connector per payee, billing delivery outbox, account checks, import runs,
registry layouts, closed accounts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

``billing_settings`` holds a payee's OSMP check/pay connector (URL, dialect); the password lives
in the keyring.  ``billing_deliveries`` is the outbox written in the payment's transaction: one
``pay`` per credited payment and one ``cancel`` per cancel/refund entry, its ``txn_id`` frozen.
``billing_checks`` keeps the billing's last ``check`` answer per account; ``import_runs`` who
imported which file and what it changed; ``registry_layouts`` a payee's payment-register layout.
An account a full export no longer lists is closed (``closed_on``), never deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_settings",
        sa.Column("payee_id", sa.Integer(), sa.ForeignKey("payees.id"), primary_key=True),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=255), nullable=True),
        sa.Column("dialect", sa.String(length=16), nullable=True),
        sa.Column("login", sa.String(length=64), nullable=True),
        sa.Column("ca_file", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "billing_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("payment_id", sa.Integer(), sa.ForeignKey("payments.id"), nullable=False),
        sa.Column("operation", sa.String(length=8), nullable=False),
        sa.Column("cancels_id", sa.Integer(), sa.ForeignKey("billing_deliveries.id"), nullable=True),
        sa.Column("payee_id", sa.Integer(), sa.ForeignKey("payees.id"), nullable=False),
        sa.Column("txn_id", sa.String(length=20), nullable=False),
        sa.Column("account_number", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("txn_date", sa.String(length=14), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("url", sa.String(length=255), nullable=True),
        sa.Column("dialect", sa.String(length=16), nullable=True),
        sa.Column("prv_txn", sa.String(length=64), nullable=True),
        sa.Column("verified_by", sa.String(length=12), nullable=True),
        sa.Column("result_code", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("payment_id"),
        sa.UniqueConstraint("payee_id", "txn_id", name="uq_billing_deliveries_txn"),
        sa.CheckConstraint("amount_minor > 0", name="ck_billing_deliveries_amount"),
    )
    op.create_index(op.f("ix_billing_deliveries_payee_id"), "billing_deliveries", ["payee_id"], unique=False)
    op.create_index(op.f("ix_billing_deliveries_state"), "billing_deliveries", ["state"], unique=False)
    op.create_index(op.f("ix_billing_deliveries_next_attempt_at"), "billing_deliveries", ["next_attempt_at"],
                    unique=False)
    op.create_table(
        "billing_checks",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("result_code", sa.Integer(), nullable=True),
        sa.Column("balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("full_name", sa.String(length=160), nullable=True),
        sa.Column("message", sa.String(length=255), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payee_id", sa.Integer(), sa.ForeignKey("payees.id"), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("preset", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("message", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_import_runs_file", "import_runs", ["kind", "payee_id", "file_sha256"], unique=False)
    op.create_table(
        "registry_layouts",
        sa.Column("payee_id", sa.Integer(), sa.ForeignKey("payees.id"), primary_key=True),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("closed_on")
    op.drop_table("registry_layouts")
    op.drop_index("ix_import_runs_file", table_name="import_runs")
    op.drop_table("import_runs")
    op.drop_table("billing_checks")
    op.drop_index(op.f("ix_billing_deliveries_next_attempt_at"), table_name="billing_deliveries")
    op.drop_index(op.f("ix_billing_deliveries_state"), table_name="billing_deliveries")
    op.drop_index(op.f("ix_billing_deliveries_payee_id"), table_name="billing_deliveries")
    op.drop_table("billing_deliveries")
