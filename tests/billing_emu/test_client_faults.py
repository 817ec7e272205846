"""The OSMP client against the billing emulator, both dialects, every fault: what the client says, what the billing has.

The property every case checks: however the answer went missing, sending the **same** txn_id again
leaves exactly one payment in the billing (``server.payments()``), and the repeat tells the client
so in the dialect's own way (abills: 0 with the same prv_txn; ubilling: 300 «duplicate»).
"""

from __future__ import annotations

import threading
import time

import pytest

from cashier_app.emulators.billing.server import BillingServer
from cashier_app.services.billing.osmp import OsmpClient
from cashier_app.services.billing.osmp_types import BillingUnreachable
from tests.billing_emu.conftest import ACCOUNTS, DATE


def client(server: BillingServer, timeout: float = 2.0, **kw: object) -> OsmpClient:
    return OsmpClient(server.osmp_url, server.dialect, timeout=timeout, **kw)  # type: ignore[arg-type]


def pay(c: OsmpClient, txn_id: str = "482913000000123", account: str = "000123", sum_minor: int = 50000):
    return c.pay(txn_id=txn_id, account=account, sum_minor=sum_minor, txn_date=DATE)


def assert_repeat_says_known(server: BillingServer, answer, prv_txn: str) -> None:  # type: ignore[no-untyped-def]
    if server.dialect == "abills":
        assert (answer.result, answer.prv_txn, answer.sum_minor, answer.duplicate) == (0, prv_txn, 50000, False)
    else:
        assert (answer.result, answer.prv_txn, answer.duplicate) == (300, None, True)


def test_check_knows_open_blocked_closed_and_unknown(billing: BillingServer) -> None:
    c = client(billing)
    found = c.check(txn_id="chk1", account="000123")
    assert (found.result, found.found, found.balance_minor, found.full_name) == (0, True, -1230, "Иванов Иван Иванович")
    assert c.check(txn_id="chk2", account="271556").balance_minor == 123450
    assert c.check(txn_id="chk3", account="blocked-1").result == 7
    assert c.check(txn_id="chk4", account="closed-1").result == 7
    unknown = c.check(txn_id="chk5", account="999")
    assert (unknown.result, unknown.found, unknown.balance_minor) == (5, False, None)
    assert billing.payments() == []  # a check never moves money
    assert billing.requests()["check"] == 5


def test_pay_records_once_and_a_repeat_answers_per_dialect(billing: BillingServer) -> None:
    c = client(billing)
    first = pay(c)
    assert (first.result, first.sum_minor, first.duplicate) == (0, 50000, False)
    assert first.prv_txn and first.prv_txn.isdigit()
    second = pay(c)
    assert_repeat_says_known(billing, second, first.prv_txn)
    [only] = billing.payments()
    assert (only["txn_id"], only["prv_txn"], only["account"], only["sum_minor"], only["txn_date"], only["cancelled"]) \
        == ("482913000000123", first.prv_txn, "000123", 50000, DATE, False)
    assert c.check(txn_id="chk", account="000123").balance_minor == -1230 + 50000  # credited once
    nxt = pay(c, txn_id="482913000000124", sum_minor=1)
    assert int(nxt.prv_txn or 0) > int(first.prv_txn)  # the billing's ids go up


def test_repeat_with_other_data_is_refused_not_adopted(billing: BillingServer) -> None:
    c = client(billing)
    first = pay(c)
    other_sum = pay(c, sum_minor=50001)
    other_account = pay(c, account="271556")
    for answer in (other_sum, other_account):
        assert answer.result == 300 and answer.prv_txn is None
        # ubilling cannot tell: it says duplicate; abills names the mismatch and is not a duplicate.
        assert answer.duplicate is (billing.dialect == "ubilling")
    assert [p["prv_txn"] for p in billing.payments()] == [first.prv_txn]


@pytest.mark.parametrize(("sum_minor", "result"), [(0, 241), (-100, 241), (1_500_000_001, 241),
                                                   (1_500_000_000, 0), (1, 0)])
def test_sum_limits(billing: BillingServer, sum_minor: int, result: int) -> None:
    answer = pay(client(billing), sum_minor=sum_minor)
    assert answer.result == result
    assert len(billing.payments()) == (1 if result == 0 else 0)


