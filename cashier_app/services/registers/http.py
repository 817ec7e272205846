"""HTTP plumbing both register clients share: exact money in JSON, timeouts, and what counts as "unknown".

Rubles travel as JSON numbers with two decimals (``1234.50``).  They are written from ``Decimal``
text and read back with ``parse_float=Decimal`` — a float never touches an amount.  Every call has
(connect, read) timeouts and TLS verification stays on (``requests``' default).  Nothing here
retries a POST: the clients look a document up before anything is sent again.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from cashier_app.i18n import N_, tr
from cashier_app.services.registers.base import RegisterUnavailable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.0, 10.0)
UNAVAILABLE_TEXT = N_("нет связи с ККТ ({what}); чек будет проверен и отправлен позже")  # tr() when raised


def _unavailable(what: str) -> str:
    return tr(UNAVAILABLE_TEXT, what=what)


def encode(data: Any) -> bytes:
    """JSON with every ``Decimal`` written as the exact number it holds (``Decimal("1.50")`` → ``1.50``)."""
    # A marker no user text can forge (fresh per call) stands in for each number, then is unquoted.
    marker = "@" + secrets.token_hex(8) + "@"

    def walk(value: Any) -> Any:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError("not a finite amount")
            return f"{marker}{value:f}{marker}"
        if isinstance(value, dict):
            return {str(k): walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, float):
            raise TypeError("floats are not sent to a register")  # a bug, not a network problem
        return value

    text = json.dumps(walk(data), ensure_ascii=False)
    text = re.sub(f'"{re.escape(marker)}(-?[0-9]+(?:\\.[0-9]+)?){re.escape(marker)}"', r"\1", text)
    return text.encode("utf-8")


def decode(raw: bytes) -> Any:
    """Parse an answer; fractional numbers become ``Decimal``.  Raises ``ValueError`` if it is not JSON."""
    return json.loads(raw.decode("utf-8"), parse_float=Decimal)


def to_minor(value: Any) -> int:
    """Rubles from an answer (int or Decimal) → kopecks, exactly; ``ValueError`` if it is not an amount."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"not an amount: {value!r}")
    try:
        scaled = Decimal(value) * 100
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ValueError(f"not whole kopecks: {value!r}")
    return int(scaled)


class Http:
    """One base URL, fixed timeouts; answers ``(status, parsed JSON or None)`` for anything below 500."""

    def __init__(self, base_url: str, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT, what: str = "ККТ") -> None:  # i18n: data (named in the log only)
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"register URL must start with http:// or https://: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.what = what
        self.session = requests.Session()  # no retry adapter on purpose
        self.session.headers["User-Agent"] = "cashier-app"

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             ) -> tuple[int, Any]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        hdrs = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = encode(body)
            hdrs["Content-Type"] = "application/json; charset=utf-8"
        try:
            resp = self.session.request(method, url, data=data, headers=hdrs, timeout=self.timeout,
                                        allow_redirects=False)
        except requests.exceptions.Timeout:
            log.warning("%s %s %s: timeout", self.what, method, path)
            raise RegisterUnavailable(_unavailable(tr("истекло время ожидания"))) from None
        except requests.exceptions.RequestException as exc:
            # Refused, reset, closed without an answer: the register may have done it.
            log.warning("%s %s %s: %s", self.what, method, path, type(exc).__name__)
            raise RegisterUnavailable(_unavailable(tr("соединение прервано"))) from None
        if resp.status_code >= 500:
            log.warning("%s %s %s: HTTP %s", self.what, method, path, resp.status_code)
            raise RegisterUnavailable(_unavailable(tr("сбой, HTTP {status}", status=resp.status_code)))
        if not resp.content.strip():
            return resp.status_code, None
        try:
            return resp.status_code, decode(resp.content)
        except (UnicodeDecodeError, ValueError):
            log.warning("%s %s %s: HTTP %s with an unreadable answer", self.what, method, path, resp.status_code)
            raise RegisterUnavailable(_unavailable(tr("ответ не читается"))) from None

    def close(self) -> None:
        self.session.close()
