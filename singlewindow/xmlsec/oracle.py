"""signxml as the reference verifier: the oracle of the differential tests and the bench's naive path.

Nothing in production verifies with it: the single-pass core (``core``) does. It stays because an
independent, widely used implementation is the best judge that the core is never laxer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from singlewindow.xmlsec.checks import b64
from singlewindow.xmlsec.names import DS_NS, LEGACY_DIGEST_METHODS, LEGACY_SIGNATURE_METHODS
from singlewindow.xmlsec.parser import hardened_parser
from singlewindow.xmlsec.profile import SignatureProfile


@dataclass(frozen=True)
class OracleVerdict:
    """What signxml says: ``ok`` only if it verified the profile's own element; ``error`` otherwise."""

    ok: bool
    error: str = ""


def safe_parser() -> etree.XMLParser:
    """The parser signxml re-parses with: the package's one hardened parser (``parser.hardened_parser``)."""
    return hardened_parser()


def _config(profile: SignatureProfile, *, allow_sha1: bool, at: datetime) -> SignatureConfiguration:
    methods = profile.signature_methods | (LEGACY_SIGNATURE_METHODS if allow_sha1 else frozenset())
    digests = profile.digest_methods | (LEGACY_DIGEST_METHODS if allow_sha1 else frozenset())
    return SignatureConfiguration(
        location=profile.signxml_location,
        expect_references=1,
        signature_methods=frozenset(SignatureMethod(uri) for uri in methods),
        digest_algorithms=frozenset(DigestAlgorithm(uri) for uri in digests),
        verification_time=at,
    )


def _within(certificate: x509.Certificate, at: datetime) -> datetime:
    return min(max(at, certificate.not_valid_before_utc), certificate.not_valid_after_utc)


def oracle_verify(
    data: bytes | etree._Element,
    *,
    profile: SignatureProfile,
    allow_sha1: bool = False,
    ca_pem: Path | None = None,
    at: datetime | None = None,
) -> OracleVerdict:
    """signxml's verdict on the profile's signature: with ``ca_pem`` it builds the chain itself, else it
    uses the certificate of the signature's own KeyInfo (inside its validity: time is judged elsewhere).
    """
    moment = at or datetime.now(UTC)
    try:
        root = data if isinstance(data, etree._Element) else etree.fromstring(data, parser=safe_parser())
        verifier = XMLVerifier()
        config = _config(profile, allow_sha1=allow_sha1, at=moment)
        if ca_pem is not None:
            result = verifier.verify(
                root, ca_pem_file=str(ca_pem), id_attribute="id", parser=safe_parser(), expect_config=config
            )
        else:
            ds = f"{{{DS_NS}}}"
            found = root.find(f"{profile.signxml_location}{ds}Signature/{ds}KeyInfo//{ds}X509Certificate")
            if found is None:
                return OracleVerdict(ok=False, error="no X509Certificate at the pinned place")
            certificate = x509.load_der_x509_certificate(b64(found.text))
            config = _config(profile, allow_sha1=allow_sha1, at=_within(certificate, moment))
            result = verifier.verify(
                root, x509_cert=certificate, id_attribute="id", parser=safe_parser(), expect_config=config
            )
    except Exception as exc:  # any refusal is a refusal; the message is for the test's report
        return OracleVerdict(ok=False, error=f"{type(exc).__name__}: {exc}")
    signed = result.signed_xml if isinstance(result, VerifyResult) else None
    if not isinstance(signed, etree._Element) or signed.get("id") != profile.signed_id:
        return OracleVerdict(ok=False, error="signxml verified another element")
    want = etree.QName(profile.steps[-1] if profile.steps else profile.root_tag).localname
    if etree.QName(signed).localname != want:
        return OracleVerdict(ok=False, error=f"signxml verified {signed.tag}, not {want}")
    return OracleVerdict(ok=True)
