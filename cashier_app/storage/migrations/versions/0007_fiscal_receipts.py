"""fiscal receipts (54-FZ): per-payee register settings, cashier INN, the receipts outbox, register shifts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``fiscal_settings`` holds a payee's register (ATOL Web Server, ATOL Online or none), its
taxation, VAT, agent and supplier data; the ATOL Online password lives in the keyring.
``fiscal_receipts`` is the outbox: one row per payment (sell) and per refund or cancel
entry (sell_return), written in the payment's transaction; its ``key`` is the ATOL Web
Server uuid and the ATOL Online external_id on every attempt.  Shifts remember the
register's shift and the Z data; users their name and INN as printed on receipts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fiscal_settings",
        sa.Column("payee_id", sa.Integer(), sa.ForeignKey("payees.id"), primary_key=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=255), nullable=True),
        sa.Column("group_code", sa.String(length=64), nullable=True),
        sa.Column("login", sa.String(length=64), nullable=True),
        sa.Column("company_email", sa.String(length=64), nullable=True),
        sa.Column("company_inn", sa.String(length=12), nullable=True),
        sa.Column("card_by_bank", sa.Boolean(), nullable=False),
        sa.Column("tax_system", sa.String(length=24), nullable=False),
        sa.Column("vat", sa.String(length=8), nullable=False),
        sa.Column("agent", sa.String(length=24), nullable=False),
        sa.Column("agent_operation", sa.String(length=24), nullable=True),
        sa.Column("agent_phone", sa.String(length=19), nullable=True),
        sa.Column("operator_phone", sa.String(length=19), nullable=True),
        sa.Column("supplier_name", sa.String(length=160), nullable=True),
        sa.Column("supplier_inn", sa.String(length=12), nullable=True),
        sa.Column("supplier_phone", sa.String(length=19), nullable=True),
        sa.Column("payment_object", sa.String(length=24), nullable=False),
        sa.Column("payment_method", sa.String(length=24), nullable=False),
        sa.Column("item_name", sa.String(length=128), nullable=True),
        sa.Column("place", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "fiscal_receipts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.Integer(), sa.ForeignKey("payments.id"), nullable=False),
        sa.Column("operation", sa.String(length=20), nullable=False),
        sa.Column("corrects_id", sa.Integer(), sa.ForeignKey("fiscal_receipts.id"), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("payee_id", sa.Integer(), sa.ForeignKey("payees.id"), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("contact", sa.String(length=64), nullable=True),
        sa.Column("electronically", sa.Boolean(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("register_url", sa.String(length=255), nullable=True),
        sa.Column("remote_uuid", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fd_number", sa.BigInteger(), nullable=True),
        sa.Column("fiscal_sign", sa.String(length=16), nullable=True),
        sa.Column("fn_number", sa.String(length=16), nullable=True),
        sa.Column("shift_number", sa.Integer(), nullable=True),
        sa.Column("receipt_number", sa.Integer(), nullable=True),
        sa.Column("fiscal_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fiscal_utc_offset", sa.Integer(), nullable=True),
        sa.Column("registration_number", sa.String(length=20), nullable=True),
        sa.Column("fns_url", sa.String(length=64), nullable=True),
        sa.Column("fiscal_total_minor", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="ck_fiscal_receipts_amount"),
    )
    op.create_index(op.f("ix_fiscal_receipts_key"), "fiscal_receipts", ["key"], unique=True)
    op.create_index(op.f("ix_fiscal_receipts_payment_id"), "fiscal_receipts", ["payment_id"], unique=False)
    op.create_index(op.f("ix_fiscal_receipts_state"), "fiscal_receipts", ["state"], unique=False)
    # One sale per payment and one return per refund entry; corrections may be several.
    op.create_index("uq_fiscal_receipts_one_per_entry", "fiscal_receipts", ["payment_id", "operation"], unique=True,
                    sqlite_where=sa.text("operation IN ('sell', 'sell_return')"),
                    postgresql_where=sa.text("operation IN ('sell', 'sell_return')"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("fiscal_name", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("fiscal_inn", sa.String(length=12), nullable=True))
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("receipt_contact", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("receipt_paperless", sa.Boolean(), nullable=True))
    with op.batch_alter_table("cash_shifts") as batch:
        batch.add_column(sa.Column("register_url", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("register_fn", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("register_shift_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("register_z", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cash_shifts") as batch:
        batch.drop_column("register_z")
        batch.drop_column("register_shift_number")
        batch.drop_column("register_fn")
        batch.drop_column("register_url")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("receipt_paperless")
        batch.drop_column("receipt_contact")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("fiscal_inn")
        batch.drop_column("fiscal_name")
    op.drop_index("uq_fiscal_receipts_one_per_entry", table_name="fiscal_receipts")
    op.drop_index(op.f("ix_fiscal_receipts_state"), table_name="fiscal_receipts")
    op.drop_index(op.f("ix_fiscal_receipts_payment_id"), table_name="fiscal_receipts")
    op.drop_index(op.f("ix_fiscal_receipts_key"), table_name="fiscal_receipts")
    op.drop_table("fiscal_receipts")
    op.drop_table("fiscal_settings")
