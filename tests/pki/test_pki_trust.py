"""Tests of chain validation at the signing time: anchors, country, validity, CRLs and the cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from singlewindow.cod.samples import demo_official
from singlewindow.errors import ConfigurationError
from singlewindow.pki import Federation, TrustStore, build_crl, generate_key, issue_leaf, issue_root_ca

SignerFactory = Callable[..., x509.Certificate]


@pytest.fixture(scope="module")
def store(federation: Federation) -> TrustStore:
    """The trust store read from the federation's trust directory."""
    return TrustStore.from_dir(federation.trust_dir)


def _codes(store: TrustStore, cert: x509.Certificate, *, at: datetime, country: str) -> list[str]:
    return [p.code for p in store.validate(cert, at=at, country=country).problems]


def _revoked_at(federation: Federation, code: str) -> datetime:
    country = federation.country(code)
    entry = country.crl.get_revoked_certificate_by_serial_number(
        country.revoked_official.certificate.serial_number
    )
    assert entry is not None
    return entry.revocation_date_utc


@pytest.mark.parametrize("role", ["official", "exporter", "node"])
@pytest.mark.parametrize("country", ["AR", "BR", "UY"])
def test_valid_signers(
    store: TrustStore, federation: Federation, role: str, country: str, now: datetime
) -> None:
    """Each country's official, exporter and node certificates chain to that country's root CA."""
    pki = federation.country(country)
    result = store.validate(getattr(pki, role).certificate, at=now, country=country)
    assert result.ok, result.problems
    assert result.anchor == pki.root_ca


@pytest.mark.parametrize(("signer", "claimed"), [("AR", "BR"), ("BR", "UY"), ("UY", "AR")])
def test_other_country_ca_is_wrong_country(
    store: TrustStore, federation: Federation, signer: str, claimed: str, now: datetime
) -> None:
    """A certificate from another member's CA is reported as wrong_country, not as untrusted."""
    cert = federation.country(signer).official.certificate
    assert _codes(store, cert, at=now, country=claimed) == ["chain.wrong_country"]


def test_self_signed_look_alike_is_untrusted(
    store: TrustStore, federation: Federation, signer_factory: SignerFactory, now: datetime
) -> None:
    """A self-signed certificate copying an official's subject, with its own key, does not chain."""
    official = federation.country("AR").official.certificate
    fake = signer_factory(issuer=None, name=demo_official("AR"))
    assert fake.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME) == (
        official.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    )
    assert _codes(store, fake, at=now, country="AR") == ["chain.untrusted"]


def test_look_alike_ca_is_untrusted(store: TrustStore, now: datetime, signer_factory: SignerFactory) -> None:
    """A leaf issued by a forged CA with the real CA's name (but another key) is untrusted."""
    key = generate_key()
    forged_ca = issue_root_ca(
        key=key,
        country="AR",
        organization="Autoridad Certificante Argentina",
        not_before=now - timedelta(days=10),
        not_after=now + timedelta(days=100),
    )
    fake = signer_factory(issuer=None)
    leaf = issue_leaf(
        public_key=generate_key().public_key(),
        issuer_key=key,
        issuer_certificate=forged_ca,
        common_name=demo_official("AR"),
        country="AR",
        organization="x",
        not_before=fake.not_valid_before_utc,
        not_after=fake.not_valid_after_utc,
    )
    assert _codes(store, leaf, at=now, country="AR") == ["chain.untrusted"]


def test_expired_official(store: TrustStore, federation: Federation, signer_factory: SignerFactory) -> None:
    """An expired certificate fails at a signing time after expiry and passes at one inside its validity."""
    start = datetime.now(UTC) - timedelta(days=400)
    expired = signer_factory(issuer=federation.country("BR"), country="BR", start=start, days=100)
    after = start + timedelta(days=200)
    inside = start + timedelta(days=50)
    assert _codes(store, expired, at=after, country="BR") == ["chain.not_valid_at_signing_time"]
    assert _codes(store, expired, at=inside, country="BR") == []


def test_not_yet_valid(store: TrustStore, federation: Federation, now: datetime) -> None:
    """A signing time before the certificate's notBefore is not valid at signing time."""
    cert = federation.country("AR").official.certificate
    early = cert.not_valid_before_utc - timedelta(days=1)
    assert _codes(store, cert, at=early, country="AR") == ["chain.not_valid_at_signing_time"]


@pytest.mark.parametrize("country", ["AR", "UY"])
def test_revocation_judged_at_signing_time(store: TrustStore, federation: Federation, country: str) -> None:
    """The revoked official is revoked after revocation_date, at it, and not revoked just before it."""
    cert = federation.country(country).revoked_official.certificate
    revoked_at = _revoked_at(federation, country)
    assert _codes(store, cert, at=revoked_at - timedelta(days=1), country=country) == []
    assert _codes(store, cert, at=revoked_at - timedelta(seconds=1), country=country) == []
    assert _codes(store, cert, at=revoked_at, country=country) == ["chain.revoked"]
    assert _codes(store, cert, at=revoked_at + timedelta(days=1), country=country) == ["chain.revoked"]


def test_cache_not_reused_across_revocation(federation: Federation) -> None:
    """A cached 'valid' answer before revocation is not reused for a signing time after it, and vice versa."""
    store = TrustStore.from_dir(federation.trust_dir)
    cert = federation.country("BR").revoked_official.certificate
    revoked_at = _revoked_at(federation, "BR")
    before = [revoked_at - timedelta(hours=h) for h in (1, 2, 3)]
    after = [revoked_at + timedelta(hours=h) for h in (1, 2, 3)]
    for at in before:
        assert store.validate(cert, at=at, country="BR").ok
    for at in after:
        assert not store.validate(cert, at=at, country="BR").ok
    assert store.validate(cert, at=before[0], country="BR").ok
    assert (store.stats.misses, store.stats.hits) == (2, 5)


