"""Signing a Cancellation: the issuing entity's official signs the whole message (``#CANCEL``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from cryptography import x509

from singlewindow.cod import CertificateID
from singlewindow.errors import UnusableInput, problem
from singlewindow.lifecycle.message import CANCELLATION, Reason, build_cancellation
from singlewindow.xmlsec import DEFAULT_MAX_BYTES, SigningAlgorithm, SigningKey, parse_xml, serialize
from singlewindow.xmlsec.sign import sign_root


class Signatory(Protocol):
    """Whoever signs: a private key and its certificate (``pki.Identity`` is one)."""

    @property
    def private_key(self) -> SigningKey: ...

    @property
    def certificate(self) -> x509.Certificate: ...


def sign_cancellation(
    data: bytes,
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """Sign an unsigned Cancellation with the COD profile; the ds:Signature becomes its last child.

    Raises UnusableInput for unsafe XML, a document that is not a Cancellation, or one already signed.
    """
    root = parse_xml(data, max_bytes=max_bytes)
    if root.tag != CANCELLATION:
        raise UnusableInput(problem("lifecycle.invalid", f"the root is {root.tag}, not a Cancellation", "/"))
    try:
        sign_root(root, key=key, certificate=certificate, algorithm=algorithm)
    except ValueError as exc:
        raise UnusableInput(problem("lifecycle.invalid", str(exc), "/")) from None
    return serialize(root)


def issue_cancellation(
    *,
    certificate_id: CertificateID | str,
    importer_country: str,
    reason: Reason | str,
    when: datetime,
    official: Signatory,
    algorithm: SigningAlgorithm | None = None,
) -> bytes:
    """Build and sign in one step: what a node does for ``POST /certificates/{id}/cancel``."""
    unsigned = build_cancellation(
        certificate_id=certificate_id, importer_country=importer_country, reason=reason, when=when
    )
    return sign_cancellation(
        unsigned, key=official.private_key, certificate=official.certificate, algorithm=algorithm
    )
