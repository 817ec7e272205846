"""What the client makes of bodies a billing (or something posing as one) may send, and exact sums.

A real loopback HTTP server answers each case's canned status and body; the client must turn
everything that is not a readable OSMP answer into ``BillingUnreachable`` (unknown, verified later)
and never into a result the connector would act on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashier_app.emulators.billing.protocol import rubles
from cashier_app.services.billing.osmp import MAX_BODY, OsmpClient, format_sum, parse_sum
from cashier_app.services.billing.osmp_types import BillingUnreachable


class Canned:
    """A loopback server that answers every GET with ``status``/``body`` and remembers the query."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b""
        self.ctype = "text/xml"
        self.queries: list[str] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canned.queries.append(self.path)
                self.send_response(canned.status)
                self.send_header("Content-Type", canned.ctype)
                self.send_header("Content-Length", str(len(canned.body)))
                if 300 <= canned.status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()
                self.wfile.write(canned.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/osmp"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def answer(self, body: bytes | str, status: int = 200) -> None:
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def canned() -> Iterator[Canned]:
    server = Canned()
    yield server
    server.close()


def _pay(canned: Canned, dialect: str = "abills"):  # type: ignore[no-untyped-def]
    return OsmpClient(canned.url, dialect, timeout=2).pay(txn_id="42", account="007", sum_minor=123450,
                                                          txn_date="20261203120000")


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          "<response><result>0</result><comment>&lol2;</comment></response>")
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<response><result>0</result><comment>&x;</comment></response>")


@pytest.mark.parametrize("body", [
    LAUGHS,
    EXTERNAL,
    "<response><result>0</result>",  # cut off
    "OK",
    "",
    "<html><body>0</body></html>",
    "<answer><result>0</result></answer>",  # not a <response>
    "<response><comment>OK</comment></response>",  # no result
    "<response><result>zero</result></response>",
    "<response><result>0</result><prv_txn>9</prv_txn><sum>1e3</sum></response>",
    "<response><result>0</result><prv_txn>9</prv_txn><sum>1234,50</sum></response>",
    "<response><result>0</result><prv_txn>9</prv_txn><sum>NaN</sum></response>",
    b"<response><result>0</result><comment>\xff\xfe</comment></response>",  # not UTF-8
])
def test_unreadable_bodies_are_unreachable(canned: Canned, body: str | bytes) -> None:
    canned.answer(body)
    with pytest.raises(BillingUnreachable, match="нет связи с биллингом"):
        _pay(canned)


def test_a_huge_body_is_capped_not_read(canned: Canned) -> None:
    canned.answer("<response><result>0</result><comment>" + "x" * (MAX_BODY + 10) + "</comment></response>")
    with pytest.raises(BillingUnreachable, match="слишком большой"):
        _pay(canned)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unreachable_even_with_xml(canned: Canned, status: int) -> None:
    canned.answer("<response><result>0</result><prv_txn>1</prv_txn></response>", status)
    with pytest.raises(BillingUnreachable, match=f"HTTP {status}"):
        _pay(canned)


def test_redirect_is_not_followed(canned: Canned) -> None:
    canned.answer("", 302)
    with pytest.raises(BillingUnreachable, match="переадресация"):
        _pay(canned)
    assert len([q for q in canned.queries if "elsewhere" in q]) == 0


def test_4xx_with_xml_is_an_answer_and_without_it_is_not(canned: Canned) -> None:
    canned.answer("<response><osmp_txn_id>42</osmp_txn_id><result>79</result><comment>запрещено</comment></response>",
                  403)
    answer = _pay(canned)
    assert (answer.result, answer.comment, answer.prv_txn) == (79, "запрещено", None)
    canned.answer("<html>Forbidden</html>", 403)
    with pytest.raises(BillingUnreachable, match="HTTP 403"):
        _pay(canned)


def test_a_full_answer_is_read_exactly(canned: Canned) -> None:
    canned.answer('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n <osmp_txn_id>42</osmp_txn_id>\n'
                  " <prv_txn> 700123 </prv_txn><sum>1234.50</sum><result>0</result><comment>OK</comment>"
                  "</response>")
    answer = _pay(canned)
    assert (answer.result, answer.prv_txn, answer.sum_minor, answer.duplicate) == (0, "700123", 123450, False)
    query = canned.queries[-1]
    for part in ("command=pay", "txn_id=42", "account=007", "sum=1234.50", "txn_date=20261203120000"):
        assert part in query


