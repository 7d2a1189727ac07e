"""Issuing a demo federation on disk (``singlewindow pki init``): one home per party (see ``homes``)."""

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
from singlewindow.pki.federation import Federation
from singlewindow.pki.files import (
    Algorithm,
    PrivateKey,
    certificate_pem,
    crl_pem,
    generate_key,
    make_private_dir,
    read_certificate,
    read_private_key,
    write_certificate,
    write_crl,
    write_private_key,
)
from singlewindow.pki.homes import (
    ENTITY_ID,
    OPERATOR_CERT,
    TRUSTLIST_NAME,
    ca_home,
    entity_home,
    exporter_home,
    hub_home,
    node_home,
    operator_home,
    write_home_trustlist,
)
from singlewindow.pki.roles import Role
from singlewindow.pki.signed import SignedTrustlist, next_version, sign_trustlist, verify_trustlist
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
#: where the hub publishes CRLs by default (the CRL distribution point of every issued certificate)
DEFAULT_HUB_URL = "http://localhost:8000"
#: the hub's and nodes' own keys (requests, deliveries, pushes, receipts): ECDSA P-256
TRANSPORT_ALGORITHM: Algorithm = "ec"


def crl_url(hub_url: str, country: str) -> str:
    """The CRL distribution point of ``country``'s certificates: the hub's ``/api/v1/crls/{CC}``."""
    return f"{hub_url.rstrip('/')}/api/v1/crls/{country}"


def _save(directory: Path, stem: str, certificate: x509.Certificate, key: PrivateKey) -> None:
    write_certificate(directory / f"{stem}.pem", certificate)
    write_private_key(directory / f"{stem}.key", key)


def _is_federation(directory: Path) -> bool:
    return (directory / TRUSTLIST_NAME).exists()


def remove_federation(directory: Path) -> None:
    """Delete what ``init_federation`` wrote in ``directory`` (and nothing else)."""
    (directory / TRUSTLIST_NAME).unlink(missing_ok=True)
    for name in ("trust", "hub", "operator"):
        shutil.rmtree(directory / name, ignore_errors=True)
    for code in ALADI_COUNTRIES:
        if (ca_home(directory, code) / "root-ca.pem").exists():
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


def load_country_ca(directory: Path, code: str, *, hub_url: str, now: datetime) -> _CountryCA:
    """Country ``code``'s CA as the operator's tools use it (governance: revoke, rotate-key)."""
    home = ca_home(directory, code)
    return _CountryCA(
        certificate=read_certificate(home / "root-ca.pem"),
        key=read_private_key(home / "root-ca.key"),
        code=code,
        crl_uri=crl_url(hub_url, code),
        now=now,
    )


def issue_node(ca: _CountryCA, *, algorithm: Algorithm, directory: Path) -> x509.Certificate:
    """A (new) node key and certificate for country ``ca.code``, written into its node home."""
    code = ca.code
    key = generate_key(algorithm=algorithm)
    node = _leaf(
        key=key,
        name=f"singlewindow node {code}",
        serial=f"{code}-NODE",
        organization=f"Ventanilla Única {ALADI_COUNTRIES[code]}",
        role=Role.NODE,
        service=True,
        dns_names=("localhost", f"node-{code.lower()}"),
        ca=ca,
    )
    _save(make_private_dir(node_home(directory, code)), "node", node, key)
    return node


def _init_country(
    directory: Path,
    *,
    code: str,
    algorithm: Algorithm,
    transport_algorithm: Algorithm,
    now: datetime,
    hub_url: str,
    node_signers: bool,
) -> CountryEntry:
    country_name = ALADI_COUNTRIES[code]
    make_private_dir(directory / code)
    ca_dir = make_private_dir(ca_home(directory, code))
    entity_dir = make_private_dir(entity_home(directory, code))
    exporter_dir = make_private_dir(exporter_home(directory, code))
    ca_key = generate_key(algorithm=algorithm)
    ca = issue_root_ca(
        key=ca_key,
        country=code,
        organization=f"Autoridad Certificante {country_name}",
        not_before=now - CA_BACKDATE,
        not_after=now - CA_BACKDATE + CA_LIFETIME,
    )
    _save(ca_dir, "root-ca", ca, ca_key)
    common = _CountryCA(certificate=ca, key=ca_key, code=code, crl_uri=crl_url(hub_url, code), now=now)
    node = issue_node(common, algorithm=transport_algorithm, directory=directory)

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
    _save(exporter_dir, "exporter", exporter, exporter_key)

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
    write_crl(ca_dir / "root-ca.crl", crl)
    if node_signers:
        give_node_signers(directory, code)
    return CountryEntry(
        name=country_name,
        node_url=None,
        node_certificate=certificate_pem(node),
        root_cas=[certificate_pem(ca)],
        crls=[crl_pem(crl)],
        accepts=["COD"],
        entities={ENTITY_ID: Entity(name=entity_name, officials=officials)},
    )


def give_node_signers(directory: Path, code: str) -> None:
    """Integration mode: copy the entity's active official and the exporter into the node's home.

    Only this country's own issuing entity and exporter, never another country's material.
    """
    signers = make_private_dir(node_home(directory, code) / "signer")
    for source, stem in (
        (entity_home(directory, code) / "official-active", "official"),
        (exporter_home(directory, code) / "exporter", "exporter"),
    ):
        write_certificate(signers / f"{stem}.pem", read_certificate(source.with_suffix(".pem")))
        write_private_key(signers / f"{stem}.key", read_private_key(source.with_suffix(".key")))


