"""Systems of record (issue 14): a payee's billing connector, the delivery outbox, account checks, imports.

Re-exported by ``storage.models``.  Migration 0008.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cashier_app.storage.model_base import Base, UtcDateTime


class BillingSettings(Base):
    """A payee's live connector to its billing (``services/billing/settings.py``).

    ``protocol``: ``osmp`` (the «check / pay» protocol of payment acceptors at ``url``) | ``none``.
    ``dialect``: ``abills`` (a repeated ``pay`` answers the same ``prv_txn``; ``cancel`` exists)
    | ``ubilling`` (a repeated ``pay`` answers 300 «duplicate»; no ``cancel``).  A login, when the
    billing wants one, is kept here; its password lives in the keyring.  No row: no connector.
    """

    __tablename__ = "billing_settings"

    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"), primary_key=True)
    protocol: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(255))
    dialect: Mapped[str | None] = mapped_column(String(16))
    login: Mapped[str | None] = mapped_column(String(64))
    ca_file: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BillingDelivery(Base):
    """The billing outbox: one ``pay`` per credited payment, one ``cancel`` per cancel/refund entry.

    Written in the payment's own transaction (``ledger.credit`` / ``ledger.add_reversal``).
    ``txn_id`` is frozen when the row is written and sent on every attempt; ``amount_minor``,
    ``account_number`` and ``txn_date`` too.  ``state``: pending (never sent) → sent (the billing
    may have it: a retry must prove what it did) → delivered (``prv_txn``; ``verified_by`` says how:
    answer | repeat | duplicate) | refused (the billing's definite no: ``last_error``) | manual (cannot be
    delivered by the protocol — a cancel in a dialect without ``cancel``, a partial refund — or an answer
    that is not provably ours; listed for a person).  ``next_attempt_at`` is the back-off.
    """

    __tablename__ = "billing_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    operation: Mapped[str] = mapped_column(String(8))  # pay | cancel
    # For a cancel: the pay row it reverses (its prv_txn is what cancel names).
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("billing_deliveries.id"))
    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"), index=True)
    txn_id: Mapped[str] = mapped_column(String(20))
    account_number: Mapped[str] = mapped_column(String(32))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # positive
    txn_date: Mapped[str] = mapped_column(String(14))  # YYYYMMDDHHMMSS on the office's clock
    state: Mapped[str] = mapped_column(String(12), index=True)
    # Where it was sent (frozen at the first send: a retry asks the billing that may have it).
    url: Mapped[str | None] = mapped_column(String(255))
    dialect: Mapped[str | None] = mapped_column(String(16))
    prv_txn: Mapped[str | None] = mapped_column(String(64))
    verified_by: Mapped[str | None] = mapped_column(String(12))
    result_code: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    desk: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("payee_id", "txn_id", name="uq_billing_deliveries_txn"),
        CheckConstraint("amount_minor > 0", name="ck_billing_deliveries_amount"),
    )


class BillingCheck(Base):
    """The billing's last answer to ``check`` for an account, shown on its card with its time.

    ``state``: found | not_found (the billing does not know it: flagged before money is taken)
    | refused (the billing answered «payment not allowed») | error (no answer; ``message``).
    """

    __tablename__ = "billing_checks"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(12))
    result_code: Mapped[int | None] = mapped_column(Integer)
    balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    full_name: Mapped[str | None] = mapped_column(String(160))
    message: Mapped[str | None] = mapped_column(String(255))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ImportRun(Base):
    """One import of a file (accounts or bookings): who, which file, what it changed.

    ``state``: running | done | dry_run | failed (all-or-nothing refused it) | cancelled.
    ``counts``: ``{"rows", "created", "updated", "unchanged", "closed", "bad"}``.
    """

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # accounts | bookings
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("payees.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    preset: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12))
    counts: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    desk: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_import_runs_file", "kind", "payee_id", "file_sha256"),)


class RegistryLayout(Base):
    """A payee's payment-register layout (``domain/registry_layout.py``): columns, order, separator,
    date and amount formats, encoding, header line — kept as one JSON document.  No row: the default."""

    __tablename__ = "registry_layouts"

    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"), primary_key=True)
    layout: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
