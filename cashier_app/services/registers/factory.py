"""The register client for a payee's fiscal settings, and the sandbox's demo credentials.

The demo password is used only for a loopback URL (like the bank sandbox's ``DEMO_SECRETS``):
a real ATOL Online account never gets a password the code knows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.fiscal_receipt import DEFAULT_ONLINE_URL, DEFAULT_WEB_URL
from cashier_app.i18n import N_, tr
from cashier_app.services.registers.atol_online import AtolOnlineClient
from cashier_app.services.registers.atol_web import AtolWebClient
from cashier_app.services.registers.base import RegisterClient
from cashier_app.services.registers.http import DEFAULT_TIMEOUT

DEMO_LOGIN = "demo-login"
DEMO_PASSWORD = "demo-pass"
DEMO_GROUP = "demo-group"
ONLINE_PATH = "/possystem/v5"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(url: str | None) -> bool:
    try:
        return urlsplit(url or "").hostname in _LOOPBACK
    except ValueError:
        return False


def demo_secret_for(url: str | None) -> str | None:
    """The sandbox's ATOL Online password, for a loopback URL only."""
    return DEMO_PASSWORD if is_loopback(url) else None


def online_base(url: str | None) -> str:
    """``https://online.atol.ru`` → ``https://online.atol.ru/possystem/v5``; a full base is kept."""
    base = (url or DEFAULT_ONLINE_URL).rstrip("/")
    path = urlsplit(base).path
    return base if path not in ("", "/") else base + ONLINE_PATH


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds; ``CASHIER_FISCAL_TIMEOUTS="2,5"`` overrides (tests use short ones)."""
    from cashier_app.settings import env_timeouts

    return env_timeouts("CASHIER_FISCAL_TIMEOUTS", DEFAULT_TIMEOUT)


def client_for(rules_or_settings: Any, secret: str | None, *, url_override: str | None = None,
               timeout: tuple[float, float] | None = None, poll_secs: float | None = None) -> RegisterClient:
    """A client for ``FiscalRules`` (or a ``FiscalSettings`` row): ``mode`` atol_web or atol_online.

    ``secret`` is the ATOL Online password (the keyring's); for a loopback URL the sandbox's demo
    password and login stand in when none is set.  Mode ``none`` has no register: ValidationError.
    """
    r = rules_or_settings
    mode = getattr(r, "mode", None)
    url = url_override or getattr(r, "url", None)
    extra: dict[str, Any] = {"timeout": timeout or timeouts()}
    if poll_secs is not None:
        extra["poll_secs"] = poll_secs
    if mode == "atol_web":
        return AtolWebClient((url or DEFAULT_WEB_URL).rstrip("/"), **extra)
    if mode == "atol_online":
        base = online_base(url)
        password = secret or demo_secret_for(base)
        if not password:
            raise ValidationError(N_("Пароль АТОЛ Онлайн"), tr("не задан: сохраните его в настройках ККТ получателя"))
        demo = is_loopback(base)
        login = getattr(r, "login", None) or (DEMO_LOGIN if demo else "")
        group = getattr(r, "group_code", None) or (DEMO_GROUP if demo else "")
        if not login or not group:
            raise ValidationError(N_("АТОЛ Онлайн"), tr("укажите код группы и логин в настройках ККТ получателя"))
        return AtolOnlineClient(
            base, group, login, password, company_inn=getattr(r, "company_inn", None) or "",
            company_email=getattr(r, "company_email", None) or "", payment_address=getattr(r, "place", None) or "",
            **extra)
    raise ValidationError(N_("Режим ККТ"), tr("для получателя платежа ККТ не настроена («без ККТ»)"))
