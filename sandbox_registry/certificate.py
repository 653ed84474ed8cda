"""The sandbox's TLS certificate: made once, self-signed, on first start, and kept beside its key."""
from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERTIFICATE = "certificate.pem"
KEY = "key.pem"


def ensure(folder: Path) -> tuple[Path, Path]:
    """The certificate and key files in `folder`, made there if missing. A client trusts the
    sandbox by taking `certificate.pem` as its CA file."""
    folder.mkdir(parents=True, exist_ok=True)
    certificate_path, key_path = folder / CERTIFICATE, folder / KEY
    if certificate_path.exists() and key_path.exists():
        return certificate_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portico sandbox registry")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName("localhost"), x509.DNSName("sandbox-registry"),
             x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
    if socket.gethostname() not in ("localhost", "sandbox-registry"):
        names.append(x509.DNSName(socket.gethostname()))
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    # written under other names and moved into place: a second process starting at the same
    # moment never reads half a file
    suffix = f".{os.getpid()}.tmp"
    key_tmp, certificate_tmp = key_path.with_name(KEY + suffix), certificate_path.with_name(CERTIFICATE + suffix)
    descriptor = os.open(key_tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    certificate_tmp.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_tmp.replace(key_path)
    certificate_tmp.replace(certificate_path)
    return certificate_path, key_path
