"""The federation trust list (``trustlist.json``): pydantic models, loading and saving."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from singlewindow.errors import ConfigurationError
from singlewindow.pki.countries import check_country_code

FORMAT: Literal["singlewindow-trustlist/1"] = "singlewindow-trustlist/1"

Status = Literal["active", "pending", "rejected", "revoked"]
Role = Literal["official", "administrator", "operator"]


@functools.lru_cache(maxsize=256)
def pem_certificate(pem: str) -> x509.Certificate:
    """The certificate of a trust list's PEM text, parsed once per text (a new trust list's texts
    are new entries).

    A node checks the receipt in every outcome the hub pushes with the destination's certificate:
    parsed afresh each time, with its extensions and key read from the new object, that check
    took 143 µs instead of 83.
    """
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def _check_certificate_pem(value: str) -> str:
    try:
        x509.load_pem_x509_certificate(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"not a PEM X.509 certificate ({exc})") from exc
    return value


def _check_crl_pem(value: str) -> str:
    try:
        x509.load_pem_x509_crl(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"not a PEM CRL ({exc})") from exc
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Official(_Model):
    """One person registered with an issuing entity, with the certificate they sign with."""

    name: str = Field(min_length=1)
    certificate: str
    status: Status = "active"
    enabled: bool = True
    role: Role = "official"
    #: when the registry revoked the official; a signature before this time is not "revoked".
    revoked_at: datetime | None = None

    _pem = field_validator("certificate")(_check_certificate_pem)

    def load_certificate(self) -> x509.Certificate:
        """The parsed certificate."""
        return x509.load_pem_x509_certificate(self.certificate.encode("ascii"))


class Entity(_Model):
    """An issuing entity (EH) and its registered people."""

    name: str = Field(min_length=1)
    officials: list[Official] = []


class CountryEntry(_Model):
    """A member country: its CAs, CRLs, node and issuing entities."""

    name: str = Field(min_length=1)
    node_url: str | None = None
    node_certificate: str
    root_cas: list[str] = Field(min_length=1)
    crls: list[str] = []
    accepts: list[str] = ["COD"]
    #: the CODVer the member accepts (e.g. ["2.0.0", "4.1.0"]); None: every CODVer the XSDs define
    cod_versions: list[str] | None = None
    #: the forms the member accepts (e.g. ["FormA18"]); None: every form the XSDs define
    forms: list[str] | None = None
    #: legacy RSA-SHA1 signatures of this member's signers are accepted until this day (inclusive,
    #: judged at the hub's acceptance time); None: never
    sha1_until: date | None = None
    entities: dict[str, Entity] = {}

    _node_pem = field_validator("node_certificate")(_check_certificate_pem)

    @field_validator("root_cas")
    @classmethod
    def _root_cas_pem(cls, value: list[str]) -> list[str]:
        return [_check_certificate_pem(item) for item in value]

    @field_validator("crls")
    @classmethod
    def _crls_pem(cls, value: list[str]) -> list[str]:
        return [_check_crl_pem(item) for item in value]

    @field_validator("entities")
    @classmethod
    def _entity_ids(cls, value: dict[str, Entity]) -> dict[str, Entity]:
        for eh_id in value:
            if not (len(eh_id) == 3 and eh_id.isdigit()):
                raise ValueError(f"EHId {eh_id!r} must be three digits, e.g. '001'")
        return value

    def sha1_accepted(self, at: datetime) -> bool:
        """Whether this member's legacy RSA-SHA1 signatures are still accepted at ``at``."""
        return self.sha1_until is not None and at.date() <= self.sha1_until

    def load_root_cas(self) -> list[x509.Certificate]:
        """The parsed root CA certificates."""
        return [x509.load_pem_x509_certificate(pem.encode("ascii")) for pem in self.root_cas]

    def load_crls(self) -> list[x509.CertificateRevocationList]:
        """The parsed CRLs."""
        return [x509.load_pem_x509_crl(pem.encode("ascii")) for pem in self.crls]


class HubEntry(_Model):
    """The routing hub: its certificate and (when deployed) its URL."""

    certificate: str
    url: str | None = None

    _pem = field_validator("certificate")(_check_certificate_pem)


class Trustlist(_Model):
    """The whole federation trust list and registry of officials."""

    format: Literal["singlewindow-trustlist/1"] = FORMAT
    issued_at: datetime
    #: grows by one with every trust list the operator signs; services refuse a lower one (rollback)
    sequence: int = Field(default=0, ge=0)
    #: when services should expect a newer trust list at the latest
    next_update: datetime | None = None
    hub: HubEntry
    countries: dict[str, CountryEntry] = Field(min_length=1)

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, value: dict[str, CountryEntry]) -> dict[str, CountryEntry]:
        for code in value:
            check_country_code(code)
        return value

    @classmethod
    def load(cls, path: Path) -> Trustlist:
        """Read and validate ``trustlist.json``; any problem is a ConfigurationError naming the file.

        A signed trust list (``{"trustlist": {…}, "signature": {…}}``) is read for its content only:
        services check the signature with ``singlewindow.pki.signed.verify_trustlist``.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read trust list {path}: {exc}") from exc
        return cls.parse(text, source=str(path))

    @classmethod
    def parse(cls, text: str | bytes, *, source: str = "trust list") -> Trustlist:
        """Validate a trust list, bare or inside its signed envelope; problems are a ConfigurationError."""
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"invalid trust list {source}: not JSON ({exc})") from exc
        if isinstance(document, dict) and set(document) == {"trustlist", "signature"}:
            document = document["trustlist"]
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ConfigurationError(f"invalid trust list {source}: {details}") from exc

    def save(self, path: Path) -> None:
        """Write the trust list as indented JSON."""
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    def with_official(
        self, *, country: str, eh_id: str, official: Official, entity_name: str = ""
    ) -> Trustlist:
        """A copy with ``official`` added to entity ``eh_id`` of ``country`` (created if new)."""
        entry = self.countries[country]
        entity = entry.entities.get(eh_id) or Entity(name=entity_name or f"Entity {eh_id}")
        entity = entity.model_copy(update={"officials": [*entity.officials, official]})
        entry = entry.model_copy(update={"entities": {**entry.entities, eh_id: entity}})
        return self.model_copy(update={"countries": {**self.countries, country: entry}})
