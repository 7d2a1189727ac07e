"""Verifying ONE signature at its pinned place: structure first, then the signer's chain, then signxml."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.names import (
    SHORT_NAMES,
    SIGNATURE_LOCATION,
    SIGNATURE_PATH,
    SIGNED_ID,
    SignatureRole,
    allowed_digest_methods,
    allowed_signature_methods,
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


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _within_validity(certificate: x509.Certificate, at: datetime) -> datetime:
    # The chain check already judged validity at ``at``; signxml only needs a moment where it can
    # check the cryptography, so an out-of-validity signing time is clamped into the validity.
    return min(max(_utc(at), certificate.not_valid_before_utc), certificate.not_valid_after_utc)


def _map_exception(exc: Exception, role: SignatureRole) -> Problem:
    path, text = SIGNATURE_PATH[role], str(exc) or type(exc).__name__
    if isinstance(exc, InvalidDigest):
        return problem("signature.digest_mismatch", f"the {role}'s signed content was changed: {text}", path)
    if isinstance(exc, InvalidCertificate):
        return problem("chain.not_valid_at_signing_time", text, path)
    if isinstance(exc, InvalidSignature):
        return problem(
            "signature.value_invalid", f"the {role}'s signature value does not verify: {text}", path
        )
    if isinstance(exc, InvalidInput):
        lowered = text.lower()
        if "forbidden by configuration" in lowered:
            return problem("signature.algorithm_forbidden", text, path)
        if "ambiguous reference" in lowered:
            return problem("signature.duplicate_id", text, path)
        if "reference" in lowered:
            return problem("signature.reference_invalid", text, path)
        if "keyvalue" in lowered or "key value" in lowered:
            return problem("signature.key_info_invalid", text, path)
    return problem("signature.malformed", f"{type(exc).__name__}: {text}", path)


def _config(role: SignatureRole, *, allow_sha1: bool, at: datetime) -> SignatureConfiguration:
    return SignatureConfiguration(
        location=SIGNATURE_LOCATION[role],
        expect_references=1,
        signature_methods=frozenset(
            SignatureMethod(uri) for uri in allowed_signature_methods(allow_sha1=allow_sha1)
        ),
        digest_algorithms=frozenset(
            DigestAlgorithm(uri) for uri in allowed_digest_methods(allow_sha1=allow_sha1)
        ),
        verification_time=at,
    )


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
            parser=_parser(),
            expect_config=_config(role, allow_sha1=allow_sha1, at=_within_validity(certificate, at)),
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
        problems.append(_map_exception(exc, role))
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
