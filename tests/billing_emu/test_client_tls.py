"""TLS stays on for the billing: a certificate from an unknown CA is refused; ``ca_file`` adds the CA.

A real https billing emulator on loopback with a certificate from a private root CA made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cashier_app.emulators.billing.server import BillingServer
from cashier_app.services.billing.osmp import OsmpClient
from cashier_app.services.billing.osmp_types import BillingUnreachable
from tests.billing_emu.conftest import ACCOUNTS


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@pytest.fixture(scope="module")
def https_billing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BillingServer, Path]]:
    d = tmp_path_factory.mktemp("billing-pki")
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Billing Test Root")).issuer_name(_name("Billing Test Root"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(_name("Billing Test Root"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    with BillingServer("abills", tls=(str(d / "cert.pem"), str(d / "key.pem"))) as server:
        server.load_accounts(ACCOUNTS)
        yield server, d / "ca.pem"


def test_unknown_ca_is_refused_and_nothing_is_paid(https_billing: tuple[BillingServer, Path]) -> None:
    server, _ = https_billing
    assert server.osmp_url.startswith("https://127.0.0.1:")
    with pytest.raises(BillingUnreachable, match="сертификат"):
        OsmpClient(server.osmp_url, "abills", timeout=2).pay(txn_id="t1", account="000123", sum_minor=100,
                                                              txn_date="20261203120000")
    assert server.payments() == []


def test_the_added_ca_makes_the_same_client_work(https_billing: tuple[BillingServer, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    server, ca = https_billing
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the combined bundle is cached there
    c = OsmpClient(server.osmp_url, "abills", timeout=2, ca_file=str(ca))
    assert c.check(txn_id="chk", account="000123").balance_minor == -1230
    assert c.pay(txn_id="t2", account="000123", sum_minor=100, txn_date="20261203120000").result == 0
    assert [p["txn_id"] for p in server.payments()] == ["t2"]
