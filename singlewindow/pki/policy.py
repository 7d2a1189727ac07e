"""What a document signer's certificate and its CAs must look like (extension policies for chain building)."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.verification import Criticality, ExtensionPolicy, Policy


def leaf_unfit_reason(certificate: x509.Certificate) -> str | None:
    """Why ``certificate`` cannot sign (needs v3, not a CA, digitalSignature/nonRepudiation), or None."""
    if certificate.version != x509.Version.v3:
        return "not an X.509 v3 certificate"
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    except ValueError as exc:  # duplicate or malformed extensions
        return f"malformed extensions ({exc})"
    if constraints is not None and constraints.ca:
        return "is a CA certificate, not a signer's certificate"
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return "has no KeyUsage extension"
    if not (usage.digital_signature or usage.content_commitment):
        return "KeyUsage allows neither digitalSignature nor nonRepudiation"
    return None


def _not_a_ca(_policy: Policy, _cert: x509.Certificate, value: x509.BasicConstraints | None) -> None:
    if value is not None and value.ca:
        raise ValueError("a signer certificate must not be a CA")


def _signing_usage(_policy: Policy, _cert: x509.Certificate, value: x509.KeyUsage) -> None:
    if not (value.digital_signature or value.content_commitment):
        raise ValueError("KeyUsage must allow digitalSignature or nonRepudiation")


def signer_policy() -> ExtensionPolicy:
    """End-entity policy: any extension may appear (no web-PKI EKU/SAN rules), but it must be a signer."""
    return (
        ExtensionPolicy.permit_all()
        .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, _not_a_ca)
        .require_present(x509.KeyUsage, Criticality.AGNOSTIC, _signing_usage)
    )


def ca_policy() -> ExtensionPolicy:
    """CA policy: the web-PKI CA defaults (critical BasicConstraints CA, keyCertSign, AKI below the root)."""
    return ExtensionPolicy.webpki_defaults_ca()
