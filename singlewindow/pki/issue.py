"""Issuing a demo federation PKI on disk (``singlewindow pki init``), in the layout of ARCHITECTURE.md."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from singlewindow.cod.samples import demo_exporter, demo_issuing_entity, demo_official
from singlewindow.pki.certificates import build_crl, issue_leaf, issue_root_ca
from singlewindow.pki.countries import ALADI_COUNTRIES, check_country_codes
from singlewindow.pki.federation import ENTITY_ID, TRUSTLIST_NAME, Federation
from singlewindow.pki.files import (
    Algorithm,
    PrivateKey,
    certificate_pem,
    crl_pem,
    generate_key,
    make_private_dir,
    write_certificate,
    write_crl,
    write_private_key,
)
from singlewindow.pki.roles import Role
from singlewindow.pki.trustlist import CountryEntry, Entity, HubEntry, Official, Trustlist

__all__ = ["build_crl", "init_federation", "issue_leaf", "issue_root_ca"]

#: CAs live 10 years, back-dated so that older documents (and expired-signer tests) still chain.
CA_BACKDATE = timedelta(days=730)
CA_LIFETIME = timedelta(days=3650)
#: Leaves start a year in the past and reach two years ahead: a demo federation generated today
#: still verifies the documents (and the README's example) dated up to a year back.
LEAF_BACKDATE = timedelta(days=365)
LEAF_LIFETIME = timedelta(days=365 + 730)
#: The revoked official lost their certificate this long before ``now``.
REVOCATION_AGE = timedelta(days=5)
CRL_LIFETIME = timedelta(days=365)


def _save(directory: Path, stem: str, certificate: x509.Certificate, key: PrivateKey) -> None:
    write_certificate(directory / f"{stem}.pem", certificate)
    write_private_key(directory / f"{stem}.key", key)


def _is_federation(directory: Path) -> bool:
    return (directory / TRUSTLIST_NAME).exists()


def remove_federation(directory: Path) -> None:
    """Delete what ``init_federation`` wrote in ``directory`` (and nothing else)."""
    (directory / TRUSTLIST_NAME).unlink(missing_ok=True)
    for name in ("trust", "hub"):
        shutil.rmtree(directory / name, ignore_errors=True)
    for code in ALADI_COUNTRIES:
        if (directory / code / "root-ca.pem").exists():
            shutil.rmtree(directory / code)


@dataclass(frozen=True)
class _CountryCA:
    certificate: x509.Certificate
    key: PrivateKey
    code: str
    crl_uri: str
    now: datetime


def _leaf(
    *,
    ca: _CountryCA,
    key: PrivateKey,
    name: str,
    serial: str,
    organization: str,
    role: Role,
    service: bool = False,
    dns_names: Sequence[str] = (),
) -> x509.Certificate:
    start = ca.now - LEAF_BACKDATE
    return issue_leaf(
        public_key=key.public_key(),
        issuer_key=ca.key,
        issuer_certificate=ca.certificate,
        common_name=name,
        subject_serial=serial,
        country=ca.code,
        organization=organization,
        not_before=start,
        not_after=start + LEAF_LIFETIME,
        crl_uri=ca.crl_uri,
        profile="service" if service else "signer",
        dns_names=dns_names,
        roles=(role,),
    )


def _init_country(directory: Path, *, code: str, algorithm: Algorithm, now: datetime) -> CountryEntry:
    country_name = ALADI_COUNTRIES[code]
    base = make_private_dir(directory / code)
    entity_dir = make_private_dir(base / "entities" / ENTITY_ID)
    crl_path = base / "root-ca.crl"
    crl_uri = crl_path.resolve().as_uri()
    ca_key = generate_key(algorithm=algorithm)
    ca = issue_root_ca(
        key=ca_key,
        country=code,
        organization=f"Autoridad Certificante {country_name}",
        not_before=now - CA_BACKDATE,
        not_after=now - CA_BACKDATE + CA_LIFETIME,
    )
    _save(base, "root-ca", ca, ca_key)
    common = _CountryCA(certificate=ca, key=ca_key, code=code, crl_uri=crl_uri, now=now)

    node_key = generate_key(algorithm=algorithm)
    node = _leaf(
        key=node_key,
        name=f"singlewindow node {code}",
        serial=f"{code}-NODE",
        organization=f"Ventanilla Única {country_name}",
        role=Role.NODE,
        service=True,
        dns_names=("localhost", f"node-{code.lower()}"),
        ca=common,
    )
    _save(base, "node", node, node_key)
    exporter_key = generate_key(algorithm=algorithm)
    # subject O = the exporter's business name and C = the country, as the demo COD names it
    exporter_name = demo_exporter(code)
    exporter = _leaf(
        key=exporter_key,
        name=exporter_name,
        serial=f"{code}-EXP-0001",
        organization=exporter_name,
        role=Role.EXPORTER,
        ca=common,
    )
    _save(base, "exporter", exporter, exporter_key)

    entity_name = demo_issuing_entity(code)
    officials: list[Official] = []
    revoked_at = now - REVOCATION_AGE
    revoked_serials: list[tuple[int, datetime]] = []
    for stem, person, status in (
        ("official-active", demo_official(code, status="active"), "active"),
        ("official-revoked", demo_official(code, status="revoked"), "revoked"),
    ):
        key = generate_key(algorithm=algorithm)
        cert = _leaf(
            key=key,
            name=person,
            serial=f"{code}-{ENTITY_ID}-{len(officials) + 1:04d}",
            organization=entity_name,
            role=Role.OFFICIAL,
            ca=common,
        )
        _save(entity_dir, stem, cert, key)
        officials.append(
            Official(
                name=person,
                certificate=certificate_pem(cert),
                status="revoked" if status == "revoked" else "active",
                enabled=True,
                role="official",
                revoked_at=revoked_at if status == "revoked" else None,
            )
        )
        if status == "revoked":
            revoked_serials.append((cert.serial_number, revoked_at))

    crl = build_crl(
        issuer_certificate=ca,
        issuer_key=ca_key,
        last_update=now - timedelta(hours=1),
        next_update=now + CRL_LIFETIME,
        revoked=revoked_serials,
    )
    write_crl(crl_path, crl)
    write_certificate(directory / "trust" / f"{code}-root-ca.pem", ca)
    write_crl(directory / "trust" / f"{code}-root-ca.crl", crl)
    return CountryEntry(
        name=country_name,
        node_url=None,
        node_certificate=certificate_pem(node),
        root_cas=[certificate_pem(ca)],
        crls=[crl_pem(crl)],
        accepts=["COD"],
        entities={ENTITY_ID: Entity(name=entity_name, officials=officials)},
    )


def _init_hub(directory: Path, *, algorithm: Algorithm, now: datetime) -> x509.Certificate:
    hub_dir = make_private_dir(directory / "hub")
    ca_key = generate_key(algorithm=algorithm)
    ca = issue_root_ca(
        key=ca_key,
        country=None,
        organization="singlewindow federation",
        common_name="singlewindow Federation CA",
        not_before=now - CA_BACKDATE,
        not_after=now - CA_BACKDATE + CA_LIFETIME,
    )
    _save(hub_dir, "federation-ca", ca, ca_key)
    hub_key = generate_key(algorithm=algorithm)
    start = now - LEAF_BACKDATE
    hub = issue_leaf(
        public_key=hub_key.public_key(),
        issuer_key=ca_key,
        issuer_certificate=ca,
        common_name="singlewindow hub",
        country=None,
        organization="singlewindow federation",
        subject_serial="HUB",
        not_before=start,
        not_after=start + LEAF_LIFETIME,
        profile="service",
        dns_names=("localhost", "hub"),
        roles=(Role.HUB,),
    )
    _save(hub_dir, "hub", hub, hub_key)
    return hub


def init_federation(
    directory: Path,
    *,
    countries: Sequence[str],
    algorithm: Algorithm = "rsa",
    now: datetime | None = None,
    overwrite: bool = False,
) -> Federation:
    """Generate a demo federation in ``directory`` and return it loaded.

    Raises ValueError for invalid country codes and FileExistsError when ``directory`` already
    holds a federation (unless ``overwrite``, which first removes the old federation's files).
    """
    codes = check_country_codes(countries)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    directory = Path(directory)
    if _is_federation(directory):
        if not overwrite:
            raise FileExistsError(f"{directory} already holds a federation ({TRUSTLIST_NAME} exists)")
        remove_federation(directory)
    make_private_dir(directory)
    make_private_dir(directory / "trust")
    hub = _init_hub(directory, algorithm=algorithm, now=now)
    entries = {code: _init_country(directory, code=code, algorithm=algorithm, now=now) for code in codes}
    trustlist = Trustlist(issued_at=now, hub=HubEntry(certificate=certificate_pem(hub)), countries=entries)
    trustlist.save(directory / TRUSTLIST_NAME)
    return Federation.load(directory)
