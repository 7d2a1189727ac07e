"""Verifying ONE pinned signature: structure first, then the signer's certificate, then the core."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from lxml import etree

from singlewindow.errors import Problem
from singlewindow.xmlsec.core import verify_core
from singlewindow.xmlsec.names import SHORT_NAMES, SignatureRole
from singlewindow.xmlsec.profile import SignatureProfile, profile_of
from singlewindow.xmlsec.scan import DocumentScan
from singlewindow.xmlsec.structure import check_structure

CertificateCheck = Callable[[x509.Certificate], Sequence[Problem]]


@dataclass(frozen=True)
class SignatureResult:
    """One signature's outcome: ``ok`` only without problems; ``signed`` is the element that was signed."""

    role: SignatureRole
    ok: bool
    problems: tuple[Problem, ...] = ()
    certificate: x509.Certificate | None = None
    algorithm: str = ""
    signed: etree._Element | None = None
    signature_valid: bool = False
    certificate_problems: tuple[Problem, ...] = field(default=())
    profile: str = ""


def verify_signature(
    root: etree._Element,
    *,
    role: SignatureRole | SignatureProfile,
    allow_sha1: bool,
    at: datetime,
    certificate_check: CertificateCheck,
    schema_checked: bool = False,
    scan: DocumentScan | None = None,
) -> SignatureResult:
    """Verify the pinned signature of ``role`` (a COD role or any profile) signed at ``at``.

    ``certificate_check`` judges the signer's certificate (chain to an anchor, validity and revocation
    at ``at``); the cryptography runs only on a structurally sound signature, with that certificate's key.
    ``at`` is the signing time the caller's check uses; the core itself needs no clock.
    ``schema_checked``: the caller validated the document with an XSD covering its ds:Signature.
    ``scan``: the document's scan (``structure.scan_document``) when several of its signatures are verified.
    """
    del at  # the certificate check owns time; kept in the signature for the callers
    profile = profile_of(role)
    structure = check_structure(
        root, role=profile, allow_sha1=allow_sha1, schema_checked=schema_checked, scan=scan
    )
    algorithm = SHORT_NAMES.get(structure.signature_method, structure.signature_method)
    problems = list(structure.problems)
    certificate = structure.certificate
    if structure.signature is None or certificate is None:
        return SignatureResult(
            role=profile.role,
            ok=False,
            problems=tuple(problems),
            certificate=certificate,
            algorithm=algorithm,
            profile=profile.name,
        )
    certificate_problems = tuple(certificate_check(certificate))
    problems += certificate_problems
    signed: etree._Element | None = None
    if not structure.problems and structure.signed is not None and structure.shape is not None:
        # Wrapped, ambiguous or forbidden signatures are never handed to the cryptography.
        core = verify_core(
            signed=structure.signed,
            signature=structure.signature,
            certificate=certificate,
            profile=profile,
            shape=structure.shape,
            scan=scan if scan is not None and scan.root is root else None,
        )
        signed = core.signed
        problems += core.problems
    return SignatureResult(
        role=profile.role,
        ok=not problems,
        problems=tuple(problems),
        certificate=certificate,
        signed=signed,
        signature_valid=signed is not None,
        certificate_problems=certificate_problems,
        algorithm=algorithm,
        profile=profile.name,
    )
