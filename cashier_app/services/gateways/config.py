"""Gateway settings, secrets in the OS keyring, CA bundle, client factory.

Secrets (Sber API password, T-Bank terminal password, ChronoPay shared secret)
live in the OS keyring under service ``cashier-app`` and user
``<provider>:<payee_code>``.  CI machines have no keyring backend, so an
environment variable ``CASHIER_GW_SECRET_<PROVIDER>_<PAYEECODE>`` is the
fallback.  Secrets are never stored in the database or in settings files.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
import keyring
import keyring.errors
import platformdirs

from cashier_app.i18n import tr
from cashier_app.services.gateways.base import GatewayClient, GatewayConfigError

KEYRING_SERVICE = "cashier-app"
PROVIDERS = ("sberbank", "tbank", "chronopay")
# Not card gateways, but their secrets live the same way (ATOL Online's password: services/fiscal_settings.py).
SECRET_ONLY_PROVIDERS = ("atol_online",)
_ALIASES = {"sber": "sberbank", "tinkoff": "tbank", "t-bank": "tbank"}


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Non-secret settings of one payee's acquiring account."""

    provider: str  # sberbank | tbank | chronopay
    base_url: str  # e.g. https://3dsec.sberbank.ru, https://securepay.tinkoff.ru (with or without /v2)
    login_or_terminal: str  # Sber API userName, T-Bank TerminalKey, ChronoPay product_id
    ca_file: str | None = None  # extra CA (PEM) added to certifi's bundle, e.g. Минцифры root
    connect_timeout: float = 5
    read_timeout: float = 20


def normalise_provider(provider: str) -> str:
    name = provider.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in PROVIDERS:
        raise GatewayConfigError(tr("Неизвестный платёжный шлюз «{provider}»; допустимы: {allowed}",
                                    provider=provider, allowed=", ".join(PROVIDERS)))
    return name


def _secret_provider(provider: str) -> str:
    """A card gateway's name, or one of :data:`SECRET_ONLY_PROVIDERS` (a secret, not a gateway)."""
    name = provider.strip().lower()
    return name if name in SECRET_ONLY_PROVIDERS else normalise_provider(name)


def secret_env_name(provider: str, payee_code: str) -> str:
    """``CASHIER_GW_SECRET_TBANK_ISP_01`` — non-alphanumerics become ``_`` so any code is a valid name."""
    raw = f"CASHIER_GW_SECRET_{_secret_provider(provider)}_{payee_code}".upper()
    return re.sub(r"[^A-Z0-9_]", "_", raw)


def _keyring_user(provider: str, payee_code: str) -> str:
    return f"{_secret_provider(provider)}:{payee_code}"


def get_secret(provider: str, payee_code: str) -> str | None:
    """The secret from the keyring, else from the environment; None when set nowhere."""
    secret: str | None = None
    try:
        secret = keyring.get_password(KEYRING_SERVICE, _keyring_user(provider, payee_code))
    except keyring.errors.NoKeyringError:
        secret = None  # headless CI: no backend at all counts as "not set"
    except keyring.errors.KeyringError:
        secret = None  # locked or broken keyring: fall back rather than crash the counter
    if secret:
        return secret
    return os.environ.get(secret_env_name(provider, payee_code)) or None


def set_secret(provider: str, payee_code: str, secret: str) -> None:
    """Store a secret in the OS keyring; refuses to fall back to anything less safe."""
    if not secret:
        raise GatewayConfigError(tr("Пароль шлюза не может быть пустым"))
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_user(provider, payee_code), secret)
    except keyring.errors.NoKeyringError:
        raise GatewayConfigError(tr(
            "В системе нет хранилища паролей (keyring). Задайте пароль переменной окружения {name}.",
            name=secret_env_name(provider, payee_code))) from None
    except keyring.errors.KeyringError as exc:
        raise GatewayConfigError(tr("Не удалось сохранить пароль в хранилище: {error}", error=type(exc).__name__)) from None


