"""A card payment reaches the billing exactly once, like cash: through the bank sandbox, credited by
polling, then delivered by ``pay`` — also when the billing's first answer is lost and when the
deliverer is killed (kill -9) after the billing recorded it but before the answer was stored.
Both dialects; the billing emulator counts what it recorded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from cashier_app.services import card_payments
from cashier_app.services.billing import delivery as billing_delivery
from cashier_app.storage import models as m
from tests.billing.helpers import delivery, paid_in_billing, start_billing, wire
from tests.test_card_helpers import Office, bank, ctx_for, office

__all__ = ["bank", "office"]

ROOT = Path(__file__).resolve().parents[2]


def _card_paid(office: Office, account: str, amount: int) -> str:
    """A card order paid at the bank and credited by the counter's poll → the payment's number."""
    order = card_payments.start(ctx_for(office.db), account=account, amount_minor=amount)
    office.bank.pay(order.order_number, "sberbank")  # the first isp payee (wired below) is a Sberbank one
    done = card_payments.check(ctx_for(office.db), order.order_number)
    assert done.credited
    with office.db.read() as uow:
        return uow.session.execute(select(m.Payment.number).where(
            m.Payment.gateway_order_number == order.order_number)).scalar_one()


@pytest.mark.parametrize("dialect", ["abills", "ubilling"])
def test_card_payment_with_a_lost_first_answer_reaches_the_billing_once(office: Office, dialect: str) -> None:
    srv = start_billing(dialect)
    try:
        code, numbers = wire(office.db, srv, dialect, n=2)
        assert code == "interra"
        number = _card_paid(office, numbers[0], 76_543)
        row = delivery(office.db, number)
        assert (row.state, row.amount_minor, row.account_number) == ("pending", 76_543, numbers[0])
        srv.fault("pay", "drop_after")  # the billing records it, the answer never comes
        billing_delivery.deliver_due(office.db, timeout=1)
        row = delivery(office.db, number)
        assert row.state == "sent" and len(paid_in_billing(srv, row.txn_id)) == 1
        billing_delivery.reconcile(office.db, timeout=1)
        row = delivery(office.db, number)
        assert row.state == "delivered"
        assert row.verified_by == ("repeat" if dialect == "abills" else "duplicate")
        (paid,) = paid_in_billing(srv, row.txn_id)
        assert paid["sum_minor"] == 76_543 and paid["account"] == numbers[0]
        assert len(srv.payments()) == 1
    finally:
        srv.stop()


@pytest.mark.parametrize("dialect", ["abills", "ubilling"])
def test_card_payment_deliverer_killed_after_the_billing_recorded_it(office: Office, dialect: str,
                                                                     tmp_path: Path) -> None:
    srv = start_billing(dialect)
    try:
        _, numbers = wire(office.db, srv, dialect, n=2)
        number = _card_paid(office, numbers[1], 12_000)
        env = {**os.environ, "CASHIER_USER": "admin", "CASHIER_PASSWORD": "admin", "CASHIER_DESK": "desk-1",
               "CASHIER_CONFIG_DIR": str(tmp_path / "config"), "CASHIER_BILLING_TIMEOUTS": "1,1",
               "CASHIER_TEST_HOOKS": "1", "CASHIER_TEST_CRASH_AT": "billing_before_store"}
        proc = subprocess.run([sys.executable, "-m", "cashier_app", "billing", "deliver", "--db",
                               str(office.db.engine.url)], capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=120)
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
        row = delivery(office.db, number)
        assert row.state == "sent" and len(paid_in_billing(srv, row.txn_id)) == 1
        billing_delivery.reconcile(office.db, timeout=1)  # the dead holder's lease is taken over at once
        row = delivery(office.db, number)
        assert row.state == "delivered" and len(srv.payments()) == 1
        assert billing_delivery.reconcile(office.db, timeout=1).get("processed", 0) == 0
        assert len(srv.payments()) == 1
    finally:
        srv.stop()
