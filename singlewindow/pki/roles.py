"""Signer roles of the federation: the extended key usages that say what a key may sign.

A certificate that chains to the right CA is not enough: the exporter signs ``#COD`` with a
certificate issued for the exporter role that names the declared exporter, an official signs
``#CODEH`` with a certificate issued for the official role (and listed in the registry), node and
hub keys sign only HTTP messages and receipts, and the operator's key signs only the trust list.

The OIDs live under a UUID arc (ITU-T X.667, ``2.25.<uuid>``): globally unique without
registration, owned by this project.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

#: the project's own OID arc
ARC = "2.25.193584412970050025450563646390502785266"


class Role(StrEnum):
    """What a federation key may sign."""

    EXPORTER = "exporter"  # the exporter's signature over #COD
    OFFICIAL = "official"  # an issuing entity's official over #CODEH and lifecycle messages
    NODE = "node"  # a node's HTTP message signatures and receipts
    HUB = "hub"  # the hub's HTTP message signatures and receipts
    OPERATOR = "operator"  # the federation operator's signature over the trust list


#: the extended key usage of each role
ROLE_OIDS: dict[Role, ObjectIdentifier] = {
    Role.EXPORTER: ObjectIdentifier(f"{ARC}.1.1"),
    Role.OFFICIAL: ObjectIdentifier(f"{ARC}.1.2"),
    Role.NODE: ObjectIdentifier(f"{ARC}.1.3"),
    Role.HUB: ObjectIdentifier(f"{ARC}.1.4"),
    Role.OPERATOR: ObjectIdentifier(f"{ARC}.1.5"),
}
_ROLE_BY_OID = {oid: role for role, oid in ROLE_OIDS.items()}


def extended_key_usage(role: Role) -> x509.ExtendedKeyUsage:
    """The EKU extension a certificate issued for ``role`` carries (add it non-critical)."""
    return x509.ExtendedKeyUsage([ROLE_OIDS[role]])


def roles_of(certificate: x509.Certificate) -> frozenset[Role]:
    """The federation roles ``certificate`` was issued for (empty when it has no federation EKU)."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return frozenset()
    return frozenset(_ROLE_BY_OID[oid] for oid in usage if oid in _ROLE_BY_OID)


def _normalised(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def names_exporter(certificate: x509.Certificate, *, business_name: str, country: str) -> bool:
    """Whether the exporter certificate names this exporter: subject O = business name, C = country.

    Compared after Unicode NFC, case folding and whitespace collapsing, so "Metalúrgica  Río
    Cuarto S.A." and "METALÚRGICA RÍO CUARTO S.A." are the same exporter.
    """
    subject = certificate.subject
    organisations = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    countries = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)]
    return _normalised(business_name) in {_normalised(o) for o in organisations} and country.upper() in {
        c.upper() for c in countries
    }
