"""No card number (PAN) or CVC anywhere: our database file, the captured logs, the journal, the sandbox's DB."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import make_url

from cashier_app.services import card_payments
from tests.test_card_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_NO_FUNDS,
    CARD_OK,
    PAYEE_OF_BANK,
    Office,
    account_of,
    bank,
    ctx_for,
    office,
)

__all__ = ["bank", "office"]
PANS = (CARD_OK, CARD_3DS, CARD_DECLINED, CARD_NO_FUNDS)
CVC = "947"
SECRETS = ("demo-password",)


def _all_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_no_pan_cvc_or_secret_is_kept(office: Office, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ctx, manager = ctx_for(office.db), ctx_for(office.db, "manager")
    for bank_name in ("sberbank", "tbank"):
        for card in PANS:
            order = card_payments.start(ctx, account=account_of(office.db, PAYEE_OF_BANK[bank_name]),
                                        amount_minor=12_300)
            office.bank.control("pay", {"order_number": order.order_number, "bank": bank_name, "card": card,
                                        "cvc": CVC, "three_ds_code": "123456"})
            done = card_payments.check(ctx, order.order_number)
            if done.credited:
                card_payments.refund(manager, done.payment_number, amount_minor=300, reason="проверка")
    card_payments.reconcile(ctx)
    office.db.dispose()  # flush the WAL so every byte is on disk
    db_file = Path(make_url(str(office.db.engine.url)).database or "")
    ours = _all_bytes(db_file)
    theirs = _all_bytes(office.bank_db)
    con = sqlite3.connect(db_file)
    journal = repr(con.execute("SELECT * FROM documents").fetchall() + con.execute("SELECT * FROM audit_events").fetchall()
                   + con.execute("SELECT * FROM payments WHERE method='card'").fetchall())
    masks = con.execute("SELECT card_mask FROM gateway_orders WHERE card_mask IS NOT NULL").fetchall()
    con.close()
    logs = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert masks, "the masked PAN is what we keep"
    for pan in PANS:
        for blob, where in ((ours, "our database"), (theirs, "sandbox database")):
            assert pan.encode() not in blob, where
            assert pan.encode("utf-16-le") not in blob, where
        assert pan not in logs and pan not in journal
    assert f"cvc={CVC}" not in logs and f'"cvc": "{CVC}"' not in logs and b'"cvc"' not in theirs
    for secret in SECRETS:
        assert secret.encode() not in ours and secret not in logs and secret not in journal
