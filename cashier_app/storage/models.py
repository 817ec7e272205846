"""Typed SQLAlchemy 2.0 models: the office's data.

Money columns are ``BigInteger`` minor units with a currency code next to them;
rates are ``Numeric(12, 4)``.  Normalised copies of names, phones and addresses
(``*_norm``) exist only so that the counter's lookups hit an index; they are
written by ``storage.normalize`` whenever the source column is set.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cashier_app.storage.model_base import Base, UtcDateTime, _key


class Payee(Base):
    __tablename__ = "payees"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # isp | travel
    name: Mapped[str] = mapped_column(String(160))
    inn: Mapped[str] = mapped_column(String(12))
    kpp: Mapped[str | None] = mapped_column(String(9))
    account: Mapped[str] = mapped_column(String(20))
    bank_name: Mapped[str] = mapped_column(String(45))
    bic: Mapped[str] = mapped_column(String(9))
    corr_account: Mapped[str] = mapped_column(String(20))
    postal_index: Mapped[str] = mapped_column(String(6))
    address: Mapped[str] = mapped_column(String(255))
    purpose_template: Mapped[str] = mapped_column(String(210))
    tech_code: Mapped[str] = mapped_column(String(2))
    gateway_provider: Mapped[str | None] = mapped_column(String(16))
    gateway_base_url: Mapped[str | None] = mapped_column(String(255))
    # A login or terminal key; the secret itself lives in the OS keyring.
    gateway_login: Mapped[str | None] = mapped_column(String(64))
    # An extra CA certificate (PEM file path on this desk), e.g. the Russian Trusted Root CA.
    gateway_ca_file: Mapped[str | None] = mapped_column(String(255))


class Tariff(Base):
    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"))
    name: Mapped[str] = mapped_column(String(120))
    monthly_fee_minor: Mapped[int] = mapped_column(BigInteger)
    speed_mbps: Mapped[int | None] = mapped_column(Integer)


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"))
    name: Mapped[str] = mapped_column(String(120))
    monthly_fee_minor: Mapped[int] = mapped_column(BigInteger)


class Contract(Base):
    """A subscriber's contract: the person, their address and contacts."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(_key(32), unique=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(160))
    name_norm: Mapped[str] = mapped_column(_key(160))
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_norm: Mapped[str | None] = mapped_column(_key(10), index=True)
    email: Mapped[str | None] = mapped_column(String(120))
    postal_index: Mapped[str | None] = mapped_column(String(6))
    region: Mapped[str | None] = mapped_column(String(80))
    city: Mapped[str | None] = mapped_column(String(80))
    street: Mapped[str | None] = mapped_column(String(120))
    house: Mapped[str | None] = mapped_column(String(16))
    flat: Mapped[str | None] = mapped_column(String(16))
    street_norm: Mapped[str | None] = mapped_column(_key(120))
    signed_on: Mapped[date | None] = mapped_column(Date)

    accounts: Mapped[list[Account]] = relationship(back_populates="contract", lazy="selectin")

    # Prefix ranges are read in index order and stop at the page size: the id makes that order total.
    __table_args__ = (
        Index("ix_contracts_name_norm", "name_norm", "id"),
        Index("ix_contracts_street_house", "street_norm", "house", "id"),
    )


class Account(Base):
    """A personal account (лицевой счёт); the number is text, leading zeros matter."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(_key(32), unique=True)
    login: Mapped[str | None] = mapped_column(_key(64), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"))
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    blocked_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    internet_on: Mapped[bool] = mapped_column(Boolean, default=True)
    # active | voluntary (subscriber's own pause) | debt | admin
    block_state: Mapped[str] = mapped_column(String(16), default="active")
    block_until: Mapped[date | None] = mapped_column(Date)
    autopay_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    autopay_next_on: Mapped[date | None] = mapped_column(Date)
    autopay_card_mask: Mapped[str | None] = mapped_column(String(24))
    promised_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    promised_until: Mapped[date | None] = mapped_column(Date)
    opened_on: Mapped[date | None] = mapped_column(Date)
    # Set when a full export from the billing no longer lists the account (migration 0008): never deleted,
    # its payments stay; a closed account takes no new money.
    closed_on: Mapped[date | None] = mapped_column(Date)

    contract: Mapped[Contract] = relationship(back_populates="accounts", lazy="joined")
    tariff: Mapped[Tariff | None] = relationship(lazy="joined")
    services: Mapped[list[AccountService]] = relationship(lazy="selectin", cascade="all, delete-orphan")


class AccountService(Base):
    __tablename__ = "account_services"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    service: Mapped[Service] = relationship(lazy="joined")


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    inn: Mapped[str | None] = mapped_column(String(12))
    city: Mapped[str | None] = mapped_column(String(80))
    is_network: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_on: Mapped[date | None] = mapped_column(Date)
    # Agent bonus: the operator's sales plan for the agency, in USD minor units per quarter.
    sales_plan_usd_minor: Mapped[int | None] = mapped_column(BigInteger)


class Booking(Base):
    """A tour booking (заявка); the price is in the tour's currency."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(_key(16), unique=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # awaiting | confirmed | cancelled
    tour_type: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(60))
    hotel: Mapped[str | None] = mapped_column(String(120))
    hotel_select: Mapped[bool] = mapped_column(Boolean, default=False)
    plus_bonus_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    departure_on: Mapped[date] = mapped_column(Date, index=True)
    return_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    non_commission_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_on: Mapped[date] = mapped_column(Date)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    first_paid_on: Mapped[date | None] = mapped_column(Date)
    fully_paid_on: Mapped[date | None] = mapped_column(Date)

    tourists: Mapped[list[Tourist]] = relationship(
        back_populates="booking", lazy="selectin", order_by="Tourist.id"
    )
    agency: Mapped[Agency | None] = relationship(lazy="joined")
    manager: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="ck_bookings_price"),
        CheckConstraint("paid_minor >= 0", name="ck_bookings_paid"),
    )


