"""Settings, secrets (keyring with env fallback), CA bundle, factory, and the ChronoPay link."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import certifi
import keyring
import keyring.backends.fail
import pytest
from gw_helpers import Sandbox, order_number

from cashier_app.services.gateways.base import GatewayClient, GatewayConfigError, GatewayRejected
from cashier_app.services.gateways.chronopay import ChronoPayClient, chronopay_price
from cashier_app.services.gateways.config import (
    GatewaySettings,
    ca_bundle_path,
    get_secret,
    make_client,
    secret_env_name,
    set_secret,
)
from cashier_app.services.gateways.transport import Transport


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """The real "fail" backend: what a headless CI box without a keyring daemon has."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_secret_from_environment_when_no_keyring(no_keyring: None, monkeypatch: pytest.MonkeyPatch) -> None:
    name = secret_env_name("tbank", "isp-01")
    assert name == "CASHIER_GW_SECRET_TBANK_ISP_01"
    monkeypatch.delenv(name, raising=False)
    assert get_secret("tbank", "isp-01") is None
    monkeypatch.setenv(name, "from-env")
    assert get_secret("tbank", "isp-01") == "from-env"
    assert get_secret("tinkoff", "isp-01") == "from-env"  # alias of the same provider
    with pytest.raises(GatewayConfigError) as err:
        set_secret("tbank", "isp-01", "s3cret-value")
    assert name in str(err.value) and "s3cret-value" not in str(err.value)


def test_unknown_provider() -> None:
    with pytest.raises(GatewayConfigError):
        secret_env_name("paypal", "x")


def test_make_client_builds_working_clients(sandbox: Sandbox) -> None:
    with pytest.raises(GatewayConfigError):
        make_client(GatewaySettings("sberbank", sandbox.url, "demo-api"), None)
    for provider, login, secret in [
        ("sberbank", "demo-api", "demo"),
        ("tbank", "DemoTerminal", "demo-password"),
    ]:
        client = make_client(
            GatewaySettings(provider, sandbox.url, login, connect_timeout=1, read_timeout=2), secret
        )
        assert isinstance(client, GatewayClient)
        assert client._http.timeout == (1, 2)  # type: ignore[attr-defined]
        number = order_number()
        assert client.create_order(number, 1000, "Интернет").bank_order_id
        assert client.status(number, None).state == "pending"
        assert f"'{secret}'" not in repr(client) and "password" not in repr(client)


def test_tls_verification_cannot_be_switched_off() -> None:
    with pytest.raises(GatewayConfigError):
        Transport("https://3dsec.sberbank.ru", verify=False)


def test_ca_bundle_adds_to_certifi(tmp_path: Path) -> None:
    base = Path(certifi.where()).read_text("ascii")
    extra_pem = base[base.index("-----BEGIN CERTIFICATE-----") : base.index("-----END CERTIFICATE-----") + 25]
    extra = tmp_path / "russian_trusted_root_ca.pem"
    extra.write_text(extra_pem + "\n", "ascii")
    assert ca_bundle_path(None) is True
    bundle = ca_bundle_path(str(extra), cache_dir=tmp_path / "cache")
    assert isinstance(bundle, str)
    text = Path(bundle).read_text("ascii")
    assert text.startswith(base.rstrip("\n")[:200]) and text.rstrip().endswith(extra_pem.strip())
    assert text.count("BEGIN CERTIFICATE") == base.count("BEGIN CERTIFICATE") + 1
    assert ca_bundle_path(str(extra), cache_dir=tmp_path / "cache") == bundle  # cached, same file
    junk = tmp_path / "junk.pem"
    junk.write_text("not a cert", "ascii")
    with pytest.raises(GatewayConfigError):
        ca_bundle_path(str(junk), cache_dir=tmp_path / "cache")
    with pytest.raises(GatewayConfigError):
        ca_bundle_path(str(tmp_path / "missing.pem"), cache_dir=tmp_path / "cache")


def test_chronopay_signed_link() -> None:
    client = ChronoPayClient(
        None, "007-0001", "shared-Secret", success_url="https://a.test/ok", decline_url="https://a.test/no"
    )
    created = client.create_order("ORD-17", 123_450, "Тур")
    assert created.bank_order_id is None and created.raw_status == "manual"
    url = created.payment_url or ""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://payments.chronopay.com/?")
    assert query["product_price"] == "1234.50" == chronopay_price(123_450)
    expected = hashlib.md5(b"007-0001-1234.50-ORD-17-shared-Secret").hexdigest()
    assert query["sign"] == expected
    assert query["success_url"] == "https://a.test/ok" and query["decline_url"] == "https://a.test/no"
    assert "shared-Secret" not in url
    assert chronopay_price(5) == "0.05" and chronopay_price(100) == "1.00"
    st = client.status("ORD-17", None)
    assert st.state == "manual" and st.reason_text_ru and "выписк" in st.reason_text_ru
    assert client.find_order("ORD-17") is None
    with pytest.raises(GatewayRejected):
        client.refund("ORD-17", None, 100, "k")
    with pytest.raises(GatewayRejected):
        client.cancel("ORD-17", None, None, "k")


def test_chronopay_via_factory() -> None:
    client = make_client(GatewaySettings("chronopay", "https://payments.chronopay.com/", "1-2"), "sec")
    assert client.provider == "chronopay"
    assert "sign=" in (client.create_order("A", 100, "x").payment_url or "")
