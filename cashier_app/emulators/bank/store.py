"""The sandbox bank's ledger: orders in sqlite (WAL), its own clock, card rules.

Bank-neutral: one row per order (Sber order / T-Bank payment) with an internal
status; ``sandbox.py`` renders it in each bank's dialect.  No PAN or CVC ever
reaches this module's storage: only the masked number ``220138******0013``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cashier_app.emulators.common import dumps  # noqa: F401  (re-exported for the bank modules)

MSK = timezone(timedelta(hours=3))
DAILY_CARD_LIMIT_KOPECKS = 200_000 * 100
THREE_DS_CODE = "123456"

# Internal statuses.
NEW, THREE_DS, PAID, DECLINED, EXPIRED, REVERSED, REFUNDED, CANCELED = (
    "NEW",
    "3DS",
    "PAID",
    "DECLINED",
    "EXPIRED",
    "REVERSED",
    "REFUNDED",
    "CANCELED",
)
OPEN_STATUSES = (NEW, THREE_DS)
# A refund accepted but still being processed (T-Bank REFUNDING / ASYNC_REFUNDING); ``pending_refund`` holds it.
REFUNDING = "REFUNDING"
# The payment form was opened more often than a bank allows (T-Bank ATTEMPTS_EXPIRED): final, unpaid.
MAX_FORM_OPENS = 5

# Test cards (STANDARDS §6.2) → behaviour.  Anything else: "card not supported".
CARD_SUCCESS = "2201382000000013"
CARD_3DS = "2201382000000047"
CARD_DECLINED = "2201382000000021"
CARD_NO_FUNDS = "2201382000000831"
TEST_CARDS = {
    CARD_SUCCESS: "success",
    CARD_3DS: "3ds",
    CARD_DECLINED: "declined",
    CARD_NO_FUNDS: "insufficient",
}

# Neutral decline reasons → Russian text shown on the payment page.
REASON_TEXT_RU = {
    "declined": "Банк, выпустивший карту, отклонил платёж",
    "insufficient": "Недостаточно средств на карте",
    "limit": "Превышен суточный лимит по карте (200 000 ₽)",
    "3ds_failed": "Не пройдена проверка 3-D Secure",
    "unsupported": "Карта не поддерживается",
    "expired_card": "Истёк срок действия карты",
    "session_expired": "Время на оплату истекло",
    "merchant_cancel": "Заказ отменён магазином",
    "attempts_expired": "Превышено число попыток открыть страницу оплаты",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    bank TEXT NOT NULL,
    merchant TEXT NOT NULL,
    order_number TEXT NOT NULL,
    page_code TEXT NOT NULL UNIQUE,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL DEFAULT '643',
    description TEXT NOT NULL DEFAULT '',
    return_url TEXT,
    fail_url TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    status TEXT NOT NULL,
    form_shown INTEGER NOT NULL DEFAULT 0,
    approved INTEGER NOT NULL DEFAULT 0,
    deposited INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    card_mask TEXT,
    reason TEXT,
    paid_at REAL,
    updated_at REAL NOT NULL,
    seq INTEGER NOT NULL,
    params TEXT,
    pay_method TEXT NOT NULL DEFAULT 'card',
    pending_refund INTEGER NOT NULL DEFAULT 0,
    refund_polls INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    refund_receipts TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS orders_number ON orders(bank, merchant, order_number);
CREATE TABLE IF NOT EXISTS cancel_requests (
    bank TEXT NOT NULL,
    merchant TEXT NOT NULL,
    external_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    PRIMARY KEY (bank, merchant, external_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class CardError(ValueError):
    """Bad card form input (not a decline): the page asks again."""


@dataclass(frozen=True, slots=True)
class CardInput:
    """Card data only as long as one request lives; never stored or logged."""

    pan: str
    exp_month: int
    exp_year: int
    cvc: str

    def __repr__(self) -> str:  # a stray log of this object must not leak the card
        return f"CardInput({mask_pan(self.pan)})"

    @property
    def mask(self) -> str:
        return mask_pan(self.pan)


def mask_pan(pan: str) -> str:
    return pan[:6] + "*" * max(len(pan) - 10, 0) + pan[-4:]


def parse_card(pan: str, exp: str, cvc: str) -> CardInput:
    digits = "".join(ch for ch in str(pan) if not ch.isspace())
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        raise CardError("Номер карты — от 13 до 19 цифр")
    raw_exp = str(exp).replace(" ", "")
    if "/" in raw_exp:
        mm, _, yy = raw_exp.partition("/")
    else:
        mm, yy = raw_exp[:2], raw_exp[2:]
    if not (mm.isdigit() and yy.isdigit() and 1 <= int(mm) <= 12 and len(yy) in (2, 4)):
        raise CardError("Срок действия — в виде ММ/ГГ")
    year = int(yy) + (2000 if len(yy) == 2 else 0)
    if not (str(cvc).isdigit() and len(str(cvc)) == 3):
        raise CardError("CVC — три цифры с обратной стороны карты")
    return CardInput(digits, int(mm), year, str(cvc))


class SandboxStore:
    """Thread-safe ledger.  Every public method takes the lock: handlers run in threads."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = str(db_path)
        if self.db_path != ":memory:":
            Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = {r["name"] for r in self._db.execute("PRAGMA table_info(orders)")}
        if "params" not in columns:  # a sandbox file from before merchant parameters were kept
            self._db.execute("ALTER TABLE orders ADD COLUMN params TEXT")
        # Sandbox files from before SBP payments and asynchronous refunds (T-Bank REFUNDING) existed.
        for column, ddl in (("pay_method", "TEXT NOT NULL DEFAULT 'card'"),
                            ("pending_refund", "INTEGER NOT NULL DEFAULT 0"),
                            ("refund_polls", "INTEGER NOT NULL DEFAULT 0"),
                            # The receipts for the bank's online register (T-Bank Receipt, Sber orderBundle).
                            ("receipt", "TEXT"), ("refund_receipts", "TEXT")):
            if column not in columns:
                self._db.execute(f"ALTER TABLE orders ADD COLUMN {column} {ddl}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- clock --------------------------------------------------------------------------------

    def _meta(self, key: str, default: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row["value"] if row else default

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def clock_offset(self) -> float:
        with self._lock:
            return float(self._meta("clock_offset", "0"))

    def now(self) -> float:
        """Sandbox time: real time plus the offset moved by ``/_control/clock`` (persisted)."""
        return time.time() + self.clock_offset()

    def advance_clock(self, seconds: float) -> float:
        with self._lock:
            self._set_meta("clock_offset", repr(self.clock_offset() + float(seconds)))
            return self.now()

    def set_clock_offset(self, seconds: float) -> float:
        with self._lock:
            self._set_meta("clock_offset", repr(float(seconds)))
            return self.now()

    # -- orders -------------------------------------------------------------------------------

    def create(
        self,
        *,
        bank: str,
        merchant: str,
        order_number: str,
        amount: int,
        description: str,
        return_url: str | None,
        fail_url: str | None,
        expires_at: float,
        currency: str = "643",
        params: dict[str, str] | None = None,
        receipt: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """New order, or None when the number is taken (caller answers "duplicate")."""
        with self._lock:
            now = self.now()
            seq = int(self._meta("seq", "0")) + 1
            if bank == "tbank":
                order_id = str(3_000_000_000 + seq)  # PaymentId is numeric at T-Bank
                page_code = secrets.token_urlsafe(6)
            else:
                order_id = str(uuid.uuid4())
                page_code = order_id  # Sber's page is addressed by mdOrder = orderId
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO orders(id, bank, merchant, order_number, page_code, amount, currency, description,"
                    " return_url, fail_url, created_at, expires_at, status, updated_at, seq, params, receipt)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        order_id,
                        bank,
                        merchant,
                        order_number,
                        page_code,
                        amount,
                        currency,
                        description,
                        return_url,
                        fail_url,
                        now,
                        expires_at,
                        NEW,
                        now,
                        seq,
                        json.dumps(params, ensure_ascii=False) if params else None,
                        json.dumps(receipt, ensure_ascii=False) if receipt else None,
                    ),
                )
                self._set_meta("seq", str(seq))
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError:
                self._db.execute("ROLLBACK")
                return None
            return self.get(order_id)

    def _expire(self, row: sqlite3.Row | None) -> dict[str, Any] | None:
        """Lazy deadline: an unpaid order past its deadline becomes EXPIRED when anyone looks."""
        if row is None:
            return None
        order = dict(row)
        # The merchant's own parameters (Sber jsonParams, T-Bank DATA), as sent.
        order["params"] = json.loads(order["params"]) if order.get("params") else {}
        # The receipt sent with the order and those sent with its refunds, as received (for /_control/orders).
        order["receipt"] = json.loads(order["receipt"]) if order.get("receipt") else None
        order["refund_receipts"] = json.loads(order["refund_receipts"]) if order.get("refund_receipts") else []
        if order["status"] in OPEN_STATUSES and self.now() > order["expires_at"]:
            self._update(order["id"], status=EXPIRED, reason="session_expired")
            order.update(status=EXPIRED, reason="session_expired")
        return order

    def get(self, order_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._expire(self._db.execute("SELECT * FROM orders WHERE id=?", (order_id,)).fetchone())

    def get_by_page(self, page_code: str) -> dict[str, Any] | None:
        with self._lock:
            return self._expire(
                self._db.execute("SELECT * FROM orders WHERE page_code=?", (page_code,)).fetchone()
            )

    def find(self, bank: str, merchant: str, order_number: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM orders WHERE bank=? AND merchant=? AND order_number=?",
                (bank, merchant, order_number),
            ).fetchone()
            return self._expire(row)

    def list_orders(self, bank: str | None = None, order_number: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            sql, args = "SELECT * FROM orders WHERE 1=1", []
            if bank:
                sql += " AND bank=?"
                args.append(bank)
            if order_number:
                sql += " AND order_number=?"
                args.append(order_number)
            rows = self._db.execute(sql + " ORDER BY seq", args).fetchall()
            return [o for o in (self._expire(r) for r in rows) if o is not None]

    def _update(self, order_id: str, **fields: Any) -> None:
        fields["updated_at"] = self.now()
        cols = ", ".join(f"{k}=?" for k in fields)
        self._db.execute(f"UPDATE orders SET {cols} WHERE id=?", (*fields.values(), order_id))

    def update(self, order_id: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            self._update(order_id, **fields)
            order = self.get(order_id)
            assert order is not None
            return order

    # -- card processing ------------------------------------------------------------------------

    def _day(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, MSK).date().isoformat()

    def spent_today(self, card_mask: str) -> int:
        """Deposited today (Moscow date, sandbox clock) on this card, across both banks.

        The card is identified by its masked number: enough for the test cards and
        it keeps the sandbox free of anything PAN-derived.
        """
        today = self._day(self.now())
        rows = self._db.execute(
            "SELECT deposited, paid_at FROM orders WHERE card_mask=? AND paid_at IS NOT NULL", (card_mask,)
        ).fetchall()
        return sum(r["deposited"] for r in rows if self._day(r["paid_at"]) == today)

    def _authorise(self, order: dict[str, Any], card_mask: str) -> dict[str, Any]:
        if self.spent_today(card_mask) + order["amount"] > DAILY_CARD_LIMIT_KOPECKS:
            self._update(order["id"], status=DECLINED, reason="limit", card_mask=card_mask)
        else:
            self._update(
                order["id"],
                status=PAID,
                approved=order["amount"],
                deposited=order["amount"],
                card_mask=card_mask,
                paid_at=self.now(),
                reason=None,
            )
        result = self.get(order["id"])
        assert result is not None
        return result

    def pay(self, order_id: str, card: CardInput) -> dict[str, Any]:
        """Customer submits the card form.  Returns the order (status 3DS when a code is needed)."""
        with self._lock:
            order = self.get(order_id)
            if order is None:
                raise KeyError(order_id)
            if order["status"] != NEW:
                return order  # already paid, declined or expired: nothing to do
            now = datetime.fromtimestamp(self.now(), MSK)
            if (card.exp_year, card.exp_month) < (now.year, now.month):
                self._update(order_id, status=DECLINED, reason="expired_card", card_mask=card.mask)
                return self.get(order_id) or order
            kind = TEST_CARDS.get(card.pan, "unsupported")
            if kind == "success":
                return self._authorise(order, card.mask)
            if kind == "3ds":
                self._update(order_id, status=THREE_DS, card_mask=card.mask)
                return self.get(order_id) or order
            self._update(order_id, status=DECLINED, reason=kind, card_mask=card.mask)
            return self.get(order_id) or order

    def submit_3ds(self, order_id: str, code: str) -> dict[str, Any]:
        with self._lock:
            order = self.get(order_id)
            if order is None:
                raise KeyError(order_id)
            if order["status"] != THREE_DS:
                return order
            if str(code).strip() != THREE_DS_CODE:
                self._update(order_id, status=DECLINED, reason="3ds_failed")
                return self.get(order_id) or order
            return self._authorise(order, order["card_mask"])

    def pay_sbp(self, order_id: str) -> dict[str, Any]:
        """The customer pays by SBP (their banking app scanned the QR): no card, the money is taken at once."""
        with self._lock:
            order = self.get(order_id)
            if order is None:
                raise KeyError(order_id)
            if order["status"] != NEW:
                return order
            self._update(order_id, status=PAID, approved=order["amount"], deposited=order["amount"],
                         paid_at=self.now(), pay_method="sbp", reason=None)
            return self.get(order_id) or order

    def add_refund_receipt(self, order_id: str, receipt: dict[str, Any]) -> None:
        """Keep a refund's receipt with its order (inspection only; the sandbox makes no fiscal document)."""
        with self._lock:
            order = self.get(order_id)
            assert order is not None
            kept = [*order["refund_receipts"], receipt]
            self._update(order_id, refund_receipts=json.dumps(kept, ensure_ascii=False))

    # -- merchant operations ----------------------------------------------------------------------

    def remember_cancel(self, bank: str, merchant: str, external_id: str, order_id: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO cancel_requests VALUES(?,?,?,?)",
                (bank, merchant, external_id, order_id),
            )

    def cancel_request(self, bank: str, merchant: str, external_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT order_id FROM cancel_requests WHERE bank=? AND merchant=? AND external_id=?",
                (bank, merchant, external_id),
            ).fetchone()
            return row["order_id"] if row else None

    def lock(self) -> threading.RLock:
        """For a read-check-write sequence in a protocol handler (refund amount checks)."""
        return self._lock


def order_public(order: dict[str, Any]) -> dict[str, Any]:
    """An order for ``GET /_control/orders``: everything stored (nothing secret is stored)."""
    out = dict(order)
    for key in ("created_at", "expires_at", "paid_at", "updated_at"):
        if out.get(key) is not None:
            out[key] = datetime.fromtimestamp(out[key], UTC).isoformat()
    return out
