"""Reading and writing PEM keys, certificates and CRLs with safe file modes."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from singlewindow.errors import ConfigurationError

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
Algorithm: TypeAlias = Literal["rsa", "ec"]

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def generate_key(*, algorithm: Algorithm = "rsa") -> PrivateKey:
    """A fresh signing key: RSA 2048 or ECDSA P-256."""
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key algorithm {algorithm!r}: expected 'rsa' or 'ec'")


def make_private_dir(path: Path) -> Path:
    """Create ``path`` with mode 0700 (missing parents too) and return it."""
    missing = [path, *(parent for parent in path.parents if not parent.exists())]
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    path.chmod(PRIVATE_DIR_MODE)
    return path


def _write(path: Path, data: bytes, *, mode: int) -> None:
    # Open with the final mode so a private key never exists world-readable, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(mode)


def write_private_key(path: Path, key: PrivateKey) -> None:
    """Write an unencrypted PKCS#8 PEM private key with mode 0600."""
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(path, data, mode=PRIVATE_FILE_MODE)


def write_certificate(path: Path, certificate: x509.Certificate) -> None:
    """Write a PEM certificate (public, mode 0644)."""
    _write(path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)


def write_crl(path: Path, crl: x509.CertificateRevocationList) -> None:
    """Write a PEM CRL (public, mode 0644)."""
    _write(path, crl.public_bytes(serialization.Encoding.PEM), mode=0o644)


def certificate_pem(certificate: x509.Certificate) -> str:
    """The PEM text of a certificate."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def crl_pem(crl: x509.CertificateRevocationList) -> str:
    """The PEM text of a CRL."""
    return crl.public_bytes(serialization.Encoding.PEM).decode("ascii")


def read_certificate(path: Path) -> x509.Certificate:
    """Load one PEM certificate; a missing or unreadable file is a ConfigurationError."""
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read certificate {path}: {exc}") from exc


@functools.lru_cache(maxsize=32)
def _private_key(data: bytes) -> PrivateKeyTypes:
    # OpenSSL checks an RSA key's consistency on every load (tens of milliseconds); a process that
    # reads the same key file again (a restart of an in-process service) gets the key it checked.
    return serialization.load_pem_private_key(data, password=None)


def read_private_key(path: Path) -> PrivateKey:
    """Load an unencrypted PEM RSA or EC private key; anything else is a ConfigurationError."""
    try:
        key = _private_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot read private key {path}: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigurationError(f"private key {path} is neither RSA nor EC")
    return key


def read_crl(path: Path) -> x509.CertificateRevocationList:
    """Load a CRL in PEM or DER; a missing or unreadable file is a ConfigurationError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read CRL {path}: {exc}") from exc
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise ConfigurationError(f"cannot read CRL {path}: not a PEM or DER CRL ({exc})") from exc
