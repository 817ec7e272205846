"""No card number (PAN) or CVC anywhere: our database file, the captured logs, the journal, the sandbox's DB.

The card is typed into the bank's payment page — the web form where a real card
arrives — exactly as a browser posts it (with the spaces a customer types), 3-D
Secure code included; then everything is searched for the number written plainly,
with spaces, with dashes and in UTF-16.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from html import unescape
from pathlib import Path

import pytest
import requests
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


def _spellings(pan: str) -> list[str]:
    """The PAN as it may be written: plain, in groups of four with spaces or dashes."""
    groups = [pan[i:i + 4] for i in range(0, len(pan), 4)]
    return [pan, " ".join(groups), "-".join(groups), "\u00a0".join(groups)]


def _form_action(page: str) -> str:
    match = re.search(r"<form method='post' action='([^']+)'", page)
    assert match, page[:400]
    return unescape(match.group(1))


def _type_card(base: str, payment_url: str, pan: str) -> str:
    """The customer's browser: open the page, post the card form, then the 3-D Secure form if asked."""
    session = requests.Session()
    page = session.get(payment_url, timeout=5).text
    assert "Номер карты" in page
    spaced = " ".join(pan[i:i + 4] for i in range(0, len(pan), 4))  # as people type it
    answer = session.post(base + _form_action(page), data={"pan": spaced, "exp": "12/30", "cvc": CVC}, timeout=5)
    assert answer.status_code == 200
    if "3-D Secure" in answer.text:
        answer = session.post(base + _form_action(answer.text), data={"code": "123456"}, timeout=5)
    for spelling in _spellings(pan):
        assert spelling not in answer.text, "the page must never echo the card number"
    return answer.text


def test_no_pan_cvc_or_secret_is_kept(office: Office, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ctx, manager = ctx_for(office.db), ctx_for(office.db, "manager")
    outcomes = []
    for bank_name in ("sberbank", "tbank"):
        for card in PANS:
            order = card_payments.start(ctx, account=account_of(office.db, PAYEE_OF_BANK[bank_name]),
                                        amount_minor=12_300)
            assert order.payment_url
            result = _type_card(office.bank.url, order.payment_url, card)
            done = card_payments.check(ctx, order.order_number)
            outcomes.append((bank_name, card, done.state, "data-status='paid'" in result))
            if done.credited:
                card_payments.refund(manager, done.payment_number, amount_minor=300, reason="проверка")
    # The form really took the cards: the good ones paid, the bad ones were declined.
    assert [(b, c, s) for b, c, s, _ in outcomes if c in (CARD_OK, CARD_3DS)] == [
        (b, c, "paid") for b in ("sberbank", "tbank") for c in (CARD_OK, CARD_3DS)]
    assert {s for _, c, s, _ in outcomes if c in (CARD_DECLINED, CARD_NO_FUNDS)} == {"declined"}
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
        for spelling in _spellings(pan):
            for blob, where in ((ours, "our database"), (theirs, "sandbox database")):
                assert spelling.encode() not in blob, (where, spelling)
                assert spelling.encode("utf-16-le") not in blob, (where, spelling)
            assert spelling not in logs, spelling
            assert spelling not in journal, spelling
    assert f"cvc={CVC}" not in logs and f'"cvc": "{CVC}"' not in logs and b'"cvc"' not in theirs
    for secret in SECRETS:
        assert secret.encode() not in ours and secret not in logs and secret not in journal
