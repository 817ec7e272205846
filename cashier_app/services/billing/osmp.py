"""The OSMP «check / pay» client: one billing URL, one dialect, exact money, and what counts as "unknown".

``GET <url>?command=check|pay|cancel&txn_id=…&account=…&sum=R.KK[&txn_date=…][&prv_txn=N]`` →
``<response><osmp_txn_id/><prv_txn/><sum/><result/><comment/>[<balance/><fio/>]</response>``
(``osmp_types.py``).  Rubles go out as ``1234.50`` written from kopecks with integer arithmetic and
come back through ``Decimal``; a float never touches an amount.

What is an answer and what is not, because the connector's exactly-once rests on it:

* a readable ``<response>`` with an integer ``<result>`` is an answer — at HTTP 200 and at HTTP 4xx
  (some billings answer a refusal with 400/403 and an XML body);
* anything else is :class:`BillingUnreachable` (the billing may have done it): refused or reset
  connection, timeout, closed without an answer, HTTP ≥ 500, a 4xx without XML, a body that is not
  XML, a ``<result>`` that is not a number, a ``<sum>``/``<balance>`` that is not an amount, a body over
  :data:`MAX_BODY` bytes, a DOCTYPE or entity declaration (never expanded: refused unread).

Nothing here retries: a ``pay`` whose answer was lost is sent again by the outbox under the **same**
``txn_id`` (that is how both dialects let the acceptor verify).  TLS verification stays on; ``ca_file``
adds a CA to certifi's bundle the way the bank gateways do.  The log says the command, the txn_id and
the result — never the password, never the URL's user info.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit, urlunsplit

import requests

from cashier_app.i18n import N_, tr
from cashier_app.services.billing.osmp_types import (
    DIALECTS,
    RESULT_OTHER,
    BillingUnreachable,
    CheckAnswer,
    PayAnswer,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.0, 10.0)  # (connect, read) seconds; CASHIER_BILLING_TIMEOUTS="2,5" overrides
TIMEOUTS_ENV = "CASHIER_BILLING_TIMEOUTS"
MAX_BODY = 64 * 1024  # an OSMP answer is a few hundred bytes; anything this big is not one
_SUM_TEXT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,2})?")
_DUPLICATE = ("duplicate", "дубл")  # i18n: data (matched in the billing's own comment)
NO_LINK = N_("нет связи с биллингом ({where}): {what}")
_FORBIDDEN_MARKUP = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)


# -- money ---------------------------------------------------------------------------------------


def format_sum(minor: int) -> str:
    """Kopecks → the protocol's rubles: ``123450`` → ``"1234.50"``, ``-5`` → ``"-0.05"`` (exact, no float)."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"a sum is whole kopecks (int), not {type(minor).__name__}")
    sign = "-" if minor < 0 else ""
    rubles, kopecks = divmod(abs(minor), 100)
    return f"{sign}{rubles}.{kopecks:02d}"


def parse_sum(text: str) -> int:
    """The protocol's rubles → kopecks: ``"1234.50"``, ``"1234.5"``, ``"1234"``, ``"-12.30"``.

    Refuses (``ValueError``) anything else: a comma, spaces, an exponent, ``NaN``, a third decimal.
    """
    value = (text or "").strip()
    if not _SUM_TEXT.fullmatch(value):
        raise ValueError(f"not an OSMP sum: {text!r}")
    try:
        scaled = Decimal(value) * 100
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise ValueError(f"not an OSMP sum: {text!r}") from None
    return int(scaled)


# -- the answer ----------------------------------------------------------------------------------


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def parse_response(body: bytes) -> dict[str, str]:
    """The ``<response>``'s children as ``{tag: text}``; ``ValueError`` if it is not an OSMP answer.

    Ubilling-style ``<fields><field name="balance">…</field></fields>`` extras are read into the
    same dict under their ``name`` (``balance``, ``name``/``fio``) so both shapes give a balance.
    """
    if len(body) > MAX_BODY:
        raise ValueError("answer too large")
    if _FORBIDDEN_MARKUP.search(body):
        # ElementTree would expand internal entities (a billion laughs); an OSMP answer never has them.
        raise ValueError("DOCTYPE/ENTITY in the answer")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    if _strip_ns(root.tag) != "response":
        raise ValueError(f"root element is <{root.tag}>, not <response>")
    found: dict[str, str] = {}
    for child in root:
        tag = _strip_ns(child.tag)
        if tag == "fields":
            for field in child.iter():
                name = (field.get("name") or "").strip().lower()
                if name and name not in found:
                    found[name] = (field.text or "").strip()
            continue
        if tag not in found:  # the first one counts: a second <result> cannot override the first
            found[tag] = (child.text or "").strip()
    if "result" not in found:
        raise ValueError("no <result> in the answer")
    if not re.fullmatch(r"-?[0-9]{1,6}", found["result"]):
        raise ValueError(f"<result> is not a number: {found['result'][:40]!r}")
    return found


