"""Verifying a Cancellation like a COD: parse, XSD, pinned signature, chain and registry at its date."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree

from singlewindow.cod import CertificateID
from singlewindow.errors import Problem, problem
from singlewindow.lifecycle.message import CANCELLATION, CancellationValues, read_cancellation
from singlewindow.lifecycle.report import LifecycleReport
from singlewindow.lifecycle.schema import lifecycle_schema, validate_lifecycle
from singlewindow.pki import ChainResult
from singlewindow.verification import Signer, VerificationContext
from singlewindow.verification.policy import SignerFacts
from singlewindow.verification.report import CheckLog
from singlewindow.verification.roles import official_problems
from singlewindow.verification.time_rules import Acceptance, acceptance_problems
from singlewindow.verification.values import parse_date
from singlewindow.xmlsec import SignatureResult, parse_xml, verify_signature
from singlewindow.xmlsec.profile import CANCELLATION as CANCELLATION_PROFILE

#: How far a CancellationDate may lie ahead of the verifier's clock (clock skew between countries).
MAX_FUTURE = timedelta(minutes=5)
_SIGNATURE = "/Cancellation/ds:Signature"


def _consistency(
    values: CancellationValues, *, now: datetime, skew: timedelta = MAX_FUTURE
) -> tuple[CertificateID | None, datetime | None, list[Problem]]:
    """The CertificateID and date the checks rely on, and every contradiction inside the message."""
    problems: list[Problem] = []
    cid: CertificateID | None = None
    try:
        cid = CertificateID.parse(values.certificate_id or "")
    except ValueError as exc:
        problems.append(problem("lifecycle.invalid", str(exc), "/Cancellation/CertificateID"))
    if cid is not None and values.issuing_country != cid.country:
        message = f"IssuingCountry is {values.issuing_country}, the CertificateID's country is {cid.country}"
        problems.append(problem("lifecycle.invalid", message, "/Cancellation/IssuingCountry"))
    if cid is not None and values.eh_id != cid.eh_id:
        message = f"EHId is {values.eh_id}, the CertificateID names entity {cid.eh_id}"
        problems.append(problem("lifecycle.invalid", message, "/Cancellation/EHId"))
    at = parse_date(values.cancellation_date)
    if at is None:
        message = f"CancellationDate {values.cancellation_date!r} is missing or unparseable"
        problems.append(problem("lifecycle.invalid", message, "/Cancellation/CancellationDate"))
    elif at > now + skew:
        message = (
            f"CancellationDate {at.isoformat()} is later than the trusted time {now.isoformat()} "
            f"plus {int(skew.total_seconds())} s of clock skew"
        )
        problems.append(problem("time.future", message, "/Cancellation/CancellationDate"))
    return cid, at, problems


def _attr(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _signer(
    result: SignatureResult, chain: ChainResult | None, *, at: datetime | None, registry_code: str | None
) -> Signer | None:
    certificate = result.certificate
    if certificate is None:
        return None
    anchor = chain.anchor if chain is not None else None
    return Signer(
        role="official",
        name=_attr(certificate, NameOID.COMMON_NAME) or certificate.subject.rfc4514_string(),
        subject=certificate.subject.rfc4514_string(),
        serial_number=format(certificate.serial_number, "x"),
        entity=_attr(certificate, NameOID.ORGANIZATION_NAME),
        country=_attr(certificate, NameOID.COUNTRY_NAME),
        anchor=anchor.subject.rfc4514_string() if anchor is not None else None,
        signed_at=at,
        algorithm=result.algorithm,
        valid_at_signing_time=chain is not None and chain.ok,
        registry_code=registry_code,
        signature_valid=result.signature_valid,
    )


def _issuer_problems(
    certificate: x509.Certificate | None,
    *,
    cid: CertificateID | None,
    at: datetime | None,
    context: VerificationContext,
) -> tuple[str | None, list[Problem]]:
    """The registry answer for the signer as an official of the CertificateID's entity, and its problems."""
    if certificate is None or cid is None or at is None:
        return None, []  # the missing signature, CertificateID or date is reported on its own
    if context.registry is None:
        message = "no registry of officials is configured: the signer cannot be confirmed as the issuer"
        return None, [problem("lifecycle.not_issuer", message, _SIGNATURE)]
    answer = context.registry.answer(certificate, country=cid.country, eh_id=cid.eh_id, at=at)
    if answer.ok:
        return answer.code, []
    found = answer.to_problem(path=_SIGNATURE)
    message = (
        f"the signer is not an authorised official of entity {cid.eh_id} of {cid.country} at "
        f"{at.isoformat()}: registry answer {answer.code} ({answer.message})"
    )
    return answer.code, [
        *([found] if found is not None else []),
        problem("lifecycle.not_issuer", message, _SIGNATURE),
    ]


