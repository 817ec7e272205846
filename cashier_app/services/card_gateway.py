"""The card flow's link to the banks: secrets, clients, the order snapshot a client needs, the crash hook.

Secrets: :func:`gateway_secret` takes the keyring / environment secret
(``gateways.config.get_secret``); only for a payee whose gateway URL is the
loopback sandbox does it fall back to the sandbox's documented demo passwords.
A real bank URL never gets a demo secret.  No secret, card number or CVC is
stored, logged or put into an exception text: the banks only give masked PANs.

Test hook: with ``CASHIER_TEST_HOOKS=1`` and ``CASHIER_TEST_CRASH_AT=<point>``
the process SIGKILLs itself at that named point (see :data:`CRASH_POINTS`);
the crash tests use it to stop ``cashier-app pay-card`` deterministically.

Everything above this module in the card flow (``card_orders``, ``card_open``,
``card_settle``, ``card_refunds``) imports it; it imports none of them.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.i18n import tr
from cashier_app.services.gateways.base import GatewayClient, GatewayConfigError
from cashier_app.services.gateways.config import GatewaySettings, get_secret, make_client, normalise_provider
from cashier_app.storage import models as m

# How long the customer has to pay (DOMAIN: «the bank gives 20 minutes»).
PAY_WINDOW_SECS = 20 * 60
# Named points of crash_point(), in the order a card payment passes them.
CRASH_POINTS = ("before_register", "after_register", "after_status_paid", "mid_credit")


# The sandbox's documented demo credentials (``cashier-app gateway-sandbox``); used only for loopback URLs.
DEMO_SECRETS = {"sberbank": "demo", "tbank": "demo-password", "chronopay": "demo-secret"}
DEMO_LOGINS = {"sberbank": "demo-api", "tbank": "DemoTerminal", "chronopay": "demo-product"}
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class _Row:
    """A snapshot of an order with everything needed to talk to its bank.

    Built by ``card_orders._snapshot``; it lives here because :func:`_client` takes it and this
    module must import no other card module (that is what keeps the card flow free of cycles).
    """

    order_id: int
    order_number: str
    provider: str
    state: str
    bank_order_id: str | None
    amount_minor: int
    refunded_minor: int
    created_at: datetime
    payment_id: int
    payment_number: str
    credited: bool
    payee_code: str
    payee_provider: str | None
    base_url: str
    login: str
    ca_file: str | None = None  # the payee's extra CA (PEM), added to certifi's bundle
    order_uid: str | None = None  # our identity at the bank (card_identity.py); None for older orders
    payment_url: str | None = None


# --- test hook ---------------------------------------------------------------------------------------

def crash_point(name: str) -> None:
    """TEST HOOK: SIGKILL this process at a named point (only with ``CASHIER_TEST_HOOKS=1``)."""
    if os.environ.get("CASHIER_TEST_HOOKS") == "1" and os.environ.get("CASHIER_TEST_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


# --- secrets and clients -------------------------------------------------------------------------------

def is_loopback(url: str | None) -> bool:
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return False
    return host in _LOOPBACK


def gateway_secret(provider: str, payee_code: str, base_url: str | None) -> str | None:
    """Keyring / environment first; the sandbox demo secret only for a loopback gateway URL."""
    secret = get_secret(provider, payee_code)
    if secret:
        return secret
    if is_loopback(base_url):
        return DEMO_SECRETS.get(normalise_provider(provider))
    return None


def _timeouts() -> tuple[float, float]:
    """(connect, read) seconds; ``CASHIER_GW_TIMEOUTS="5,20"`` overrides (tests use short ones)."""
    from cashier_app.settings import env_timeouts

    return env_timeouts("CASHIER_GW_TIMEOUTS", (5.0, 20.0))


def _client(row: _Row) -> GatewayClient:
    connect, read = _timeouts()
    settings = GatewaySettings(row.provider, row.base_url, row.login, row.ca_file, connect, read)
    return make_client(settings, gateway_secret(row.provider, row.payee_code, row.base_url))


def _provider_for(payee: m.Payee, override: str | None) -> tuple[str, str]:
    """(provider, login) for a new order; ``override`` only against the loopback sandbox."""
    if not payee.gateway_provider or not payee.gateway_base_url:
        raise RuleViolation(tr("у получателя «{name}» не настроен платёжный шлюз", name=payee.name))
    own = normalise_provider(payee.gateway_provider)
    if override is None:
        return own, payee.gateway_login or ""
    try:
        provider = normalise_provider(override)
    except GatewayConfigError as exc:
        raise ValidationError("--provider", str(exc)) from None
    if provider == own:
        return own, payee.gateway_login or ""
    if not is_loopback(payee.gateway_base_url):
        raise ValidationError("--provider", tr("другой банк можно выбрать только для песочницы (тест, демонстрация)"))
    return provider, DEMO_LOGINS[provider]
