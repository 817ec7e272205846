"""Issue 10 §8 at the counter: refunds, statuses and return pages as the banks' own documents define them.

Through the service (``card_payments``) against the real sandbox over loopback.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cashier_app.domain.errors import RuleViolation, UserError
from cashier_app.services import audit, card_payments
from cashier_app.services.gateways.config import set_return_url
from cashier_app.storage import models as m
from tests.test_card_helpers import (
    PAYEE_OF_BANK,
    REFUND,
    Office,
    account_of,
    balance,
    bank,
    ctx_for,
    office,
)

__all__ = ["bank", "office"]


def _paid(office: Office, bank_name: str, amount: int = 100_000, **pay: str) -> tuple[card_payments.CardOrder, str]:
    acc = account_of(office.db, PAYEE_OF_BANK[bank_name])
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=amount)
    office.bank.pay(order.order_number, bank_name, **pay)
    done = card_payments.check(ctx_for(office.db), order.order_number)
    assert done.credited, done
    return done, acc


def _refunds(office: Office, payment_id: int) -> list[int]:
    with office.db.read() as uow:
        return [-a for a in uow.session.execute(select(m.Payment.amount_minor).where(
            m.Payment.reverses_id == payment_id).order_by(m.Payment.id)).scalars()]


def _bank_refunded(office: Office, order_number: str) -> int:
    return int(office.bank.orders(order_number=order_number)[0]["refunded"])


@pytest.mark.parametrize("bank_name", ["sberbank", "tbank"])
def test_second_and_third_partial_refunds_are_recorded(office: Office, bank_name: str) -> None:
    """T-Bank's OriginalAmount is the amount before THIS cancel: the old client took it for the payment's
    first amount and refused the second refund («Банк подтвердил возврат только 299,00 ₽»)."""
    order, acc = _paid(office, bank_name)
    manager = ctx_for(office.db, "manager")
    paid_balance = balance(office.db, acc)
    for amount in (30_000, 29_900, 100):
        assert card_payments.refund(manager, order.payment_number, amount_minor=amount, reason="ошибка").amount_minor \
            == amount
    assert _refunds(office, order.payment_id) == [30_000, 29_900, 100]
    assert _bank_refunded(office, order.order_number) == 60_000
    got = card_payments.get(manager, order.order_number)
    assert (got.state, got.refunded_minor) == ("partially_refunded", 60_000)
    assert balance(office.db, acc) == paid_balance - 60_000
    assert audit.verify(office.db).ok


def test_refund_in_progress_is_recorded_when_the_bank_finishes(office: Office) -> None:
    order, acc = _paid(office, "tbank")
    manager = ctx_for(office.db, "manager")
    paid_balance = balance(office.db, acc)
    office.bank.control("faults", {"endpoint": "Cancel", "kind": "in_progress"})
    with pytest.raises(UserError, match="ещё обрабатывает"):
        card_payments.refund(manager, order.payment_number, amount_minor=40_000, reason="ошибка")
    assert balance(office.db, acc) == paid_balance  # not back yet: not recorded yet
    with pytest.raises(RuleViolation, match="неизвестен"):  # no second refund while the first is open
        card_payments.refund(manager, order.payment_number, amount_minor=40_000, reason="ещё раз")
    card_payments.reconcile(ctx_for(office.db))  # the bank finishes it here
    card_payments.reconcile(ctx_for(office.db))
    assert _refunds(office, order.payment_id) == [40_000] and _bank_refunded(office, order.order_number) == 40_000
    assert balance(office.db, acc) == paid_balance - 40_000
    assert card_payments.get(manager, order.order_number).last_error is None


def test_sbp_refund_is_async_and_recorded_once(office: Office) -> None:
    order, _acc = _paid(office, "tbank", method="sbp")
    manager = ctx_for(office.db, "manager")
    with pytest.raises(UserError, match="ещё обрабатывает"):
        card_payments.refund(manager, order.payment_number, reason="отказ от услуги")
    for _ in range(3):
        card_payments.reconcile(ctx_for(office.db))
    assert _refunds(office, order.payment_id) == [100_000] and _bank_refunded(office, order.order_number) == 100_000
    assert card_payments.get(manager, order.order_number).state == "refunded"


def test_lost_cancel_answer_of_an_sbp_payment_is_not_sent_twice(office: Office) -> None:
    """ExternalRequestId does not protect SBP payments: the old retry re-sent Cancel and refunded twice."""
    order, acc = _paid(office, "tbank", method="sbp")
    manager = ctx_for(office.db, "manager")
    paid_balance = balance(office.db, acc)
    office.bank.fault(REFUND["tbank"], "drop_after_processing")
    with pytest.raises(UserError):
        card_payments.refund(manager, order.payment_number, amount_minor=20_000, reason="ошибка")
    for _ in range(3):
        card_payments.reconcile(ctx_for(office.db))
    assert _bank_refunded(office, order.order_number) == 20_000  # the bank refunded once
    assert _refunds(office, order.payment_id) == [20_000]  # and the ledger knows it, once
    assert balance(office.db, acc) == paid_balance - 20_000


def test_lost_cancel_answer_of_a_card_payment_is_retried_with_the_same_key(office: Office) -> None:
    order, _acc = _paid(office, "tbank")
    manager = ctx_for(office.db, "manager")
    office.bank.fault(REFUND["tbank"], "drop_after_processing")
    result = card_payments.refund(manager, order.payment_number, amount_minor=20_000, reason="ошибка")
    assert result.amount_minor == 20_000
    assert _bank_refunded(office, order.order_number) == 20_000 and _refunds(office, order.payment_id) == [20_000]


def test_attempts_expired_is_final_at_the_counter(office: Office) -> None:
    import requests

    acc = account_of(office.db, PAYEE_OF_BANK["tbank"])
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000)
    for _ in range(6):
        requests.get(order.payment_url or "", timeout=5)
    got = card_payments.check(ctx_for(office.db), order.order_number)
    assert (got.state, got.final, got.credited) == ("expired", True, False)
    assert card_payments.open_orders(ctx_for(office.db), desk_only=False).count(order.order_number) == 0


def test_sber_cancel_before_payment_is_reversed_without_merchant_login(office: Office) -> None:
    acc = account_of(office.db, PAYEE_OF_BANK["sberbank"])
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000)
    got = card_payments.cancel(ctx_for(office.db), order.order_number)
    assert (got.state, got.credited) == ("cancelled", False)
    assert office.bank.orders(order_number=order.order_number)[0]["status"] == "CANCELED"


@pytest.mark.parametrize("bank_name", ["sberbank", "tbank"])
def test_return_page_is_the_offices_choice(office: Office, bank_name: str) -> None:
    payee = PAYEE_OF_BANK[bank_name]
    with office.db.uow() as uow:
        set_return_url(uow.session, None, "https://office.example/thanks")
        set_return_url(uow.session, payee, f"https://{payee}.example/paid")
        uow.commit()
    acc = account_of(office.db, payee)
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000)
    at_bank = office.bank.orders(order_number=order.order_number)[0]
    assert at_bank["return_url"] == f"https://{payee}.example/paid"
    assert at_bank["return_url"] != office.bank.url + "/"
    with office.db.uow() as uow:
        set_return_url(uow.session, payee, None)
        uow.commit()
    second = card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_100)
    assert office.bank.orders(order_number=second.order_number)[0]["return_url"] == "https://office.example/thanks"


def test_online_kassa_terminal_refuses_an_order_without_receipt(office: Office) -> None:
    office.bank.control("terminal", {"online_kassa": True})
    acc = account_of(office.db, PAYEE_OF_BANK["tbank"])
    order = card_payments.start(ctx_for(office.db), account=acc, amount_minor=10_000)
    assert order.state == "declined" and not order.credited
    assert "Receipt" in order.status_text
    with office.db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.Payment).where(
            m.Payment.gateway_order_number == order.order_number, m.Payment.credited.is_(True))).scalar_one() == 0
    assert office.bank.orders(order_number=order.order_number) == []


def test_return_page_is_set_from_the_command_line(fresh_db) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services.gateways.config import return_url_for
    from tests.test_payees import cli

    db = ["--db", str(fresh_db.engine.url)]
    gw = ["payees", "gateway", "dem", "--provider", "tbank", "--url", "https://securepay.tinkoff.ru/v2",
          "--login", "Term1"]
    proc = cli(*gw, "--return-url", "https://dem.example/paid", *db)
    assert proc.returncode == 0 and "страница возврата: https://dem.example/paid" in proc.stdout, proc.stderr
    with fresh_db.read() as uow:
        assert return_url_for(uow.session, "dem") == "https://dem.example/paid"
    proc = cli(*gw, "--return-url", "not a page", *db)
    assert proc.returncode == 2 and "Страница возврата" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(*gw, "--return-url", "none", *db)
    assert proc.returncode == 0 and "не задана" in proc.stdout, proc.stderr
    with fresh_db.read() as uow:
        assert return_url_for(uow.session, "dem") is None


def test_a_refused_refund_frees_the_payment_for_the_next_one(office: Office) -> None:
    """The claim is released when the bank says no: the next refund is not told «уже выполняется»."""
    from tests.gateways.gw_helpers import tbank as tbank_client

    order, _acc = _paid(office, "tbank")
    manager = ctx_for(office.db, "manager")
    # Refunded in the bank's cabinet behind the counter's back: only 50 kopecks are left there.
    tbank_client(office.bank.url).refund(order.order_number, order.bank_order_id, 99_950, "cabinet")
    with pytest.raises(RuleViolation, match="банк отказал"):
        card_payments.refund(manager, order.payment_number, amount_minor=100, reason="ошибка")
    assert card_payments.get(manager, order.order_number).last_error is None
    assert card_payments.refund(manager, order.payment_number, amount_minor=50, reason="остаток").amount_minor == 50