def delete_secret(provider: str, payee_code: str) -> None:
    try:
        keyring.delete_password(KEYRING_SERVICE, _keyring_user(provider, payee_code))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.NoKeyringError:
        pass


def ca_bundle_path(ca_file: str | None, cache_dir: str | Path | None = None) -> bool | str:
    """``verify=`` value for requests: True, or a file = certifi's bundle + the extra CA.

    requests' ``verify=<file>`` replaces the default bundle, so the extra CA is
    appended to certifi's instead of used alone (else every other host fails).
    """
    if not ca_file:
        return True
    extra_path = Path(ca_file)
    try:
        extra = extra_path.read_bytes()
    except OSError:
        raise GatewayConfigError(tr("Не найден файл сертификата «{path}»", path=ca_file)) from None
    if b"-----BEGIN CERTIFICATE-----" not in extra:
        raise GatewayConfigError(tr("Файл «{path}» не похож на сертификат в формате PEM", path=ca_file))
    base = Path(certifi.where()).read_bytes()
    combined = base.rstrip(b"\n") + b"\n" + extra.strip() + b"\n"
    digest = hashlib.sha256(combined).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir else Path(platformdirs.user_cache_dir("cashier-app")) / "ca-bundles"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"bundle-{digest}.pem"
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(combined)
        os.replace(tmp, target)  # atomic: a half-written bundle would fail every call
    return str(target)


# Where the bank sends the customer after paying: a page of the office's choosing, office-wide
# (``gateway.return_url``) or per payee (``gateway.return_url.<payee code>``), in the settings table.
RETURN_URL_KEY = "gateway.return_url"


def return_url_for(s: Any, payee_code: str) -> str | None:
    """The office's return page for this payee, or None (T-Bank then uses the terminal's own setting)."""
    from cashier_app.storage import models as m

    for key in (f"{RETURN_URL_KEY}.{payee_code}", RETURN_URL_KEY):
        row = s.get(m.Setting, key)
        if row is not None and (row.value or "").strip():
            return check_return_url(row.value.strip())
    return None


def check_return_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or any(c.isspace() for c in url) or len(url) > 255:
        raise GatewayConfigError(tr("Страница возврата покупателя должна быть адресом https://…: «{url}»", url=url[:80]))
    return url


def set_return_url(s: Any, payee_code: str | None, url: str | None) -> None:
    """Set (or with ``url=None`` remove) the return page of one payee, or office-wide for ``payee_code=None``."""
    from cashier_app.storage import models as m

    key = f"{RETURN_URL_KEY}.{payee_code}" if payee_code else RETURN_URL_KEY
    row = s.get(m.Setting, key)
    if url is None:
        if row is not None:
            s.delete(row)
        return
    value = check_return_url(url.strip())
    if row is None:
        s.add(m.Setting(key=key, value=value))
    else:
        row.value = value


def make_client(settings: GatewaySettings, secret: str | None) -> GatewayClient:
    """Build the client for ``settings.provider``; ``secret`` comes from :func:`get_secret`."""
    provider = normalise_provider(settings.provider)
    if not secret:
        raise GatewayConfigError(tr(
            "Не задан пароль платёжного шлюза. Укажите его в настройках получателя платежей."
        ))
    if not settings.login_or_terminal:
        raise GatewayConfigError(tr("Не задан логин / терминал платёжного шлюза"))
    verify = ca_bundle_path(settings.ca_file)
    if provider == "sberbank":
        from cashier_app.services.gateways.sberbank import SberbankClient

        return SberbankClient(
            settings.base_url,
            settings.login_or_terminal,
            secret,
            verify=verify,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )
    if provider == "tbank":
        from cashier_app.services.gateways.tbank import TBankClient

        return TBankClient(
            settings.base_url,
            settings.login_or_terminal,
            secret,
            verify=verify,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )
    from cashier_app.services.gateways.chronopay import ChronoPayClient

    return ChronoPayClient(settings.base_url, settings.login_or_terminal, secret)