def verify_cancellation(
    data: bytes,
    *,
    context: VerificationContext,
    now: datetime | None = None,
    schema_dirs: Sequence[Path] = (),
    acceptance: Acceptance | None = None,
) -> LifecycleReport:
    """Verify a signed Cancellation; every problem is in the report; UnusableInput only for unusable input.

    Valid means: the XSD holds; one signature over ``#CANCEL`` verifies; the signer chains to the issuing
    country's CA and is not revoked at CancellationDate; the registry answers 00 for the signer as an
    official of the CertificateID's entity (otherwise ``lifecycle.not_issuer``, naming the answer code).
    ``now`` bounds CancellationDate (clock skew ``MAX_FUTURE``); ``schema_dirs`` are searched for
    ``lifecycle.xsd`` before $SINGLEWINDOW_SCHEMA_DIRS and the copy packaged in ``singlewindow/schemas/``.
    With ``acceptance`` (the hub's acceptance time, or the one a delivery carries) CancellationDate
    is bounded by ``acceptance.at`` instead, and the signer is also judged at that time.
    """
    root = parse_xml(data, max_bytes=context.max_bytes)
    return verify_cancellation_tree(
        root, data=data, context=context, now=now, schema_dirs=schema_dirs, acceptance=acceptance
    )


def verify_cancellation_tree(
    root: etree._Element,
    *,
    data: bytes,
    context: VerificationContext,
    now: datetime | None = None,
    schema_dirs: Sequence[Path] = (),
    acceptance: Acceptance | None = None,
) -> LifecycleReport:
    """``verify_cancellation`` on the tree already parsed from ``data`` by the hardened parser."""
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    run = CheckLog()
    run.check("parse", [], detail=f"{size} bytes, no DTD, no entities")
    if root.tag != CANCELLATION:
        run.check("kind", [problem("lifecycle.invalid", f"the root is {root.tag}, not a Cancellation", "/")])
    run.check("schema", validate_lifecycle(root, schema=lifecycle_schema(schema_dirs)))

    # Tentative values: they choose the chain country, entity and signing time, and are compared below
    # with what the verifier returns as signed.
    raw = read_cancellation(root)
    if acceptance is not None:
        cid, at, consistency = _consistency(raw, now=acceptance.at, skew=acceptance.max_clock_skew)
    else:
        cid, at, consistency = _consistency(raw, now=(now or datetime.now(UTC)).astimezone(UTC))
    run.check("consistency", consistency)
    chains: list[ChainResult] = []

    def certificate_check(certificate: x509.Certificate) -> list[Problem]:
        if cid is None or at is None:
            return []
        chains.append(context.trust.validate(certificate, at=at, country=cid.country))
        return chains[-1].problems

    result = verify_signature(
        root,
        role=CANCELLATION_PROFILE,
        allow_sha1=context.allow_sha1,
        at=at or datetime.now(UTC),
        certificate_check=certificate_check,
    )
    chain = chains[0] if chains else None
    run.check("signature", [p for p in result.problems if p not in result.certificate_problems])
    run.check("chain", list(result.certificate_problems))
    run.check("role", official_problems(result.certificate, what="the Cancellation", path=_SIGNATURE))
    registry_code, issuer = _issuer_problems(result.certificate, cid=cid, at=at, context=context)
    run.check("issuer", issuer)
    if acceptance is not None and cid is not None:
        run.check(
            "time.acceptance",
            acceptance_problems(
                result.certificate,
                role="official",
                country=cid.country,
                eh_id=cid.eh_id,
                acceptance=acceptance,
                context=context,
                path=_SIGNATURE,
            ),
        )
    signed = read_cancellation(result.signed) if result.signed is not None else None
    mismatch = []
    if signed is not None and signed != raw:
        mismatch = [
            problem("signature.wrapping", "the signed values differ from the document's", "/Cancellation")
        ]
    run.check("signed_values", mismatch)
    if signed is not None and not mismatch and result.certificate is not None and context.signer_policy:
        facts = SignerFacts(
            role="official",
            profile=result.profile,
            certificate=result.certificate,
            signed_at=at,
            values=signed,
        )
        run.check("policy.official", list(context.signer_policy(facts)))

    problems = list(dict.fromkeys(run.problems))
    shown = signed or CancellationValues()
    return LifecycleReport(
        valid=not problems,
        sha256=digest,
        size=size,
        certificate_id=shown.certificate_id,
        issuing_country=shown.issuing_country,
        eh_id=shown.eh_id,
        importer_country=shown.importer_country,
        cancellation_date=parse_date(shown.cancellation_date),
        reason=shown.reason,
        reason_code=shown.reason_code,
        registry_code=registry_code,
        signer=_signer(result, chain, at=at, registry_code=registry_code),
        checks=run.checks,
        problems=problems,
    )