def test_cache_hits_for_same_signer(federation: Federation, now: datetime) -> None:
    """Thousands of documents by one signer cost one chain validation."""
    store = TrustStore.from_dir(federation.trust_dir)
    cert = federation.country("AR").official.certificate
    for second in range(1000):
        assert store.validate(cert, at=now - timedelta(seconds=second), country="AR").ok
    assert store.stats.misses == 1
    assert store.stats.hits == 999


def test_cached_problems_cannot_be_poisoned(federation: Federation, now: datetime) -> None:
    """Mutating a returned problems list does not change later cached answers."""
    store = TrustStore.from_dir(federation.trust_dir)
    cert = federation.country("AR").revoked_official.certificate
    store.validate(cert, at=now, country="AR").problems.clear()
    assert not store.validate(cert, at=now, country="AR").ok


def test_crl_signed_by_wrong_key_is_rejected(federation: Federation, now: datetime) -> None:
    """A CRL naming the CA but signed by another key is ignored: the CA then has no CRL."""
    pki = federation.country("AR")
    forged = build_crl(
        issuer_certificate=pki.root_ca,
        issuer_key=generate_key(),
        last_update=now,
        next_update=now + timedelta(days=30),
    )
    store = TrustStore(anchors=[pki.root_ca], crls=[forged])
    problems = store.validate(pki.official.certificate, at=now, country="AR").problems
    assert [p.code for p in problems] == ["chain.crl_unavailable"]
    assert "invalid signature" in problems[0].message


def test_forged_newer_crl_cannot_unrevoke(federation: Federation, now: datetime) -> None:
    """A newer CRL signed by the wrong key does not hide a revocation in the genuine CRL."""
    pki = federation.country("AR")
    forged = build_crl(
        issuer_certificate=pki.root_ca,
        issuer_key=generate_key(),
        last_update=now + timedelta(hours=1),
        next_update=now + timedelta(days=30),
    )
    store = TrustStore(anchors=[pki.root_ca], crls=[pki.crl, forged])
    assert _codes(store, pki.revoked_official.certificate, at=now, country="AR") == ["chain.revoked"]


def test_missing_crl_is_reported(federation: Federation, now: datetime) -> None:
    """Without any CRL of the issuing CA, the chain is reported crl_unavailable."""
    pki = federation.country("UY")
    store = TrustStore(anchors=[pki.root_ca])
    assert _codes(store, pki.official.certificate, at=now, country="UY") == ["chain.crl_unavailable"]


@pytest.mark.parametrize("role", ["root_ca"])
def test_ca_as_signer_is_invalid(store: TrustStore, federation: Federation, role: str, now: datetime) -> None:
    """A CA certificate presented as a document signer is certificate_invalid."""
    cert = getattr(federation.country("AR"), role)
    assert _codes(store, cert, at=now, country="AR") == ["chain.certificate_invalid"]


def test_from_trustlist_matches_dir(federation: Federation, now: datetime) -> None:
    """A store built from the trust list judges like one built from the trust directory."""
    store = TrustStore.from_trustlist(federation.trustlist)
    assert store.validate(federation.country("BR").official.certificate, at=now, country="BR").ok
    revoked = federation.country("BR").revoked_official.certificate
    assert _codes(store, revoked, at=now, country="BR") == ["chain.revoked"]


def test_from_dir_reads_der(tmp_path: Path, federation: Federation, now: datetime) -> None:
    """Anchors as DER ``.crt`` and CRLs as DER ``.crl`` are read too."""
    pki = federation.country("AR")
    (tmp_path / "ar.crt").write_bytes(pki.root_ca.public_bytes(serialization.Encoding.DER))
    (tmp_path / "ar.crl").write_bytes(pki.crl.public_bytes(serialization.Encoding.DER))
    store = TrustStore.from_dir(tmp_path)
    assert _codes(store, pki.revoked_official.certificate, at=now, country="AR") == ["chain.revoked"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "does not exist"),
        ({}, "holds no trust anchors"),
        ({"only.crl": b"x"}, "holds no trust anchors"),
        ({"bad.pem": b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"}, "bad.pem"),
        ({"bad.crt": b"\x00\x01"}, "not a PEM or DER certificate"),
    ],
)
def test_from_dir_errors(tmp_path: Path, files: dict[str, bytes] | None, message: str) -> None:
    """A missing, empty or unreadable trust directory is a ConfigurationError that says why."""
    directory = tmp_path / "trust"
    if files is not None:
        directory.mkdir()
        for name, data in files.items():
            (directory / name).write_bytes(data)
    with pytest.raises(ConfigurationError, match=message):
        TrustStore.from_dir(directory)


def test_from_dir_rejects_bad_crl(tmp_path: Path, federation: Federation) -> None:
    """An unreadable CRL file is a ConfigurationError naming the file."""
    (tmp_path / "ca.pem").write_bytes(
        federation.country("AR").root_ca.public_bytes(serialization.Encoding.PEM)
    )
    (tmp_path / "broken.crl").write_bytes(b"garbage")
    with pytest.raises(ConfigurationError, match=r"broken\.crl"):
        TrustStore.from_dir(tmp_path)


def test_from_dir_rejects_leaf_anchor(tmp_path: Path, federation: Federation) -> None:
    """A non-CA certificate in the trust directory is refused as an anchor."""
    leaf = federation.country("AR").official.certificate
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(ConfigurationError, match="not a CA certificate"):
        TrustStore.from_dir(tmp_path)