def _init_operator(
    directory: Path, *, algorithm: Algorithm, now: datetime
) -> tuple[x509.Certificate, PrivateKey]:
    """The federation CA and the trust-list signing key (operator role), in the operator's home."""
    home = make_private_dir(operator_home(directory))
    ca_key = generate_key(algorithm=algorithm)
    ca = issue_root_ca(
        key=ca_key,
        country=None,
        organization="singlewindow federation",
        common_name="singlewindow Federation CA",
        not_before=now - CA_BACKDATE,
        not_after=now - CA_BACKDATE + CA_LIFETIME,
    )
    _save(home, "federation-ca", ca, ca_key)
    signer_key = generate_key(algorithm=algorithm)
    start = now - LEAF_BACKDATE
    signer = issue_leaf(
        public_key=signer_key.public_key(),
        issuer_key=ca_key,
        issuer_certificate=ca,
        common_name="singlewindow trust list",
        country=None,
        organization="singlewindow federation",
        subject_serial="OPERATOR",
        not_before=start,
        not_after=start + LEAF_LIFETIME,
        roles=(Role.OPERATOR,),
    )
    _save(home, "trustlist-signer", signer, signer_key)
    return ca, ca_key


def _init_hub(
    directory: Path, *, ca: x509.Certificate, ca_key: PrivateKey, algorithm: Algorithm, now: datetime
) -> x509.Certificate:
    home = make_private_dir(hub_home(directory))
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
    _save(home, "hub", hub, hub_key)
    return hub


def service_homes(directory: Path, trustlist: Trustlist) -> list[Path]:
    """The hub's and every node's home."""
    return [hub_home(directory), *(node_home(directory, code) for code in trustlist.countries)]


def _pin_operator(directory: Path, home: Path) -> None:
    write_certificate(
        home / OPERATOR_CERT, read_certificate(operator_home(directory) / "trustlist-signer.pem")
    )


def publish(directory: Path, trustlist: Trustlist, *, homes: Sequence[Path] = ()) -> SignedTrustlist:
    """Sign ``trustlist`` with the operator's key; write it, and the public anchors/CRLs, under ``directory``.

    ``homes`` also receive it as their last good copy (a service home not yet started, or the
    operator deploying it); running services get it from the hub.
    """
    home = operator_home(directory)
    certificate = read_certificate(home / "trustlist-signer.pem")
    data = sign_trustlist(
        trustlist=trustlist, key=read_private_key(home / "trustlist-signer.key"), certificate=certificate
    )
    signed = verify_trustlist(data, operator=certificate)
    (directory / TRUSTLIST_NAME).write_bytes(data)
    trust = make_private_dir(directory / "trust")
    for stale in trust.iterdir():
        stale.unlink()
    for code, entry in trustlist.countries.items():
        for pem in entry.root_cas[:1]:
            (trust / f"{code}-root-ca.pem").write_text(pem, encoding="ascii")
        for pem in entry.crls[:1]:
            (trust / f"{code}-root-ca.crl").write_text(pem, encoding="ascii")
    for target in homes:
        if target.is_dir():
            _pin_operator(directory, target)
            write_home_trustlist(target, signed)
    return signed


def init_federation(
    directory: Path,
    *,
    countries: Sequence[str],
    algorithm: Algorithm = "rsa",
    transport_algorithm: Algorithm = TRANSPORT_ALGORITHM,
    now: datetime | None = None,
    overwrite: bool = False,
    hub_url: str = DEFAULT_HUB_URL,
    node_signers: bool = True,
) -> Federation:
    """Generate a demo federation in ``directory`` (one home per party) and return the operator's view.

    ``algorithm``: the keys that sign documents, certificates and the trust list (RSA 2048 by
    default, as ALADI's CODs are signed); ``transport_algorithm``: the hub's and nodes' own keys,
    which sign every request, delivery, push and receipt (ECDSA P-256 by default: a signature costs
    ≈ 0.04 ms against 0.3–0.8 ms with RSA 2048, docs/PERFORMANCE.md).

    ``hub_url`` names the hub in the CRL distribution points; ``node_signers`` gives each node its
    own country's entity official and exporter (integration mode). Raises ValueError for invalid
    country codes and FileExistsError when ``directory`` already holds a federation (unless
    ``overwrite``, which first removes the old federation's files).
    """
    codes = check_country_codes(countries)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    directory = Path(directory)
    if _is_federation(directory):
        if not overwrite:
            raise FileExistsError(f"{directory} already holds a federation ({TRUSTLIST_NAME} exists)")
        remove_federation(directory)
    make_private_dir(directory)
    ca, ca_key = _init_operator(directory, algorithm=algorithm, now=now)
    hub = _init_hub(directory, ca=ca, ca_key=ca_key, algorithm=transport_algorithm, now=now)
    entries = {
        code: _init_country(
            directory,
            code=code,
            algorithm=algorithm,
            transport_algorithm=transport_algorithm,
            now=now,
            hub_url=hub_url,
            node_signers=node_signers,
        )
        for code in codes
    }
    trustlist = next_version(
        Trustlist(issued_at=now, hub=HubEntry(certificate=certificate_pem(hub)), countries=entries), now=now
    )
    publish(directory, trustlist, homes=service_homes(directory, trustlist))
    return Federation.load(directory)