def _optional_sum(fields: dict[str, str], *names: str) -> int | None:
    for name in names:
        text = fields.get(name)
        if text:
            return parse_sum(text)  # ValueError → unreadable answer, decided by the caller
    return None


def _is_duplicate(dialect: str, result: int, comment: str | None) -> bool:
    if dialect != "ubilling" or result != RESULT_OTHER or not comment:
        return False
    low = comment.lower()
    return any(word in low for word in _DUPLICATE)


def _safe_url(url: str) -> str:
    """The URL without user info (``https://user:pass@host/x`` → ``https://host/x``), for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "?"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def default_timeouts() -> tuple[float, float]:
    """(connect, read) seconds; ``CASHIER_BILLING_TIMEOUTS="2,5"`` overrides (tests use short ones)."""
    from cashier_app.settings import env_timeouts

    return env_timeouts(TIMEOUTS_ENV, DEFAULT_TIMEOUT)


class OsmpClient:
    """A billing's OSMP endpoint in one dialect (``abills`` | ``ubilling``).

    ``timeout``: seconds for both connect and read (the account card's check uses a short one);
    None = :func:`default_timeouts`.  ``login``/``password``: HTTP Basic, when the billing wants it.
    ``ca_file``: an extra CA (PEM) for a billing whose certificate a private CA signed.
    """

    def __init__(self, url: str, dialect: str, *, timeout: float | None = None, ca_file: str | None = None,
                 login: str | None = None, password: str | None = None) -> None:
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise ValueError(tr("адрес биллинга должен начинаться с http:// или https://"))
        if dialect not in DIALECTS:
            raise ValueError(tr("диалект биллинга: {dialects}, не «{dialect}»", dialects=", ".join(DIALECTS), dialect=dialect))
        self.url = url
        self.dialect = dialect
        self.timeout: tuple[float, float] = (float(timeout), float(timeout)) if timeout else default_timeouts()
        self.where = _safe_url(url)
        self.session = requests.Session()  # no retry adapter on purpose: a lost pay is verified, not re-fired
        self.session.headers["User-Agent"] = "cashier-app"
        # Passed with every request: requests lets REQUESTS_CA_BUNDLE override a *session*'s verify.
        self.verify: bool | str = True
        if ca_file:
            from cashier_app.services.gateways.config import GatewayConfigError, ca_bundle_path

            try:
                self.verify = ca_bundle_path(ca_file)
            except GatewayConfigError as exc:
                raise ValueError(str(exc)) from None
        if login:
            self.session.auth = (login, password or "")

    @property
    def supports_cancel(self) -> bool:
        """ABillS has ``command=cancel``; Ubilling's OpenPayz frontend has not (a person reverses it there)."""
        return self.dialect == "abills"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> OsmpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands ---------------------------------------------------------------------------------

    def check(self, *, txn_id: str, account: str, sum_minor: int = 100) -> CheckAnswer:
        """Does the billing know ``account`` and take money for it?  0 found (+ balance, name), 5, 7…"""
        fields = self._call("check", {"txn_id": txn_id, "account": account, "sum": format_sum(sum_minor)})
        result = int(fields["result"])
        try:
            balance = _optional_sum(fields, "balance")
        except ValueError:
            raise self._unreadable("check", txn_id, tr("баланс в ответе не читается")) from None
        name = fields.get("fio") or fields.get("name") or None
        return CheckAnswer(result=result, comment=fields.get("comment") or None, balance_minor=balance,
                           full_name=name, prv_txn=fields.get("prv_txn") or None)

    def pay(self, *, txn_id: str, account: str, sum_minor: int, txn_date: str) -> PayAnswer:
        """Credit ``sum_minor`` to ``account`` under ``txn_id`` (the acceptor's id, the same on every retry)."""
        if not re.fullmatch(r"[0-9]{14}", txn_date or ""):
            raise ValueError(f"txn_date is YYYYMMDDHHMMSS, not {txn_date!r}")
        fields = self._call("pay", {"txn_id": txn_id, "account": account, "sum": format_sum(sum_minor),
                                    "txn_date": txn_date})
        return self._pay_answer("pay", txn_id, fields)

    def cancel(self, *, prv_txn: str, txn_id: str) -> PayAnswer:
        """Reverse the billing's payment ``prv_txn`` (ours ``txn_id``); a dialect without it answers 300."""
        fields = self._call("cancel", {"txn_id": txn_id, "prv_txn": prv_txn})
        return self._pay_answer("cancel", txn_id, fields)

    # -- plumbing ---------------------------------------------------------------------------------

    def _pay_answer(self, command: str, txn_id: str, fields: dict[str, str]) -> PayAnswer:
        result = int(fields["result"])
        try:
            sum_minor = _optional_sum(fields, "sum")
        except ValueError:
            # A garbled sum cannot prove the billing took *our* amount: unknown, verified later.
            raise self._unreadable(command, txn_id, tr("сумма в ответе не читается")) from None
        comment = fields.get("comment") or None
        return PayAnswer(result=result, prv_txn=fields.get("prv_txn") or None, sum_minor=sum_minor,
                         comment=comment, duplicate=_is_duplicate(self.dialect, result, comment))

    def _unreadable(self, command: str, txn_id: str, what: str) -> BillingUnreachable:
        log.warning("billing %s txn_id=%s: %s", command, txn_id, what)
        return BillingUnreachable(tr(NO_LINK, where=self.where, what=what))

    def _call(self, command: str, params: dict[str, str]) -> dict[str, str]:
        txn_id = params.get("txn_id", "")
        query = {"command": command, **params}
        try:
            resp = self.session.get(self.url, params=query, timeout=self.timeout, allow_redirects=False,
                                    stream=True, verify=self.verify, headers={"Accept": "application/xml, text/xml"})
        except requests.exceptions.Timeout:
            raise self._unreadable(command, txn_id, tr("истекло время ожидания ответа")) from None
        except requests.exceptions.SSLError:
            raise self._unreadable(command, txn_id, tr("сертификат сервера не прошёл проверку")) from None
        except requests.exceptions.RequestException as exc:
            # Refused, reset, closed without an answer: the billing may have done it.
            log.warning("billing %s txn_id=%s: %s", command, txn_id, type(exc).__name__)
            raise BillingUnreachable(tr(NO_LINK, where=self.where, what=tr("соединение прервано"))) from None
        try:
            body = self._read_capped(resp, command, txn_id)
        finally:
            resp.close()
        status = resp.status_code
        if status >= 500:
            raise self._unreadable(command, txn_id, tr("сбой биллинга, HTTP {status}", status=status))
        if 300 <= status < 400:
            raise self._unreadable(command, txn_id, tr("переадресация HTTP {status} — проверьте адрес", status=status))
        try:
            fields = parse_response(body)
        except ValueError as exc:
            log.warning("billing %s txn_id=%s: HTTP %s, %s", command, txn_id, status, exc)
            if status == 401:
                what = tr("HTTP 401 — проверьте логин и пароль биллинга")
            elif status >= 400:
                what = tr("HTTP {status} без ответа OSMP", status=status)
            else:
                what = tr("ответ не читается")
            raise BillingUnreachable(tr(NO_LINK, where=self.where, what=what)) from None
        log.info("billing %s txn_id=%s: result %s", command, txn_id, fields["result"])
        return fields

    def _read_capped(self, resp: requests.Response, command: str, txn_id: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_content(8192):
                size += len(chunk)
                if size > MAX_BODY:
                    raise self._unreadable(command, txn_id, tr("ответ слишком большой"))
                chunks.append(chunk)
        except requests.exceptions.Timeout:
            raise self._unreadable(command, txn_id, tr("истекло время ожидания ответа")) from None
        except requests.exceptions.RequestException:
            raise self._unreadable(command, txn_id, tr("соединение прервано посреди ответа")) from None
        return b"".join(chunks)


__all__ = ["DEFAULT_TIMEOUT", "MAX_BODY", "OsmpClient", "format_sum", "parse_response", "parse_sum"]
