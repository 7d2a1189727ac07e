"""A generated federation on disk: the operator's aggregate view, and each service's own home."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.x509.oid import NameOID

from singlewindow.errors import ConfigurationError
from singlewindow.pki.files import PrivateKey, read_certificate, read_crl, read_private_key
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
    read_home_trustlist,
)
from singlewindow.pki.signed import SignedTrustlist
from singlewindow.pki.trustlist import Trustlist

__all__ = [
    "ENTITY_ID",
    "TRUSTLIST_NAME",
    "CountryPKI",
    "Federation",
    "Identity",
    "IssuingCountry",
    "IssuingParty",
    "NodeHome",
    "ServiceHome",
]


@dataclass(frozen=True)
class Identity:
    """A named party with its certificate and private key, and where both live on disk."""

    name: str
    certificate: x509.Certificate
    private_key: PrivateKey
    cert_path: Path
    key_path: Path

    @classmethod
    def load(cls, *, cert_path: Path, name: str | None = None) -> Identity:
        """Load ``X.pem`` and its ``X.key``; the name defaults to the certificate's CN."""
        certificate = read_certificate(cert_path)
        key_path = cert_path.with_suffix(".key")
        if name is None:
            cn = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            name = str(cn[0].value) if cn else certificate.subject.rfc4514_string()
        return cls(
            name=name,
            certificate=certificate,
            private_key=read_private_key(key_path),
            cert_path=cert_path,
            key_path=key_path,
        )


class IssuingCountry(Protocol):
    """The signers a node uses to issue on behalf of its country's issuing entity."""

    @property
    def eh_id(self) -> str: ...
    @property
    def exporter(self) -> Identity: ...
    @property
    def official(self) -> Identity: ...


class IssuingParty(Protocol):
    """Where ``complete_and_sign`` finds the trust list and a country's signers."""

    @property
    def trustlist(self) -> Trustlist: ...
    def country(self, code: str) -> IssuingCountry: ...


@dataclass(frozen=True)
class CountryPKI:
    """One member country's material: root CA, CRL, node, exporter and the entity's officials."""

    code: str
    name: str
    directory: Path
    ca: Identity
    crl: x509.CertificateRevocationList
    crl_path: Path
    node: Identity
    exporter: Identity
    official: Identity
    revoked_official: Identity
    eh_id: str = ENTITY_ID

    @property
    def root_ca(self) -> x509.Certificate:
        """The country's root CA certificate (trust anchor)."""
        return self.ca.certificate

    @property
    def node_home(self) -> Path:
        """The directory the country's node is started with."""
        return self.directory / "node"


@dataclass(frozen=True)
class Federation:
    """The operator's aggregate view of a federation written by ``init_federation`` (all homes)."""

    directory: Path
    trustlist: Trustlist
    hub: Identity
    hub_ca: Identity
    operator: Identity
    countries_pki: dict[str, CountryPKI]

    @property
    def trust_dir(self) -> Path:
        """The directory of anchors and CRLs read by ``singlewindow verify --trust``."""
        return self.directory / "trust"

    @property
    def trustlist_path(self) -> Path:
        """Path of the signed ``trustlist.json``."""
        return self.directory / TRUSTLIST_NAME

    @property
    def hub_home(self) -> Path:
        """The directory the hub is started with."""
        return hub_home(self.directory)

    @property
    def countries(self) -> list[str]:
        """The member country codes, in trust-list order."""
        return list(self.countries_pki)

    def country(self, code: str) -> CountryPKI:
        """The material of one member country; an unknown code is a ConfigurationError."""
        try:
            return self.countries_pki[code]
        except KeyError:
            raise ConfigurationError(
                f"country {code!r} is not in the federation at {self.directory} ({', '.join(self.countries)})"
            ) from None

    @classmethod
    def load(cls, directory: Path) -> Federation:
        """Load a federation directory; missing or unreadable files are a ConfigurationError."""
        directory = Path(directory)
        trustlist = Trustlist.load(directory / TRUSTLIST_NAME)
        countries: dict[str, CountryPKI] = {}
        for code, entry in trustlist.countries.items():
            officials = entry.entities[ENTITY_ID].officials if ENTITY_ID in entry.entities else []
            names = {official.status: official.name for official in officials}
            entity_dir = entity_home(directory, code)
            ca_dir = ca_home(directory, code)
            countries[code] = CountryPKI(
                code=code,
                name=entry.name,
                directory=directory / code,
                ca=Identity.load(cert_path=ca_dir / "root-ca.pem"),
                crl=read_crl(ca_dir / "root-ca.crl"),
                crl_path=ca_dir / "root-ca.crl",
                node=Identity.load(cert_path=node_home(directory, code) / "node.pem"),
                exporter=Identity.load(cert_path=exporter_home(directory, code) / "exporter.pem"),
                official=Identity.load(
                    cert_path=entity_dir / "official-active.pem", name=names.get("active")
                ),
                revoked_official=Identity.load(
                    cert_path=entity_dir / "official-revoked.pem", name=names.get("revoked")
                ),
            )
        return cls(
            directory=directory,
            trustlist=trustlist,
            hub=Identity.load(cert_path=hub_home(directory) / "hub.pem"),
            hub_ca=Identity.load(cert_path=operator_home(directory) / "federation-ca.pem"),
            operator=Identity.load(cert_path=operator_home(directory) / "trustlist-signer.pem"),
            countries_pki=countries,
        )


