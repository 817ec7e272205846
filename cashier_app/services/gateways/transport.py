"""HTTP plumbing shared by the clients: timeouts, TLS, error mapping.

Every call carries explicit (connect, read) timeouts and never retries by
itself: a POST that registers or refunds must not be repeated blindly, the
caller decides after asking the bank for the status.  Request bodies (which
hold passwords and tokens) are never logged nor put into exception texts.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests

from cashier_app.i18n import N_, tr
from cashier_app.services.gateways.base import (
    NETWORK_MESSAGE_RU,
    GatewayConfigError,
    GatewayNetworkError,
    network_error,
    said,
)

log = logging.getLogger(__name__)


class Transport:
    """A ``requests.Session`` bound to one base URL with fixed timeouts and CA bundle."""

    def __init__(
        self,
        base_url: str,
        *,
        verify: bool | str = True,
        connect_timeout: float = 5,
        read_timeout: float = 20,
        provider: str = "",
    ) -> None:
        if verify is False:
            # STANDARDS §6: never switch TLS verification off; add the CA instead.
            raise GatewayConfigError(
                tr("Отключать проверку TLS-сертификата банка нельзя; добавьте корневой сертификат")
            )
        if not base_url.startswith(("https://", "http://")):
            raise GatewayConfigError(tr("Адрес шлюза должен начинаться с https://: «{url}»", url=base_url))
        self.base_url = base_url.rstrip("/")
        self.verify = verify
        self.timeout = (connect_timeout, read_timeout)
        self.provider = provider
        self.session = requests.Session()  # keep-alive to the bank; no retry adapter on purpose
        self.session.headers["User-Agent"] = "cashier-app"

    def post_form(self, path: str, data: dict[str, str], operation: str) -> dict[str, Any]:
        # Credentials travel in the body: query strings end up in proxy and server logs.
        return self._post(path, operation, data=data)

    def post_json(self, path: str, body: dict[str, Any], operation: str) -> dict[str, Any]:
        return self._post(path, operation, json=body)

    def _post(self, path: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        log.debug("%s: POST %s", self.provider, path)
        try:
            resp = self.session.post(
                url, timeout=self.timeout, verify=self.verify, allow_redirects=False, **kwargs
            )
        except requests.exceptions.SSLError:
            # The handshake failed before anything was sent: nothing happened at the bank.
            log.warning("%s %s: TLS error", self.provider, operation)
            raise GatewayConfigError(tr(
                "Не удалось проверить сертификат банка. Добавьте корневой сертификат "
                "(например, Russian Trusted Root CA Минцифры) в настройках шлюза."
            )) from None
        except requests.exceptions.Timeout:
            log.warning("%s %s: timeout", self.provider, operation)
            raise network_error(N_("истекло время ожидания"), operation) from None
        except requests.exceptions.RequestException as exc:
            # ConnectionError, ChunkedEncodingError, dropped socket...: the bank may have acted.
            log.warning("%s %s: connection problem: %s", self.provider, operation, type(exc).__name__)
            raise network_error(N_("соединение прервано"), operation) from None
        if resp.status_code >= 500:
            log.warning("%s %s: HTTP %s", self.provider, operation, resp.status_code)
            ru, shown = said(N_("сбой на стороне банка, HTTP {status}"), status=resp.status_code)
            raise GatewayNetworkError(NETWORK_MESSAGE_RU.format(what=ru), operation=operation,
                                      message=tr(NETWORK_MESSAGE_RU, what=shown))
        if resp.status_code >= 400 or resp.status_code in (301, 302, 303, 307, 308):
            # The request was refused before processing: wrong address or method.
            log.warning("%s %s: HTTP %s", self.provider, operation, resp.status_code)
            raise GatewayConfigError(tr(
                "Банк отказал в запросе (HTTP {status}). Проверьте адрес шлюза в настройках.",
                status=resp.status_code))
        try:
            payload = json.loads(resp.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            log.warning("%s %s: malformed JSON answer", self.provider, operation)
            raise network_error(N_("ответ банка повреждён"), operation) from None
        if not isinstance(payload, dict):
            raise network_error(N_("непонятный ответ банка"), operation)
        return payload

    def close(self) -> None:
        self.session.close()
