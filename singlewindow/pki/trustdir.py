"""Reading a trust directory: anchors (``*.pem``, ``*.crt``) and CRLs (``*.crl``), PEM or DER."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from singlewindow.errors import ConfigurationError
from singlewindow.pki.files import read_crl

ANCHOR_PATTERNS = ("*.pem", "*.crt")
CRL_PATTERN = "*.crl"


def _read_anchors(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read trust anchor {path}: {exc}") from exc
    try:
        if b"-----BEGIN" in data:
            certificates = x509.load_pem_x509_certificates(data)
        else:
            certificates = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ConfigurationError(
            f"cannot read trust anchor {path}: not a PEM or DER certificate ({exc})"
        ) from exc
    for certificate in certificates:
        try:
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is None or not constraints.ca:
            raise ConfigurationError(
                f"trust anchor {path} ({certificate.subject.rfc4514_string()}) is not a CA certificate"
            )
    return certificates


def read_trust_dir(directory: Path) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
    """All anchors and CRLs of ``directory``; a missing, empty or unreadable one is a ConfigurationError."""
    if not directory.exists():
        raise ConfigurationError(f"trust directory {directory} does not exist")
    if not directory.is_dir():
        raise ConfigurationError(f"trust directory {directory} is not a directory")
    anchor_files = sorted({file for pattern in ANCHOR_PATTERNS for file in directory.glob(pattern)})
    if not anchor_files:
        raise ConfigurationError(
            f"trust directory {directory} holds no trust anchors (*.pem or *.crt files with CA certificates)"
        )
    anchors = [certificate for file in anchor_files for certificate in _read_anchors(file)]
    crls = [read_crl(file) for file in sorted(directory.glob(CRL_PATTERN))]
    return anchors, crls