class Tourist(Base):
    __tablename__ = "tourists"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(160))
    name_norm: Mapped[str] = mapped_column(_key(160))
    # Foreign passport number, digits only (series and number together).
    passport_no: Mapped[str] = mapped_column(_key(16), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(32))
    postal_index: Mapped[str | None] = mapped_column(String(6))
    region: Mapped[str | None] = mapped_column(String(80))
    city: Mapped[str | None] = mapped_column(String(80))
    street: Mapped[str | None] = mapped_column(String(120))
    house: Mapped[str | None] = mapped_column(String(16))
    flat: Mapped[str | None] = mapped_column(String(16))

    booking: Mapped[Booking] = relationship(back_populates="tourists", lazy="raise")

    __table_args__ = (Index("ix_tourists_name_norm", "name_norm", "id"),)


class ExchangeRate(Base):
    """The operator's internal rate: rubles for one unit of ``currency`` on ``day``."""

    __tablename__ = "exchange_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    day: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    entered_by: Mapped[str | None] = mapped_column(String(64))
    entered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("currency", "day", name="uq_rates_currency_day"),
        CheckConstraint("rate > 0", name="ck_rates_positive"),
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(16))  # cashier | manager | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cash_limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # The cashier as printed on fiscal receipts (tags 1021, 1203; migration 0007); full_name when unset.
    fiscal_name: Mapped[str | None] = mapped_column(String(64))
    fiscal_inn: Mapped[str | None] = mapped_column(String(12))


class UserToken(Base):
    """A token a script authenticates with (``CASHIER_TOKEN``); only its SHA-256 is kept."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CashShift(Base):
    __tablename__ = "cash_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    desk: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    float_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_minor: Mapped[int | None] = mapped_column(BigInteger)
    counted_minor: Mapped[int | None] = mapped_column(BigInteger)
    over_short_minor: Mapped[int | None] = mapped_column(BigInteger)
    denominations: Mapped[dict | None] = mapped_column(JSON)
    z_report_sha256: Mapped[str | None] = mapped_column(String(64))
    # The fiscal register's shift this shift is mirrored on (migration 0007) and its Z report data.
    register_url: Mapped[str | None] = mapped_column(String(255))
    register_fn: Mapped[str | None] = mapped_column(String(16))
    register_shift_number: Mapped[int | None] = mapped_column(Integer)
    register_z: Mapped[dict | None] = mapped_column(JSON)

    # One open shift per desk (migration 0002): parallel opens on one desk cannot both succeed.
    __table_args__ = (
        Index("uq_cash_shifts_open_desk", "desk", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )


class CashMovement(Base):
    """Cash in / cash out of the drawer that is not a customer payment."""

    __tablename__ = "cash_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("cash_shifts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # in | out
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_cash_movements_amount"),)


class Payment(Base):
    """One ledger entry.  Corrections add a reversing entry; nothing is deleted."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # payment | reversal | refund
    entry_kind: Mapped[str] = mapped_column(String(16), default="payment")
    method: Mapped[str] = mapped_column(String(16))  # cash | card | bonus | bank | post | ...
    # pending | paid | declined | expired | cancelled | held | refunded | reversed
    status: Mapped[str] = mapped_column(String(16), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    # For a booking paid in rubles: the amount credited in the tour currency and the rate used.
    target_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    target_currency: Mapped[str | None] = mapped_column(String(3))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    rate_day: Mapped[date | None] = mapped_column(Date)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("payees.id"))
    desk: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("cash_shifts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    gateway_order_number: Mapped[str | None] = mapped_column(String(36), unique=True)
    transaction_ref: Mapped[str | None] = mapped_column(String(64))
    card_mask: Mapped[str | None] = mapped_column(String(24))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    reason: Mapped[str | None] = mapped_column(String(255))
    # One token per payment form: a double click or a second window cannot pay twice.
    operation_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    cash_received_minor: Mapped[int | None] = mapped_column(BigInteger)
    # Set once when the target's balance was changed: the exactly-once guard.
    credited: Mapped[bool] = mapped_column(Boolean, default=False)
    # The customer's e-receipt address (tag 1008) and «без печати», asked in the payment form
    # (migration 0007): kept here because the receipt is written when the money is credited,
    # which for a card may be later and on another desk.
    receipt_contact: Mapped[str | None] = mapped_column(String(64))
    receipt_paperless: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        CheckConstraint(
            "(account_id IS NOT NULL) OR (booking_id IS NOT NULL)", name="ck_payments_has_target"
        ),
    )


