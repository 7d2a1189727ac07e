"""Full verification of one COD: parse once, XSD, both pinned signatures, chains, registry, consistency."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree

from singlewindow.cod import CertificateID, detect_stage
from singlewindow.errors import Problem, UnusableInput, problem
from singlewindow.memo import by_identity
from singlewindow.pki import ChainResult
from singlewindow.verification.context import VerificationContext
from singlewindow.verification.policy import SignerFacts
from singlewindow.verification.report import CheckLog, Signer, Stage, VerificationReport
from singlewindow.verification.roles import exporter_problems, official_problems
from singlewindow.verification.time_rules import Acceptance, acceptance_problems, date_problems
from singlewindow.verification.values import (
    CODEHValues,
    CODValues,
    cod_values,
    codeh_values,
    parse_date,
    read_claimed,
)
from singlewindow.xmlsec import (
    EXPORTER,
    OFFICIAL,
    SignatureResult,
    SignatureRole,
    parse_xml,
    verify_signature,
)
from singlewindow.xmlsec.names import DS_NS, DS_SIGNATURE, LEGACY_DIGEST_METHODS, LEGACY_SIGNATURE_METHODS
from singlewindow.xmlsec.scan import DocumentScan
from singlewindow.xmlsec.structure import scan_document

_DATE_PATH = {
    "exporter": "/Envelope/CertOrigin/CODEH/CODExporter/COD/*/Declaration/DeclarationDate",
    "official": "/Envelope/CertOrigin/CODEH/CertificationEH/CertificateDate",
}


def _cn(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else certificate.subject.rfc4514_string()


def _attr(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _consistency(values: CODEHValues) -> tuple[CertificateID | None, list[Problem]]:
    """The CertificateID parsed (None when absent or malformed), and every inconsistency of the values."""
    problems: list[Problem] = []
    cid: CertificateID | None = None
    cid_country: str | None = None
    if values.certificate_id:
        try:
            cid = CertificateID.parse(values.certificate_id)
            cid_country = cid.country
            if values.eh_id and cid.eh_id != values.eh_id:
                message = f"CertificateID names entity {cid.eh_id}, EHId is {values.eh_id}"
                problems.append(
                    problem("cod.certificate_id_invalid", message, "CertificationEH/CertificateID")
                )
        except ValueError as exc:
            problems.append(problem("cod.certificate_id_invalid", str(exc), "CertificationEH/CertificateID"))
    named = {
        "CertificateID": cid_country,
        "EHCountry": values.eh_country,
        "ExporterCountry": values.cod.exporter_country,
    }
    present = {name: country for name, country in named.items() if country}
    if len(set(present.values())) > 1:
        listed = ", ".join(f"{name}={country}" for name, country in present.items())
        problems.append(
            problem("cod.country_mismatch", f"the issuing country differs: {listed}", "/Envelope")
        )
    return cid, problems


def _signing_time(text: str | None, role: SignatureRole) -> tuple[datetime | None, list[Problem]]:
    moment = parse_date(text)
    if moment is None:
        what = "missing" if not text else f"unparseable ({text!r})"
        return None, [problem("cod.date_invalid", f"the {role}'s signing date is {what}", _DATE_PATH[role])]
    return moment, []


def _verify_role(
    root: etree._Element,
    *,
    role: SignatureRole,
    country: str | None,
    at: datetime | None,
    context: VerificationContext,
    schema_checked: bool,
    scan: DocumentScan,
    accepted_at: datetime | None = None,
) -> tuple[SignatureResult, ChainResult | None]:
    chains: list[ChainResult] = []

    def certificate_check(certificate: x509.Certificate) -> list[Problem]:
        if country is None or at is None:
            return []  # the missing country or date is reported on its own
        chains.append(context.trust.validate(certificate, at=at, country=country))
        return chains[-1].problems

    result = verify_signature(
        root,
        role=role,
        allow_sha1=context.sha1_allowed(country, accepted_at or datetime.now(UTC)),
        at=at or datetime.now(UTC),
        certificate_check=certificate_check,
        schema_checked=schema_checked,
        scan=scan,
    )
    return result, (chains[0] if chains else None)


@by_identity(maxsize=256)
def _identity(certificate: x509.Certificate) -> tuple[str, str, str, str | None, str | None]:
    """CN, subject, serial (hex), O and C of a certificate; cached, as a signer signs many documents."""
    return (
        _cn(certificate),
        certificate.subject.rfc4514_string(),
        format(certificate.serial_number, "x"),
        _attr(certificate, NameOID.ORGANIZATION_NAME),
        _attr(certificate, NameOID.COUNTRY_NAME),
    )


def _signer(
    result: SignatureResult, chain: ChainResult | None, *, at: datetime | None, registry_code: str | None
) -> Signer | None:
    certificate = result.certificate
    if certificate is None:
        return None
    name, subject, serial_number, entity, country = _identity(certificate)
    return Signer(
        role=result.role,
        name=name,
        subject=subject,
        serial_number=serial_number,
        entity=entity,
        country=country,
        anchor=_identity(chain.anchor)[1] if chain is not None and chain.anchor is not None else None,
        signed_at=at,
        algorithm=result.algorithm,
        valid_at_signing_time=chain is not None and chain.ok,
        registry_code=registry_code,
        signature_valid=result.signature_valid,
    )


def _has_child(parent: etree._Element, tag: str) -> bool:
    return any(True for _ in parent.iterchildren(tag))


def _stage(root: etree._Element, scan: DocumentScan) -> tuple[Stage | None, list[Problem]]:
    """``detect_stage`` read off the scan: the exporter's pinned path is the very path it requires."""
    cod, _ = scan.pinned(EXPORTER)  # Envelope, then exactly one CertOrigin, CODEH, CODExporter, COD
    exporter = cod.getparent() if cod is not None else None
    codeh = exporter.getparent() if exporter is not None else None
    cert_origin = codeh.getparent() if codeh is not None else None
    if exporter is None or codeh is None or cert_origin is None:
        try:
            return detect_stage(root), []
        except UnusableInput as exc:
            return None, exc.problems
    if (
        _has_child(codeh, "EH")
        or _has_child(codeh, "CertificationEH")
        or _has_child(cert_origin, DS_SIGNATURE)
    ):
        return "complete", []
    return ("exporter_signed" if _has_child(exporter, DS_SIGNATURE) else "request"), []


