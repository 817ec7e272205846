"""TLS stays on: a bank whose certificate is not trusted is refused; adding its CA (as for the
Russian Trusted Root CA) makes the same client work. A real https sandbox on loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cashier_app.emulators.bank.server import SandboxServer
from cashier_app.services.gateways.base import GatewayConfigError
from cashier_app.services.gateways.config import GatewaySettings, ca_bundle_path, make_client
from tests.gateways.gw_helpers import SBER_PASSWORD, SBER_USER, order_number


def _pem(obj) -> bytes:  # type: ignore[no-untyped-def]
    return obj.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A private root CA (like Минцифры's) and a server certificate for 127.0.0.1 signed by it."""
    d = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Trusted Root CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {"ca": d / "root-ca.pem", "cert": d / "server.pem", "key": d / "server.key"}
    paths["ca"].write_bytes(_pem(ca))
    paths["cert"].write_bytes(_pem(cert))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


@pytest.fixture
def https_bank(pki: dict[str, Path], tmp_path: Path):  # type: ignore[no-untyped-def]
    server = SandboxServer(tmp_path / "bank.sqlite3", tls=(str(pki["cert"]), str(pki["key"])))
    url = server.start()
    assert url.startswith("https://127.0.0.1:")
    yield url
    server.stop()


def _sber(url: str, ca_file: str | None):  # type: ignore[no-untyped-def]
    settings = GatewaySettings("sberbank", url, SBER_USER, ca_file, 2, 5)
    return make_client(settings, SBER_PASSWORD)


def test_untrusted_bank_certificate_is_refused(https_bank: str) -> None:
    client = _sber(https_bank, None)
    with pytest.raises(GatewayConfigError) as err:
        client.create_order(order_number(), 10_000, "TLS")
    assert SBER_PASSWORD not in str(err.value)


def test_adding_the_banks_root_ca_makes_it_work(https_bank: str, pki: dict[str, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bundle = ca_bundle_path(str(pki["ca"]))
    assert isinstance(bundle, str) and pki["ca"].read_text().strip() in Path(bundle).read_text()
    client = _sber(https_bank, str(pki["ca"]))
    number = order_number()
    created = client.create_order(number, 10_000, "TLS")
    assert created.payment_url and created.payment_url.startswith("https://127.0.0.1:")
    assert client.status(number, created.bank_order_id).state == "pending"
