"""Issuing a complete COD: complete EH data from the federation, exporter signs #COD, the official #CODEH."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from cryptography import x509
from lxml import etree
from pydantic import ValidationError

from singlewindow.cod import (
    EH,
    Certificate,
    CertificateID,
    Certification,
    add_certification,
    detect_stage,
    from_element,
    to_element,
)
from singlewindow.cod.generate import fit_entity
from singlewindow.cod.layouts import FormLayout
from singlewindow.cod.samples import demo_issuing_entity_seat
from singlewindow.errors import InvalidDocument, UnusableInput, problem
from singlewindow.pki.federation import IssuingParty
from singlewindow.xmlsec import (
    SigningAlgorithm,
    SigningKey,
    parse_xml,
    serialize,
    sign_exporter,
    sign_official,
)
from singlewindow.xmlsec.names import CERT_ORIGIN, DS_SIGNATURE


class Signatory(Protocol):
    """Whoever signs: a private key and its certificate (``pki.Identity`` is one)."""

    @property
    def private_key(self) -> SigningKey: ...

    @property
    def certificate(self) -> x509.Certificate: ...


def _read(data: bytes, *, max_bytes: int) -> tuple[etree._Element, Certificate, bool]:
    """The tree, its model, and whether the exporter still has to sign."""
    if data.lstrip().startswith(b"{"):
        try:
            cert = Certificate.model_validate_json(data)
        except ValidationError as exc:
            problems = [
                problem("input.invalid_fields", e["msg"], ".".join(map(str, e["loc"]))) for e in exc.errors()
            ]
            raise UnusableInput(problems) from None
        root = to_element(cert, stage="request")
        etree.indent(root, space="  ")
        return root, cert, True
    root = parse_xml(data, max_bytes=max_bytes)
    stage = detect_stage(root)
    if any(child.tag == DS_SIGNATURE for child in root.iterfind(f"{CERT_ORIGIN}/*")):
        raise UnusableInput(problem("input.invalid_fields", "the document is already signed by an official"))
    try:
        cert = from_element(root)
    except InvalidDocument as exc:
        raise UnusableInput(exc.problems) from None
    return root, cert, stage == "request"


def _entity(federation: IssuingParty, country: str, layout: FormLayout) -> EH:
    pki = federation.country(country)
    entry = federation.trustlist.countries[country]
    entity = entry.entities.get(pki.eh_id)
    return fit_entity(
        layout,
        id=pki.eh_id,
        country=country,
        name=entity.name if entity is not None else f"Entidad habilitada {pki.eh_id} de {entry.name}",
        **demo_issuing_entity_seat(country),  # the demo entity's address and contacts (demo data)
    )


#: how many numbers after the first choice are tried before giving up (a full store, in practice never)
_PROBES = 1000


def _certification(
    cert: Certificate,
    *,
    country: str,
    eh_id: str,
    now: datetime,
    available: Callable[[str], bool] | None = None,
) -> Certification:
    """A CertificateID for a request that names none: stable for the same request, never a taken one.

    The number starts from a hash of the request (the same request gets the same number again); when
    ``available`` says another document already holds that CertificateID, the next number is tried.
    """
    first = int(hashlib.sha256(cert.model_dump_json().encode()).hexdigest(), 16) % 100_000_000
    for step in range(_PROBES):
        certificate_id = CertificateID.compose(
            country=country,
            eh_id=eh_id,
            acronym=cert.agreement.acronym,
            year=now.year,
            number=(first + step) % 100_000_000,
        )
        if available is None or available(str(certificate_id)):
            return Certification(date=now.replace(microsecond=0), certificate_id=certificate_id)
    message = f"no free CertificateID number among the {_PROBES} after {first:08d}"
    raise UnusableInput(problem("duplicate.conflict", message, "certification.certificate_id"))


def complete_and_sign(
    data: bytes,
    *,
    federation: IssuingParty,
    country: str,
    algorithm: SigningAlgorithm | None = None,
    now: datetime | None = None,
    max_bytes: int = 5 * 1024 * 1024,
    exporter: Signatory | None = None,
    official: Signatory | None = None,
    available: Callable[[str], bool] | None = None,
) -> bytes:
    """Turn JSON fields or a stage-1/2 COD into a complete signed COD of ``country``'s federation.

    An exporter signature already present is kept byte for byte; EH and CertificationEH are added
    from the federation when missing; the active official signs last. ``exporter`` and ``official``
    replace the federation's signers (fault injection, tests); ``algorithm`` is the method of both
    signatures, by default each signer's own key's (RSA-SHA256 or ECDSA-SHA256). A request naming
    no CertificateID is numbered here; ``available(certificate_id)`` (the issuer's own records) says
    whether a number is free or already held by another document, so two requests never get the
    same CertificateID.
    """
    pki = federation.country(country)
    root, cert, exporter_must_sign = _read(data, max_bytes=max_bytes)
    if cert.exporter.country != country:
        message = f"the exporter's country is {cert.exporter.country}, not {country}"
        raise UnusableInput(problem("input.invalid_fields", message, "exporter.country"))
    if exporter_must_sign:
        first = exporter or pki.exporter
        sign_exporter(root, key=first.private_key, certificate=first.certificate, algorithm=algorithm)
    codeh = root.find(f"{CERT_ORIGIN}/CODEH")
    assert codeh is not None
    if codeh.find("EH") is None and codeh.find("CertificationEH") is None:
        moment = now or datetime.now(UTC)
        eh = cert.eh or _entity(federation, country, cert.layout)
        certification = cert.certification or _certification(
            cert, country=country, eh_id=eh.id, now=moment, available=available
        )
        add_certification(root, cert.model_copy(update={"eh": eh, "certification": certification}))
        for child in list(codeh)[1:]:
            # Cosmetic: lay out the new, not yet signed elements like their neighbours.
            etree.indent(child, space="  ", level=3)
            child.tail = codeh[0].tail
    last = official or pki.official
    sign_official(root, key=last.private_key, certificate=last.certificate, algorithm=algorithm)
    return serialize(root)
