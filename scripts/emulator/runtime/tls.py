"""The certificate the local data stores serve TLS with: one per emulator process, for localhost, 127.0.0.1 and every
address its servers may take (:func:`servers.loopback_hosts`), its own CA (clients verifying the server trust
:func:`ca_bundle`)."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from pathlib import Path
from typing import Any

from scripts.emulator.registry import addition
from scripts.emulator.runtime import lifecycle, servers

#: Where the running server hands out the CA file (what RDS's public CA bundle is on AWS).
CA_PATH = "/moto-api/runtime/ca.pem"

_lock = threading.Lock()


def certificate() -> tuple[Path, Path]:
    """(key, certificate) PEM files, made on first use."""
    directory = lifecycle.work_dir("tls")
    key_path, cert_path = directory / "server.key", directory / "server.crt"
    with _lock:
        if not cert_path.exists():
            _make(key_path, cert_path)
    return key_path, cert_path


def ca_bundle() -> Path:
    """What a client passes as its CA file to verify the local servers (the certificate is self-signed)."""
    return certificate()[1]


def trust_store() -> Path:
    """The machine's CA certificates plus the local servers' certificate, in one PEM file: what a process run here
    trusts (``SSL_CERT_FILE``), as a task on AWS trusts the Amazon CAs its data stores' certificates chain to."""
    local = ca_bundle().read_text()
    bundle = lifecycle.work_dir("tls") / "trust-store.pem"
    with _lock:
        if not bundle.exists():
            system = Path(ssl.get_default_verify_paths().openssl_cafile or "")
            staging = bundle.with_suffix(".tmp")
            staging.write_text((system.read_text() if system.is_file() else "") + local)
            staging.replace(bundle)
    return bundle


def _make(key_path: Path, cert_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local-aws data stores")])
    now = datetime.datetime.now(datetime.UTC)
    addresses = [ipaddress.ip_address(host) for host in ("127.0.0.1", *servers.loopback_hosts())]
    names = [x509.DNSName("localhost"), *(x509.IPAddress(address) for address in addresses)]
    built = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(built.public_bytes(serialization.Encoding.PEM))


@addition(
    "the data stores' CA certificate is served",
    "engine",
    "a client that verifies its database or cache (verify-full, as on AWS with the RDS CA bundle) needs the "
    "certificate the local servers present; the server hands it out over HTTP, as AWS publishes its bundle",
)
def _serve_ca() -> None:
    from moto.moto_api._internal import urls

    def respond(_request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/x-pem-file"}, ca_bundle().read_text()

    urls.url_paths["{0}" + CA_PATH] = respond