@dataclass(frozen=True)
class ServiceHome:
    """What a hub or node process reads at start: its home directory, and nothing else."""

    path: Path
    identity: Identity
    operator: x509.Certificate
    signed: SignedTrustlist

    @property
    def trustlist(self) -> Trustlist:
        """The trust list in force when the home was read."""
        return self.signed.trustlist

    @staticmethod
    def _common(path: Path, stem: str) -> tuple[Identity, x509.Certificate, SignedTrustlist]:
        path = Path(path)
        if not (path / f"{stem}.key").is_file():
            raise ConfigurationError(f"{path} is not a {stem} home: {stem}.key is missing")
        return (
            Identity.load(cert_path=path / f"{stem}.pem"),
            read_certificate(path / OPERATOR_CERT),
            read_home_trustlist(path),
        )

    @classmethod
    def load_hub(cls, path: Path) -> ServiceHome:
        """Read a hub home."""
        identity, operator, signed = cls._common(path, "hub")
        return cls(path=Path(path), identity=identity, operator=operator, signed=signed)


@dataclass(frozen=True)
class NodeHome(ServiceHome):
    """A node's home: its key, the pinned operator, the trust list and, optionally, its issuers."""

    code: str = ""
    signer: Identity | None = None
    exporter_signer: Identity | None = None
    eh_id: str = ENTITY_ID

    @classmethod
    def load_node(cls, path: Path, *, country: str) -> NodeHome:
        """Read a node home; ``signer/`` (the entity's official and the exporter) is optional."""
        identity, operator, signed = cls._common(path, "node")
        signers = Path(path) / "signer"
        official = signers / "official.pem"
        exporter = signers / "exporter.pem"
        return cls(
            path=Path(path),
            identity=identity,
            operator=operator,
            signed=signed,
            code=country,
            signer=Identity.load(cert_path=official) if official.is_file() else None,
            exporter_signer=Identity.load(cert_path=exporter) if exporter.is_file() else None,
        )

    # -- what ``complete_and_sign`` and the routes use (IssuingParty / IssuingCountry) ---------------
    def country(self, code: str) -> NodeHome:
        """This node's own country; any other is a ConfigurationError (it holds no one else's keys)."""
        if code != self.code:
            raise ConfigurationError(f"the node of {self.code} holds no material of {code}")
        return self

    @property
    def node(self) -> Identity:
        """The node's own transport and receipt key."""
        return self.identity

    @property
    def official(self) -> Identity:
        """The issuing entity's official this node signs with (integration mode only)."""
        if self.signer is None:
            raise ConfigurationError(
                f"the node of {self.code} holds no issuing entity's signer ({self.path}/signer/official.pem)"
            )
        return self.signer

    @property
    def exporter(self) -> Identity:
        """The exporter's signer this node signs stage-1 requests with (integration mode only)."""
        if self.exporter_signer is None:
            raise ConfigurationError(
                f"the node of {self.code} holds no exporter's signer ({self.path}/signer/exporter.pem)"
            )
        return self.exporter_signer
