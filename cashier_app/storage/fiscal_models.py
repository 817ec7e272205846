"""Fiscal models (54-FZ receipts, issue 13): a payee's register settings and the receipts outbox.

Re-exported by ``storage.models``, so ``models.FiscalReceipt`` is where the rest of the code finds them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cashier_app.storage.model_base import Base, UtcDateTime


class FiscalSettings(Base):
    """A payee's fiscal register and what its receipts say (migration 0007; ``services/fiscal_settings.py``).

    ``mode``: ``none`` (без ККТ) | ``atol_web`` (a local register through ATOL Web Server at ``url``)
    | ``atol_online`` (the cloud register at ``url`` with ``group_code``/``login``; the password
    in the keyring).  ``card_by_bank``: card receipts are made by the bank's own online register
    (T-Bank ``Receipt``, Sberbank ``orderBundle``) instead.  No row: not set up yet.
    """

    __tablename__ = "fiscal_settings"

    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(255))
    group_code: Mapped[str | None] = mapped_column(String(64))
    login: Mapped[str | None] = mapped_column(String(64))
    company_email: Mapped[str | None] = mapped_column(String(64))
    # Whose register it is (the agent: the office's legal entity); the payee's INN when empty.
    company_inn: Mapped[str | None] = mapped_column(String(12))
    card_by_bank: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_system: Mapped[str] = mapped_column(String(24))  # osn | usn_income | usn_income_outcome | esn | patent
    vat: Mapped[str] = mapped_column(String(8))  # none | vat0 | vat10 | vat20 | vat110 | vat120 | vat5 | vat7
    agent: Mapped[str] = mapped_column(String(24))  # none | paying_agent | ... (domain/fiscal_receipt.py)
    agent_operation: Mapped[str | None] = mapped_column(String(24))  # tag 1044
    agent_phone: Mapped[str | None] = mapped_column(String(19))  # tag 1073
    operator_phone: Mapped[str | None] = mapped_column(String(19))  # tag 1074
    supplier_name: Mapped[str | None] = mapped_column(String(160))  # tag 1225
    supplier_inn: Mapped[str | None] = mapped_column(String(12))  # tag 1226
    supplier_phone: Mapped[str | None] = mapped_column(String(19))  # tag 1171
    payment_object: Mapped[str] = mapped_column(String(24))  # tag 1212
    payment_method: Mapped[str] = mapped_column(String(24))  # tag 1214
    item_name: Mapped[str | None] = mapped_column(String(128))  # the position's name template
    place: Mapped[str | None] = mapped_column(String(255))  # tag 1187/1009: the address of settlement
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FiscalReceipt(Base):
    """The fiscal outbox: one receipt per payment (``sell``) and per refund entry (``sell_return``).

    Written in the payment's own transaction; ``key`` is the ATOL Web Server ``uuid`` and the
    ATOL Online ``external_id`` on every attempt.  ``state``: pending (not sent) → sent (the
    register may have it: ask before sending again) → done (fiscal data below) | failed
    (``last_error``: the register's reason) | bank (made by the bank's online register).
    """

    __tablename__ = "fiscal_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    operation: Mapped[str] = mapped_column(String(20))  # sell | sell_return | sell_correction | ...
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("fiscal_receipts.id"))
    channel: Mapped[str] = mapped_column(String(16))  # atol_web | atol_online | bank
    state: Mapped[str] = mapped_column(String(12), index=True)
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("payees.id"))
    desk: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # positive: the receipt's total
    contact: Mapped[str | None] = mapped_column(String(64))  # tag 1008: e-mail or phone
    electronically: Mapped[bool] = mapped_column(Boolean, default=False)  # True: not printed
    # The receipt as it is sent, frozen when the row is written: every attempt sends the same.
    body: Mapped[dict] = mapped_column(JSON)
    register_url: Mapped[str | None] = mapped_column(String(255))
    remote_uuid: Mapped[str | None] = mapped_column(String(64))  # ATOL Online's uuid
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    # A sender's lease (conditional update): one process talks to the register about a row at a time.
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    fd_number: Mapped[int | None] = mapped_column(BigInteger)
    fiscal_sign: Mapped[str | None] = mapped_column(String(16))
    fn_number: Mapped[str | None] = mapped_column(String(16))
    shift_number: Mapped[int | None] = mapped_column(Integer)
    receipt_number: Mapped[int | None] = mapped_column(Integer)
    fiscal_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Minutes east of UTC on the register's own clock: the receipt's time as printed (and in the
    # FNS QR) is the register's, whatever zone the office or the desk is set to.
    fiscal_utc_offset: Mapped[int | None] = mapped_column(Integer)
    registration_number: Mapped[str | None] = mapped_column(String(20))
    fns_url: Mapped[str | None] = mapped_column(String(64))
    fiscal_total_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="ck_fiscal_receipts_amount"),
        Index("uq_fiscal_receipts_one_per_entry", "payment_id", "operation", unique=True,
              sqlite_where=text("operation IN ('sell', 'sell_return')"),
              postgresql_where=text("operation IN ('sell', 'sell_return')")),
    )
