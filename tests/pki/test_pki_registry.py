"""Tests of the registry of authorised officials: every ALADI answer code 00–08 is reachable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from singlewindow.cod.samples import demo_official
from singlewindow.pki import Federation, Official, Registry
from singlewindow.pki.files import certificate_pem

SignerFactory = Callable[..., x509.Certificate]


@pytest.fixture(scope="module")
def extra(federation: Federation, signer_factory: SignerFactory) -> dict[str, x509.Certificate]:
    """Extra AR certificates: disabled, pending, administrator, expired and unregistered."""
    ar = federation.country("AR")
    start = datetime.now(UTC) - timedelta(days=400)
    return {
        "disabled": signer_factory(issuer=ar, name="Disabled"),
        "pending": signer_factory(issuer=ar, name="Pending"),
        "administrator": signer_factory(issuer=ar, name="Admin"),
        "expired": signer_factory(issuer=ar, name="Expired", start=start, days=100),
        "unregistered": signer_factory(issuer=ar, name="Nobody"),
    }


@pytest.fixture(scope="module")
def registry(federation: Federation, extra: dict[str, x509.Certificate]) -> Registry:
    """The federation's registry plus a disabled, a pending, an administrator and an expired person."""
    trustlist = federation.trustlist
    for key, fields in {
        "disabled": {"enabled": False},
        "pending": {"status": "pending"},
        "administrator": {"role": "administrator"},
        "expired": {},
    }.items():
        official = Official.model_validate(
            {"name": key, "certificate": certificate_pem(extra[key]), **fields}
        )
        trustlist = trustlist.with_official(country="AR", eh_id="001", official=official)
    return Registry.from_trustlist(trustlist)


def _cert(federation: Federation, extra: dict[str, x509.Certificate], who: str) -> x509.Certificate | bytes:
    ar = federation.country("AR")
    return {
        "official": ar.official.certificate,
        "revoked": ar.revoked_official.certificate,
        "brazilian": federation.country("BR").official.certificate,
        "garbage": b"not a certificate",
    }.get(who) or extra[who]


@pytest.mark.parametrize(
    ("who", "country", "eh_id", "code"),
    [
        ("official", "AR", "001", "00"),
        ("garbage", "AR", "001", "01"),
        ("expired", "AR", "001", "02"),
        ("revoked", "AR", "001", "03"),
        ("unregistered", "AR", "001", "04"),
        ("disabled", "AR", "001", "05"),
        ("pending", "AR", "001", "05"),
        ("official", "BR", "001", "06"),
        ("brazilian", "AR", "001", "06"),
        ("official", "AR", "002", "07"),
        ("administrator", "AR", "001", "08"),
    ],
)
def test_answer_codes(
    federation: Federation,
    registry: Registry,
    extra: dict[str, x509.Certificate],
    who: str,
    country: str,
    eh_id: str,
    code: str,
) -> None:
    """Each kind of signer gets the ALADI answer code NOTES.md assigns to it."""
    answer = registry.answer(
        _cert(federation, extra, who), country=country, eh_id=eh_id, at=datetime.now(UTC)
    )
    assert answer.code == code, answer.message
    assert answer.ok == (code == "00")
    assert (answer.to_problem() is None) == (code == "00")
    if code != "00":
        problem = answer.to_problem()
        assert problem is not None and problem.code == f"registry.{code}"


def test_valid_answer_names_the_official(federation: Federation, registry: Registry) -> None:
    """Answer 00 names the official and the entity."""
    answer = registry.answer(
        federation.country("UY").official.certificate, country="UY", eh_id="001", at=datetime.now(UTC)
    )
    assert (answer.code, answer.official_name, answer.entity) == ("00", demo_official("UY"), "001")


def test_revoked_official_before_revocation(federation: Federation, registry: Registry) -> None:
    """A revoked official's signature made before the registry's revocation time is still 00."""
    revoked_at = federation.trustlist.countries["AR"].entities["001"].officials[1].revoked_at
    assert revoked_at is not None
    cert = federation.country("AR").revoked_official.certificate
    before = registry.answer(cert, country="AR", eh_id="001", at=revoked_at - timedelta(hours=1))
    after = registry.answer(cert, country="AR", eh_id="001", at=revoked_at + timedelta(hours=1))
    assert (before.code, after.code) == ("00", "03")


def test_expired_official_inside_validity(registry: Registry, extra: dict[str, x509.Certificate]) -> None:
    """An expired official is valid (00) for a signing time inside the certificate's validity."""
    cert = extra["expired"]
    inside = cert.not_valid_before_utc + timedelta(days=10)
    assert registry.answer(cert, country="AR", eh_id="001", at=inside).code == "00"


def test_matches_by_fingerprint_not_subject(
    federation: Federation, registry: Registry, signer_factory: SignerFactory
) -> None:
    """A look-alike with an official's exact name but another key is not registered (04)."""
    fake = signer_factory(issuer=federation.country("AR"), name=demo_official("AR"))
    assert registry.answer(fake, country="AR", eh_id="001", at=datetime.now(UTC)).code == "04"


def test_der_bytes_accepted(federation: Federation, registry: Registry) -> None:
    """A DER-encoded certificate is accepted as input."""
    der = federation.country("AR").official.certificate.public_bytes(serialization.Encoding.DER)
    assert registry.answer(der, country="AR", eh_id="001", at=datetime.now(UTC)).code == "00"


def test_from_file(federation: Federation) -> None:
    """The registry loads from trustlist.json."""
    registry = Registry.from_file(federation.trustlist_path)
    cert = federation.country("BR").official.certificate
    assert registry.answer(cert, country="BR", eh_id="001", at=datetime.now(UTC)).code == "00"