def test_pay_to_unknown_closed_and_blocked_accounts(billing: BillingServer) -> None:
    c = client(billing)
    assert pay(c, txn_id="1", account="nobody").result == 5
    assert pay(c, txn_id="2", account="closed-1").result == 7
    # A blocked subscriber pays to be unblocked: both billings take that money.
    assert pay(c, txn_id="3", account="blocked-1").result == 0
    assert [p["account"] for p in billing.payments()] == ["blocked-1"]


def test_lost_answer_after_recording_then_the_same_txn_id(billing: BillingServer) -> None:
    c = client(billing)
    billing.fault("pay", "drop_after")
    with pytest.raises(BillingUnreachable, match="соединение прервано"):
        pay(c)
    [recorded] = billing.payments()  # the billing has it although the client heard nothing
    assert_repeat_says_known(billing, pay(c), recorded["prv_txn"])
    assert len(billing.payments()) == 1
    assert billing.requests()["pay"] == 2


def test_dropped_before_recording_then_the_same_txn_id_pays(billing: BillingServer) -> None:
    c = client(billing)
    billing.fault("pay", "drop_before")
    with pytest.raises(BillingUnreachable):
        pay(c)
    assert billing.payments() == []
    answer = pay(c)
    assert answer.result == 0 and answer.prv_txn
    assert len(billing.payments()) == 1


def test_http500_is_unreachable_and_records_nothing(billing: BillingServer) -> None:
    c = client(billing)
    billing.fault("pay", "http500", count=2)
    for _ in range(2):
        with pytest.raises(BillingUnreachable, match="HTTP 500"):
            pay(c)
    assert billing.payments() == []
    assert pay(c).result == 0  # the fault is used up
    assert len(billing.payments()) == 1


def test_timeout_records_first_then_the_client_gives_up(billing: BillingServer) -> None:
    c = client(billing, timeout=0.4)
    billing.fault("pay", "timeout")  # holds the answer 30 s; the server's stop ends it
    started = time.monotonic()
    with pytest.raises(BillingUnreachable, match="истекло время"):
        pay(c)
    assert time.monotonic() - started < 3
    [recorded] = billing.payments()
    assert_repeat_says_known(billing, pay(c), recorded["prv_txn"])
    assert len(billing.payments()) == 1


def test_slow_billing_still_answers_within_the_timeout(billing: BillingServer) -> None:
    c = client(billing, timeout=3)
    billing.fault("pay", "slow", seconds=0.3)
    started = time.monotonic()
    answer = pay(c)
    assert time.monotonic() - started >= 0.3
    assert answer.result == 0 and len(billing.payments()) == 1


def test_slow_check_past_a_short_timeout_is_unreachable(billing: BillingServer) -> None:
    billing.fault("check", "slow", seconds=1.0)
    with pytest.raises(BillingUnreachable):
        client(billing, timeout=0.3).check(txn_id="chk", account="000123")


@pytest.mark.parametrize("code", [1, 300, 79])
def test_injected_results_are_answers_not_payments(billing: BillingServer, code: int) -> None:
    c = client(billing)
    billing.fault("pay", f"result={code}")
    answer = pay(c)
    assert (answer.result, answer.prv_txn, answer.duplicate) == (code, None, False)
    assert billing.payments() == []
    assert pay(c).result == 0


def test_fault_after_lets_the_first_calls_through(billing: BillingServer) -> None:
    c = client(billing)
    billing.fault("*", "http500", after=1)
    assert c.check(txn_id="chk", account="000123").result == 0
    with pytest.raises(BillingUnreachable):
        pay(c)
    assert pay(c).result == 0


