"""A generated federation on disk: loading its identities, CAs and CRLs by country."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from singlewindow.errors import ConfigurationError
from singlewindow.pki.files import PrivateKey, read_certificate, read_crl, read_private_key
from singlewindow.pki.trustlist import Trustlist

TRUSTLIST_NAME = "trustlist.json"
ENTITY_ID = "001"


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


@dataclass(frozen=True)
class Federation:
    """A federation written by ``init_federation``: trust list, trust directory, hub and countries."""

    directory: Path
    trustlist: Trustlist
    hub: Identity
    hub_ca: Identity
    countries_pki: dict[str, CountryPKI]

    @property
    def trust_dir(self) -> Path:
        """The directory of anchors and CRLs read by ``singlewindow verify --trust``."""
        return self.directory / "trust"

    @property
    def trustlist_path(self) -> Path:
        """Path of ``trustlist.json``."""
        return self.directory / TRUSTLIST_NAME

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
            base = directory / code
            officials = entry.entities[ENTITY_ID].officials if ENTITY_ID in entry.entities else []
            names = {official.status: official.name for official in officials}
            entity_dir = base / "entities" / ENTITY_ID
            countries[code] = CountryPKI(
                code=code,
                name=entry.name,
                directory=base,
                ca=Identity.load(cert_path=base / "root-ca.pem"),
                crl=read_crl(base / "root-ca.crl"),
                crl_path=base / "root-ca.crl",
                node=Identity.load(cert_path=base / "node.pem"),
                exporter=Identity.load(cert_path=base / "exporter.pem"),
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
            hub=Identity.load(cert_path=directory / "hub" / "hub.pem"),
            hub_ca=Identity.load(cert_path=directory / "hub" / "federation-ca.pem"),
            countries_pki=countries,
        )