def test_the_first_result_counts(canned: Canned) -> None:
    canned.answer("<response><result>5</result><result>0</result><prv_txn>1</prv_txn></response>")
    assert _pay(canned).result == 5


@pytest.mark.parametrize(("dialect", "comment", "duplicate"), [
    ("ubilling", "Duplicate transaction", True),
    ("ubilling", "DUPLICATE", True),
    ("ubilling", "Дублирование платежа", True),
    ("ubilling", "Other error", False),
    ("abills", "Duplicate transaction", False),  # abills answers a repeat with 0; its 300 is something else
])
def test_duplicate_only_for_ubilling_300_saying_so(canned: Canned, dialect: str, comment: str,
                                                   duplicate: bool) -> None:
    canned.answer(f"<response><result>300</result><comment>{comment}</comment></response>")
    answer = _pay(canned, dialect)
    assert (answer.result, answer.duplicate) == (300, duplicate)
    canned.answer(f"<response><result>1</result><comment>{comment}</comment></response>")
    assert _pay(canned, dialect).duplicate is False


def test_check_reads_balance_and_name_in_either_shape(canned: Canned) -> None:
    c = OsmpClient(canned.url, "ubilling", timeout=2)
    canned.answer("<response><result>0</result><balance>-12.3</balance><fio>Иванов И.</fio></response>")
    found = c.check(txn_id="chk", account="007")
    assert (found.found, found.balance_minor, found.full_name) == (True, -1230, "Иванов И.")
    canned.answer('<response><result>0</result><fields><field1 name="balance">99.99</field1>'
                  '<field2 name="name">Петрова</field2></fields></response>')
    found = c.check(txn_id="chk", account="007")
    assert (found.balance_minor, found.full_name) == (9999, "Петрова")
    canned.answer("<response><result>0</result><balance>much</balance></response>")
    with pytest.raises(BillingUnreachable, match="баланс"):
        c.check(txn_id="chk", account="007")
    assert "sum=1.00" in canned.queries[-1]  # check sends a nominal ruble by default


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_sum_round_trip_is_exact(minor: int) -> None:
    text = format_sum(minor)
    assert parse_sum(text) == minor
    assert text == rubles(minor)  # the client and the emulator write the same text, independently
    assert Decimal(text) * 100 == minor


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False,
                   allow_infinity=False))
def test_parse_sum_reads_any_plain_decimal(value: Decimal) -> None:
    assert parse_sum(f"{value:f}") == int(value * 100)


@pytest.mark.parametrize("text", ["1,50", "1 234.50", "1e3", "NaN", "Infinity", "", " ", "1.234", "+5", "0x10",
                                  "١٢٣"])
def test_parse_sum_refuses_what_is_not_an_osmp_sum(text: str) -> None:
    with pytest.raises(ValueError):
        parse_sum(text)


def test_format_sum_takes_only_kopecks() -> None:
    assert (format_sum(0), format_sum(5), format_sum(-5), format_sum(123450)) == ("0.00", "0.05", "-0.05", "1234.50")
    for bad in (1.5, Decimal("1"), True, "100"):
        with pytest.raises(TypeError):
            format_sum(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [
    '<?xml version="1.0" encoding="windows-1251"?><response><result>0</result><fio>Иванов</fio></response>'
    .encode("cp1251"),
    '\ufeff<?xml version="1.0" encoding="UTF-8"?><response><result>0</result><fio>Иванов</fio></response>'
    .encode("utf-8"),
    b'<r:response xmlns:r="urn:x"><r:result>0</r:result><r:fio>\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2'
    b"</r:fio></r:response>",
])
def test_declared_encodings_bom_and_namespaces_are_read(canned: Canned, body: bytes) -> None:
    canned.answer(body)
    found = OsmpClient(canned.url, "abills", timeout=2).check(txn_id="chk", account="007")
    assert (found.result, found.full_name) == (0, "Иванов")
