"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("is_network", sa.Boolean(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("sales_plan_usd_minor", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_login", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_user_login"), ["user_login"], unique=False)

    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "document_batch_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_number", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_number", "position", name="uq_batch_item_position"),
    )
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rate > 0", name="ck_rates_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("currency", "day", name="uq_rates_currency_day"),
    )
    op.create_table(
        "payees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=False),
        sa.Column("kpp", sa.String(length=9), nullable=True),
        sa.Column("account", sa.String(length=20), nullable=False),
        sa.Column("bank_name", sa.String(length=45), nullable=False),
        sa.Column("bic", sa.String(length=9), nullable=False),
        sa.Column("corr_account", sa.String(length=20), nullable=False),
        sa.Column("postal_index", sa.String(length=6), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("purpose_template", sa.String(length=210), nullable=False),
        sa.Column("tech_code", sa.String(length=2), nullable=False),
        sa.Column("gateway_provider", sa.String(length=16), nullable=True),
        sa.Column("gateway_base_url", sa.String(length=255), nullable=True),
        sa.Column("gateway_login", sa.String(length=64), nullable=True),
        sa.Column("gateway_ca_file", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=32).with_variant(sa.String(length=32, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=160), nullable=False),
        sa.Column(
            "name_norm",
            sa.String(length=160).with_variant(sa.String(length=160, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "phone_norm",
            sa.String(length=10).with_variant(sa.String(length=10, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("postal_index", sa.String(length=6), nullable=True),
        sa.Column("region", sa.String(length=80), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("street", sa.String(length=120), nullable=True),
        sa.Column("house", sa.String(length=16), nullable=True),
        sa.Column("flat", sa.String(length=16), nullable=True),
        sa.Column(
            "street_norm",
            sa.String(length=120).with_variant(sa.String(length=120, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["payees.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index("ix_contracts_name_norm", ["name_norm", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_payee_id"), ["payee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_phone_norm"), ["phone_norm"], unique=False)
        batch_op.create_index("ix_contracts_street_house", ["street_norm", "house", "id"], unique=False)

    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("monthly_fee_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["payees.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("monthly_fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("speed_mbps", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["payees.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=160), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cash_limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=32).with_variant(sa.String(length=32, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "login",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit_minor", sa.BigInteger(), nullable=False),
        sa.Column("blocked_minor", sa.BigInteger(), nullable=False),
        sa.Column("internet_on", sa.Boolean(), nullable=False),
        sa.Column("block_state", sa.String(length=16), nullable=False),
        sa.Column("block_until", sa.Date(), nullable=True),
        sa.Column("autopay_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("autopay_next_on", sa.Date(), nullable=True),
        sa.Column("autopay_card_mask", sa.String(length=24), nullable=True),
        sa.Column("promised_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("promised_until", sa.Date(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["tariffs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "bonus_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("tied_to_agency_user", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bonus_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bonus_accounts_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bonus_accounts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=16).with_variant(sa.String(length=16, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tour_type", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=60), nullable=False),
        sa.Column("hotel", sa.String(length=120), nullable=True),
        sa.Column("hotel_select", sa.Boolean(), nullable=False),
        sa.Column("plus_bonus_percent", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("departure_on", sa.Date(), nullable=False),
        sa.Column("return_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("non_commission_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("first_paid_on", sa.Date(), nullable=True),
        sa.Column("fully_paid_on", sa.Date(), nullable=True),
        sa.CheckConstraint("paid_minor >= 0", name="ck_bookings_paid"),
        sa.CheckConstraint("price_minor >= 0", name="ck_bookings_price"),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["payees.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_departure_on"), ["departure_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_manager_id"), ["manager_id"], unique=False)

    op.create_table(
        "cash_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("float_minor", sa.BigInteger(), nullable=False),
        sa.Column("expected_minor", sa.BigInteger(), nullable=True),
        sa.Column("counted_minor", sa.BigInteger(), nullable=True),
        sa.Column("over_short_minor", sa.BigInteger(), nullable=True),
        sa.Column("denominations", sa.JSON(), nullable=True),
        sa.Column("z_report_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("cash_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_shifts_desk"), ["desk"], unique=False)
        batch_op.create_index(batch_op.f("ix_cash_shifts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "account_charges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=120), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="ck_account_charges_amount"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_charges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_charges_account_id"), ["account_id"], unique=False)

    op.create_table(
        "account_services",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("account_id", "service_id"),
    )
    op.create_table(
        "bonus_balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bonus_type", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("active_minor >= 0", name="ck_bonus_balance_nonneg"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bonus_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "bonus_type", "currency", name="uq_bonus_balance"),
    )
    op.create_table(
        "bonus_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bonus_type", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=96), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bonus_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("bonus_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bonus_transactions_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bonus_transactions_booking_id"), ["booking_id"], unique=False)

    op.create_table(
        "cash_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="ck_cash_movements_amount"),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["cash_shifts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_movements_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("entry_kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("target_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("target_currency", sa.String(length=3), nullable=True),
        sa.Column("rate", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("rate_day", sa.Date(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("payee_id", sa.Integer(), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_order_number", sa.String(length=36), nullable=True),
        sa.Column("transaction_ref", sa.String(length=64), nullable=True),
        sa.Column("card_mask", sa.String(length=24), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("operation_token", sa.String(length=64), nullable=True),
        sa.Column("cash_received_minor", sa.BigInteger(), nullable=True),
        sa.Column("credited", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(account_id IS NOT NULL) OR (booking_id IS NOT NULL)", name="ck_payments_has_target"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["payees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["payments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["cash_shifts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway_order_number"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("operation_token"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_desk"), ["desk"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "tourists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=160), nullable=False),
        sa.Column(
            "name_norm",
            sa.String(length=160).with_variant(sa.String(length=160, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "passport_no",
            sa.String(length=16).with_variant(sa.String(length=16, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("postal_index", sa.String(length=6), nullable=True),
        sa.Column("region", sa.String(length=80), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("street", sa.String(length=120), nullable=True),
        sa.Column("house", sa.String(length=16), nullable=True),
        sa.Column("flat", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tourists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tourists_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index("ix_tourists_name_norm", ["name_norm", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tourists_passport_no"), ["passport_no"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("payee_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("qr_payload", sa.Text(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["payees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["cash_shifts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "gateway_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("order_number", sa.String(length=36), nullable=False),
        sa.Column("bank_order_id", sa.String(length=64), nullable=True),
        sa.Column("payment_url", sa.String(length=512), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("bank_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("card_mask", sa.String(length=24), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_number"),
        sa.UniqueConstraint("payment_id"),
    )
    with op.batch_alter_table("gateway_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gateway_orders_state"), ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("document_batch_items")

    with op.batch_alter_table("gateway_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_orders_state"))

    op.drop_table("gateway_orders")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_payment_id"))
        batch_op.drop_index(batch_op.f("ix_documents_kind"))
        batch_op.drop_index(batch_op.f("ix_documents_issued_at"))
        batch_op.drop_index(batch_op.f("ix_documents_booking_id"))
        batch_op.drop_index(batch_op.f("ix_documents_account_id"))

    op.drop_table("documents")
    with op.batch_alter_table("tourists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tourists_passport_no"))
        batch_op.drop_index(batch_op.f("ix_tourists_name_norm"))
        batch_op.drop_index(batch_op.f("ix_tourists_booking_id"))

    op.drop_table("tourists")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_user_id"))
        batch_op.drop_index(batch_op.f("ix_payments_status"))
        batch_op.drop_index(batch_op.f("ix_payments_shift_id"))
        batch_op.drop_index(batch_op.f("ix_payments_desk"))
        batch_op.drop_index(batch_op.f("ix_payments_created_at"))
        batch_op.drop_index(batch_op.f("ix_payments_booking_id"))
        batch_op.drop_index(batch_op.f("ix_payments_account_id"))

    op.drop_table("payments")
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_movements_shift_id"))

    op.drop_table("cash_movements")
    with op.batch_alter_table("bonus_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bonus_transactions_booking_id"))
        batch_op.drop_index(batch_op.f("ix_bonus_transactions_account_id"))

    op.drop_table("bonus_transactions")
    op.drop_table("bonus_balances")
    op.drop_table("account_services")
    with op.batch_alter_table("account_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_charges_account_id"))

    op.drop_table("account_charges")
    with op.batch_alter_table("cash_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_shifts_user_id"))
        batch_op.drop_index(batch_op.f("ix_cash_shifts_desk"))

    op.drop_table("cash_shifts")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_manager_id"))
        batch_op.drop_index(batch_op.f("ix_bookings_departure_on"))
        batch_op.drop_index(batch_op.f("ix_bookings_agency_id"))

    op.drop_table("bookings")
    with op.batch_alter_table("bonus_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bonus_accounts_user_id"))
        batch_op.drop_index(batch_op.f("ix_bonus_accounts_agency_id"))

    op.drop_table("bonus_accounts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_contract_id"))

    op.drop_table("accounts")
    op.drop_table("users")
    op.drop_table("tariffs")
    op.drop_table("services")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_contracts_street_house")
        batch_op.drop_index(batch_op.f("ix_contracts_phone_norm"))
        batch_op.drop_index(batch_op.f("ix_contracts_payee_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_name_norm"))

    op.drop_table("contracts")
    op.drop_table("settings")
    op.drop_table("payees")
    op.drop_table("exchange_rates")
    op.drop_table("counters")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_user_login"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    op.drop_table("agencies")
