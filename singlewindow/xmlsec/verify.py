"""Verifying ONE signature at its pinned place: structure first, then the signer's chain, then signxml."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from lxml import etree
from signxml.verifier import VerifyResult, XMLVerifier

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.checks import map_exception, safe_parser, verifier_config, within_validity
from singlewindow.xmlsec.names import (
    SHORT_NAMES,
    SIGNATURE_LOCATION,
    SIGNATURE_PATH,
    SIGNED_ID,
    SignatureRole,
)
from singlewindow.xmlsec.structure import check_structure

CertificateCheck = Callable[[x509.Certificate], Sequence[Problem]]


@dataclass(frozen=True)
class SignatureResult:
    """One signature's outcome: ``ok`` only without problems; ``signed`` is what signxml says was signed."""

    role: SignatureRole
    ok: bool
    problems: tuple[Problem, ...] = ()
    certificate: x509.Certificate | None = None
    algorithm: str = ""
    signed: etree._Element | None = None
    signature_valid: bool = False
    certificate_problems: tuple[Problem, ...] = field(default=())


def verify_signature(
    root: etree._Element,
    *,
    role: SignatureRole,
    allow_sha1: bool,
    at: datetime,
    certificate_check: CertificateCheck,
) -> SignatureResult:
    """Verify the ``role`` signature of a COD tree signed at ``at``; every problem is in the result.

    ``certificate_check`` judges the signer's certificate (chain to an anchor, validity and revocation
    at ``at``) before signxml runs with that certificate pinned as ``x509_cert``.
    """
    structure = check_structure(root, role=role, allow_sha1=allow_sha1)
    algorithm = SHORT_NAMES.get(structure.signature_method, structure.signature_method)
    problems = list(structure.problems)
    certificate = structure.certificate
    if structure.signature is None or certificate is None:
        return SignatureResult(role=role, ok=False, problems=tuple(problems), algorithm=algorithm)
    certificate_problems = tuple(certificate_check(certificate))
    problems += certificate_problems
    if structure.problems:
        # Wrapped, ambiguous or forbidden signatures are never handed to the cryptography.
        return SignatureResult(
            role=role,
            ok=False,
            problems=tuple(problems),
            certificate=certificate,
            algorithm=algorithm,
            certificate_problems=certificate_problems,
        )
    signed: etree._Element | None = None
    try:
        result = XMLVerifier().verify(
            root,
            x509_cert=certificate,
            id_attribute="id",
            parser=safe_parser(),
            expect_config=verifier_config(
                location=SIGNATURE_LOCATION[role],
                allow_sha1=allow_sha1,
                at=within_validity(certificate, at),
            ),
        )
        signed = result.signed_xml if isinstance(result, VerifyResult) else None
        if (
            signed is None
            or structure.signed is None
            or signed.tag != structure.signed.tag
            or signed.get("id") != SIGNED_ID[role]
        ):
            problems.append(
                problem("signature.wrapping", "signxml verified another element", SIGNATURE_PATH[role])
            )
            signed = None
    except Exception as exc:  # every signxml/lxml failure becomes a precise problem
        problems.append(map_exception(exc, path=SIGNATURE_PATH[role], whose=f"the {role}'s"))
    return SignatureResult(
        role=role,
        ok=not problems,
        problems=tuple(problems),
        certificate=certificate,
        algorithm=algorithm,
        signed=signed,
        signature_valid=signed is not None,
        certificate_problems=certificate_problems,
    )
