"""Tests of demo federation issuance: layout, file modes, certificate profiles, algorithms."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from singlewindow.pki import Federation, TrustStore, init_federation

COUNTRY_FILES = [
    "ca/root-ca.pem",
    "ca/root-ca.key",
    "ca/root-ca.crl",
    "node/node.pem",
    "node/node.key",
    "node/operator.pem",
    "node/trustlist.json",
    "exporter/exporter.pem",
    "exporter/exporter.key",
    "entities/001/official-active.pem",
    "entities/001/official-active.key",
    "entities/001/official-revoked.pem",
    "entities/001/official-revoked.key",
]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("country", ["AR", "BR", "UY"])
@pytest.mark.parametrize("name", COUNTRY_FILES)
def test_country_layout(federation: Federation, country: str, name: str) -> None:
    """Every country holds its CA, node, exporter and entity homes, keys readable by the owner only."""
    path = federation.directory / country / name
    assert path.is_file()
    if path.suffix == ".key":
        assert _mode(path) == 0o600


@pytest.mark.parametrize(
    "name",
    [
        "trustlist.json",
        "hub/hub.pem",
        "hub/hub.key",
        "hub/operator.pem",
        "hub/trustlist.json",
        "operator/federation-ca.key",
        "operator/trustlist-signer.key",
        "trust/AR-root-ca.pem",
        "trust/UY-root-ca.crl",
    ],
)
def test_federation_layout(federation: Federation, name: str) -> None:
    """The signed trust list, the operator's and the hub's homes and the trust directory exist."""
    assert (federation.directory / name).is_file()


def test_directories_are_private(federation: Federation) -> None:
    """Every directory of the federation is mode 0700."""
    directories = [federation.directory, *(p for p in federation.directory.rglob("*") if p.is_dir())]
    assert {_mode(path) for path in directories} == {0o700}


def test_trust_dir_holds_only_country_anchors(federation: Federation) -> None:
    """The trust directory holds one root CA and one CRL per country, nothing private."""
    names = sorted(path.name for path in federation.trust_dir.iterdir())
    expected = sorted(f"{c}-root-ca.{ext}" for c in ("AR", "BR", "UY") for ext in ("pem", "crl"))
    assert names == expected


def test_root_ca_profile(federation: Federation) -> None:
    """A root CA names its country, is a critical CA and may sign certificates and CRLs."""
    ca = federation.country("BR").root_ca
    assert ca.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "BR"
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "BR Root CA"
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days == 3650


def test_official_profile(federation: Federation) -> None:
    """An official's certificate is a v3 non-CA signer with the extensions ALADI lists, valid 2 years."""
    country = federation.country("AR")
    cert = country.official.certificate
    assert cert.version == x509.Version.v3
    assert cert.issuer == country.root_ca.subject
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    for extension in (
        x509.SubjectKeyIdentifier,
        x509.AuthorityKeyIdentifier,
        x509.CRLDistributionPoints,
        x509.CertificatePolicies,
    ):
        cert.extensions.get_extension_for_class(extension)
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 365 + 730
    assert isinstance(cert.public_key(), rsa.RSAPublicKey)
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]


def test_crl_lists_only_the_revoked_official(federation: Federation) -> None:
    """Each country's CRL is signed by its CA and lists the revoked official, not the active one."""
    country = federation.country("UY")
    assert country.crl.is_signature_valid(country.root_ca.public_key())  # type: ignore[arg-type]
    revoked = country.crl.get_revoked_certificate_by_serial_number
    assert revoked(country.revoked_official.certificate.serial_number) is not None
    assert revoked(country.official.certificate.serial_number) is None


def test_load_round_trip(federation: Federation) -> None:
    """Loading the directory again yields the same certificates."""
    again = Federation.load(federation.directory)
    assert again.countries == ["AR", "BR", "UY"]
    assert again.country("AR").official.certificate == federation.country("AR").official.certificate
    assert again.hub.certificate == federation.hub.certificate


def test_refuses_to_overwrite(federation: Federation) -> None:
    """Initialising over an existing federation fails unless overwrite is asked for."""
    with pytest.raises(FileExistsError):
        init_federation(federation.directory, countries=["AR"])


def test_overwrite_replaces_old_countries(tmp_path: Path) -> None:
    """Overwriting removes the previous federation's countries, so no stale anchor stays trusted."""
    init_federation(tmp_path, countries=["AR", "BR"])
    again = init_federation(tmp_path, countries=["UY"], overwrite=True)
    assert again.countries == ["UY"]
    assert not (tmp_path / "AR").exists()
    assert sorted(p.name for p in again.trust_dir.iterdir()) == ["UY-root-ca.crl", "UY-root-ca.pem"]


@pytest.mark.parametrize("codes", [["XX"], ["ar"], ["AR", "AR"], []])
def test_rejects_bad_countries(tmp_path: Path, codes: list[str]) -> None:
    """Unknown, lowercase, duplicate or missing country codes are refused before anything is written."""
    with pytest.raises(ValueError):
        init_federation(tmp_path / "f", countries=codes)
    assert not (tmp_path / "f").exists()


def test_ec_federation_validates(tmp_path: Path) -> None:
    """An EC P-256 federation issues EC keys and its official validates against its trust directory."""
    federation = init_federation(tmp_path, countries=["PY"], algorithm="ec")
    country = federation.country("PY")
    key = country.official.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    store = TrustStore.from_dir(federation.trust_dir)
    result = store.validate(country.official.certificate, at=federation.trustlist.issued_at, country="PY")
    assert result.ok, result.problems