class GatewayOrder(Base):
    __tablename__ = "gateway_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(16))
    order_number: Mapped[str] = mapped_column(String(36), unique=True)
    # The random identity sent to the bank with the order (migration 0003, services/card_identity.py);
    # None for orders written before it.
    order_uid: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)
    bank_order_id: Mapped[str | None] = mapped_column(String(64))
    payment_url: Mapped[str | None] = mapped_column(String(512))
    # new (row written, bank not yet called) | registered | pending | paid | declined | expired
    # | cancelled | refunded | partially_refunded | held | manual
    state: Mapped[str] = mapped_column(String(24), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    bank_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    card_mask: Mapped[str | None] = mapped_column(String(24))
    last_error: Mapped[str | None] = mapped_column(String(255))
    checks: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    desk: Mapped[str] = mapped_column(String(64))


class Document(Base):
    """The documents journal: enough to reprint a byte-identical PDF."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("cash_shifts.id"))
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("payees.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    qr_payload: Mapped[str | None] = mapped_column(Text)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    # The exact input the PDF was made from, so a reprint reproduces it byte for byte.
    params: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    desk: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DocumentBatchItem(Base):
    """One receipt of a batch document, written page by page so a batch of any size
    keeps constant memory; the batch's journal row is added once the PDF is complete."""

    __tablename__ = "document_batch_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_number: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON)
    # The number printed on the receipt («D-…/00409», migration 0006): it reprints this receipt alone,
    # and the account's documents list it.
    number: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The single receipt's PDF hash, pinned by its first reprint (rendering 10 000 receipts twice
    # at batch time would double the batch); later reprints must match it byte for byte.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("batch_number", "position", name="uq_batch_item_position"),)


class BonusAccount(Base):
    __tablename__ = "bonus_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))  # manager | agency
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    # Accounts not tied to an agency user are exempt from burning.
    tied_to_agency_user: Mapped[bool] = mapped_column(Boolean, default=True)


class BonusBalance(Base):
    """Active balance per account, bonus type and currency — the row spending locks."""

    __tablename__ = "bonus_balances"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bonus_accounts.id"))
    bonus_type: Mapped[str] = mapped_column(String(8))  # plus | select | agent
    currency: Mapped[str] = mapped_column(String(3))
    active_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        UniqueConstraint("account_id", "bonus_type", "currency", name="uq_bonus_balance"),
        CheckConstraint("active_minor >= 0", name="ck_bonus_balance_nonneg"),
    )


class BonusTransaction(Base):
    __tablename__ = "bonus_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bonus_accounts.id"), index=True)
    bonus_type: Mapped[str] = mapped_column(String(8))
    # accrual | spend | burn | refund
    kind: Mapped[str] = mapped_column(String(8))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(10))  # expected | active | burnt | spent
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    created_on: Mapped[date] = mapped_column(Date)
    active_from: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Makes accrual and burning idempotent: one row per (rule, booking/month, account, type).
    dedupe_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AuditEvent(Base):
    """Append-only, hash-chained record of who changed what."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    user_login: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    desk: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditAnchor(Base):
    """The audit chain's head kept at each Z report (migration 0005): rows up to ``event_id`` and its hash.

    No foreign key: the anchor must outlive a deleted audit row to report it.
    """

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    rows: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("cash_shifts.id"))
    document_number: Mapped[str | None] = mapped_column(String(32))
    made_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Counter(Base):
    """Named sequences for human-readable numbers unique across desks."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Setting(Base):
    """Office-wide settings shared by every desk (desk-local ones live in a file)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AccountCharge(Base):
    """A write-off from a personal account (monthly fee, a service)."""

    __tablename__ = "account_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(120))

    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_account_charges_amount"),)


# The fiscal and billing models live in modules of their own; imported here so every mapper is registered with Base.
from cashier_app.storage.billing_models import (  # noqa: E402, F401
    BillingCheck,
    BillingDelivery,
    BillingSettings,
    ImportRun,
    RegistryLayout,
)
from cashier_app.storage.fiscal_models import FiscalReceipt, FiscalSettings  # noqa: E402, F401