def test_cancel_in_abills_reverses_once_and_ubilling_has_none(billing: BillingServer) -> None:
    c = client(billing)
    paid = pay(c)
    assert paid.prv_txn
    answer = c.cancel(prv_txn=paid.prv_txn, txn_id="482913000000123")
    if billing.dialect == "abills":
        assert c.supports_cancel
        assert (answer.result, answer.prv_txn, answer.sum_minor) == (0, paid.prv_txn, 50000)
        again = c.cancel(prv_txn=paid.prv_txn, txn_id="482913000000123")
        assert again.result == 0  # idempotent: a lost cancel answer can be asked again
        [p] = billing.payments()
        assert p["cancelled"] is True
        assert c.check(txn_id="chk", account="000123").balance_minor == -1230  # taken back once
        assert c.cancel(prv_txn="1", txn_id="x").result == 300  # no such payment
        assert c.cancel(prv_txn=paid.prv_txn, txn_id="someone-else").result == 300
    else:
        assert not c.supports_cancel
        assert (answer.result, answer.comment) == (300, "command not supported")
        assert billing.payments()[0]["cancelled"] is False
        assert c.check(txn_id="chk", account="000123").balance_minor == -1230 + 50000


def test_eight_requests_with_one_txn_id_at_once_make_one_payment(billing: BillingServer) -> None:
    results: list[int] = []
    barrier = threading.Barrier(8)

    def one() -> None:
        with client(billing, timeout=5) as c:
            barrier.wait()
            results.append(pay(c).result)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(billing.payments()) == 1
    expected = [0] * 8 if billing.dialect == "abills" else [0] + [300] * 7
    assert sorted(results) == expected


def test_basic_auth_and_the_password_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    with BillingServer("abills", login="agent", password="s3cret-pw") as server:
        server.load_accounts(ACCOUNTS)
        with pytest.raises(BillingUnreachable) as refused:
            OsmpClient(server.osmp_url, "abills", timeout=2, login="agent", password="wrong-pw").check(
                txn_id="chk", account="000123")
        assert "401" in str(refused.value)
        ok = OsmpClient(server.osmp_url, "abills", timeout=2, login="agent", password="s3cret-pw")
        assert ok.check(txn_id="chk", account="000123").result == 0
        # Credentials in the URL itself are kept out of messages too.
        userinfo = server.osmp_url.replace("http://", "http://agent:s3cret-pw@")
        with pytest.raises(BillingUnreachable) as by_url:
            server.fault("pay", "http500")
            OsmpClient(userinfo, "abills", timeout=2).pay(txn_id="1", account="000123", sum_minor=100,
                                                           txn_date=DATE)
        assert "s3cret-pw" not in str(by_url.value) and "agent" not in str(by_url.value)
    assert "s3cret-pw" not in caplog.text and "wrong-pw" not in caplog.text


def test_nobody_listening_is_unreachable() -> None:
    with BillingServer("abills") as server:
        url = server.osmp_url
    with pytest.raises(BillingUnreachable, match="соединение прервано"):
        OsmpClient(url, "abills", timeout=1).check(txn_id="chk", account="1")


def test_https_to_a_plain_server_is_unreachable_not_an_answer(billing: BillingServer) -> None:
    https = billing.osmp_url.replace("http://", "https://")
    with pytest.raises(BillingUnreachable):
        OsmpClient(https, billing.dialect, timeout=1).check(txn_id="chk", account="000123")


def test_client_refuses_bad_configuration(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="http"):
        OsmpClient("ftp://billing/osmp", "abills")
    with pytest.raises(ValueError, match="диалект"):
        OsmpClient("http://127.0.0.1/osmp", "lanbilling")
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("hello")
    with pytest.raises(ValueError, match="PEM"):
        OsmpClient("https://127.0.0.1/osmp", "abills", ca_file=str(not_pem))
    with pytest.raises(ValueError, match="txn_date"):
        OsmpClient("http://127.0.0.1/osmp", "abills").pay(txn_id="1", account="1", sum_minor=1, txn_date="2026-12-03")
    with pytest.raises(TypeError):
        OsmpClient("http://127.0.0.1/osmp", "abills").check(txn_id="1", account="1", sum_minor=1.5)  # type: ignore[arg-type]


def test_timeouts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHIER_BILLING_TIMEOUTS", "0.5,1.5")
    assert OsmpClient("http://127.0.0.1/osmp", "abills").timeout == (0.5, 1.5)
    assert OsmpClient("http://127.0.0.1/osmp", "abills", timeout=2).timeout == (2.0, 2.0)
    monkeypatch.delenv("CASHIER_BILLING_TIMEOUTS")
    assert OsmpClient("http://127.0.0.1/osmp", "abills").timeout == (3.0, 10.0)