def _dedup(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _policy(
    context: VerificationContext,
    run: CheckLog,
    result: SignatureResult,
    *,
    at: datetime | None,
    values: CODValues | CODEHValues,
) -> None:
    """The per-signer policy (roles, trusted time) on a verified signature, when the context has one."""
    if context.signer_policy is None or result.certificate is None or result.signed is None:
        return
    facts = SignerFacts(
        role=result.role, profile=result.profile, certificate=result.certificate, signed_at=at, values=values
    )
    run.check(f"policy.{result.role}", list(context.signer_policy(facts)))


def verify_document(
    data: bytes, *, context: VerificationContext, acceptance: Acceptance | None = None
) -> VerificationReport:
    """Verify a complete COD; every problem is in the report. Raises UnusableInput only for unusable input.

    ``acceptance`` is the trusted time the claimed dates are judged at (the hub's acceptance time;
    by default the system clock, which refuses only dates in the future).
    """
    root = parse_xml(data, max_bytes=context.max_bytes)
    return verify_cod_tree(root, data=data, context=context, acceptance=acceptance)


_LEGACY = frozenset({*LEGACY_SIGNATURE_METHODS, *LEGACY_DIGEST_METHODS})
_ALGORITHMS = (f"{{{DS_NS}}}SignatureMethod", f"{{{DS_NS}}}DigestMethod")


def uses_sha1(root: etree._Element, scan: DocumentScan | None = None) -> bool:
    """Whether any signature of the document uses a legacy SHA-1 signature or digest method."""
    elements = scan.methods if scan is not None and scan.root is root else root.iter(*_ALGORITHMS)
    return any(element.get("Algorithm") in _LEGACY for element in elements)


def verify_cod_tree(
    root: etree._Element, *, data: bytes, context: VerificationContext, acceptance: Acceptance | None = None
) -> VerificationReport:
    """``verify_document`` on the tree the hardened parser made of ``data`` (parsed once, never again)."""
    acceptance = acceptance or Acceptance.offline()
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    run = CheckLog()
    run.check("parse", [], detail=f"{size} bytes, no DTD, no entities")
    scan = scan_document(root, EXPORTER, OFFICIAL)  # one scan serves the stage and both signatures
    stage, stage_problems = _stage(root, scan)
    run.check("stage", stage_problems)
    schema_problems = context.schemas.validate(root, stage="complete")
    run.check("schema", schema_problems)

    # Tentative values from the pinned elements: they choose the chain country and signing time, and
    # are compared below with what the verifier returns as signed.
    codeh, _ = scan.pinned(OFFICIAL)
    claimed = read_claimed(codeh)  # read once: values, the Form, the exporter's declared name
    raw = claimed.values
    cid, consistency = _consistency(raw)
    run.check("consistency", consistency)
    exporter_at, exporter_date = _signing_time(raw.cod.declaration_date, "exporter")
    official_at, official_date = _signing_time(raw.certificate_date, "official")
    run.check("dates", exporter_date + official_date)
    run.check(
        "time",
        date_problems(
            claimed.form,
            certificate_date=raw.certificate_date,
            certificate_id=cid,
            certified=official_at,
            declared=exporter_at,
            acceptance=acceptance,
        ),
    )
    cid_country = raw.certificate_id[:2] if raw.certificate_id else None
    # The official's first: the COD's C14N is then cut out of the CODEH's (``core.cut_c14n``).
    official, official_chain = _verify_role(
        root,
        role="official",
        country=raw.eh_country or cid_country,
        at=official_at,
        context=context,
        schema_checked=not schema_problems,
        scan=scan,
        accepted_at=acceptance.at,
    )
    exporter, exporter_chain = _verify_role(
        root,
        role="exporter",
        country=raw.cod.exporter_country or cid_country,
        at=exporter_at,
        context=context,
        schema_checked=not schema_problems,
        scan=scan,
        accepted_at=acceptance.at,
    )
    for result in (exporter, official):
        chain_problems = result.certificate_problems
        run.check(f"signature.{result.role}", [p for p in result.problems if p not in chain_problems])
        run.check(f"chain.{result.role}", list(chain_problems))
    run.check(
        "role.exporter",
        exporter_problems(
            exporter.certificate,
            business_name=claimed.exporter_name,
            country=raw.cod.exporter_country,
        ),
    )
    run.check("role.official", official_problems(official.certificate))

    registry_code: str | None = None
    if context.registry is not None and official.certificate is not None and official_at is not None:
        answer = context.registry.answer(
            official.certificate, country=raw.eh_country or "", eh_id=raw.eh_id or "", at=official_at
        )
        registry_code = answer.code
        found = answer.to_problem(path="/Envelope/CertOrigin/ds:Signature")
        run.check("registry.official", [found] if found is not None else [])

    if acceptance.judge_signers:
        run.check(
            "time.acceptance",
            acceptance_problems(
                exporter.certificate,
                role="exporter",
                country=raw.cod.exporter_country or cid_country,
                eh_id=None,
                acceptance=acceptance,
                context=context,
                path="/Envelope/CertOrigin/CODEH/CODExporter/ds:Signature",
            )
            + acceptance_problems(
                official.certificate,
                role="official",
                country=raw.eh_country or cid_country,
                eh_id=raw.eh_id or "",
                acceptance=acceptance,
                context=context,
                path="/Envelope/CertOrigin/ds:Signature",
            ),
        )

    # The core returns the pinned element itself: read it again only if it were another one.
    signed = (
        (raw if official.signed is codeh else codeh_values(official.signed))
        if official.signed is not None
        else None
    )
    signed_cod = signed.cod if signed is not None else cod_values(exporter.signed)
    mismatch = []
    if (signed is not None and signed != raw) or (exporter.signed is not None and signed_cod != raw.cod):
        mismatch = [
            problem("signature.wrapping", "the signed values differ from the document's", "/Envelope")
        ]
    run.check("signed_values", mismatch)
    if not mismatch:
        _policy(context, run, exporter, at=exporter_at, values=signed_cod)
        if signed is not None:
            _policy(context, run, official, at=official_at, values=signed)

    problems = _dedup(run.problems)
    certificate_date = parse_date(signed.certificate_date) if signed is not None else None
    return VerificationReport(
        valid=not problems,
        sha256=digest,
        size=size,
        certificate_id=signed.certificate_id if signed is not None else None,
        cod_ver=signed_cod.cod_ver,
        stage=stage,
        form=signed_cod.form,
        exporter_country=signed_cod.exporter_country,
        importer_country=signed_cod.importer_country,
        eh_country=signed.eh_country if signed is not None else None,
        eh_id=signed.eh_id if signed is not None else None,
        certificate_date=certificate_date,
        legacy_sha1=not problems and uses_sha1(root, scan),
        checks=run.checks,
        problems=problems,
        signers=[
            signer
            for signer in (
                _signer(exporter, exporter_chain, at=exporter_at, registry_code=None),
                _signer(official, official_chain, at=official_at, registry_code=registry_code),
            )
            if signer is not None
        ],
    )
