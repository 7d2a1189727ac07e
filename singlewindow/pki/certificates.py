"""Building X.509 root CAs, leaf certificates and CRLs (reusable for demo federations and attack tests)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from singlewindow.pki.files import PrivateKey, PublicKey
from singlewindow.pki.roles import ROLE_OIDS, Role

Profile = Literal["signer", "service"]

#: anyPolicy with a notice: the demo federation makes no real-world assurance claim.
_POLICY = x509.CertificatePolicies(
    [
        x509.PolicyInformation(
            x509.ObjectIdentifier("2.5.29.32.0"),
            [x509.UserNotice(None, "singlewindow demo federation - not for production use")],
        )
    ]
)


def _name(
    *, common_name: str, country: str | None, organization: str | None, serial: str | None
) -> x509.Name:
    attributes = []
    if country:
        attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if serial:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attributes)


def _crl_points(crl_uri: str | None) -> list[x509.Extension[x509.ExtensionType]]:
    if crl_uri is None:
        return []
    points = x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_uri)], None, None, None)]
    )
    return [x509.Extension(points.oid, False, points)]


def issue_root_ca(
    *,
    key: PrivateKey,
    country: str | None,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    common_name: str | None = None,
    crl_uri: str | None = None,
) -> x509.Certificate:
    """A self-signed root CA: BasicConstraints CA (critical), keyCertSign + cRLSign, SKI/AKI."""
    name = _name(
        common_name=common_name or f"{country} Root CA",
        country=country,
        organization=organization,
        serial=None,
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(_POLICY, critical=False)
    )
    for extension in _crl_points(crl_uri):
        builder = builder.add_extension(extension.value, critical=extension.critical)
    return builder.sign(key, hashes.SHA256())


def issue_leaf(
    *,
    public_key: PublicKey,
    issuer_key: PrivateKey,
    issuer_certificate: x509.Certificate | None,
    common_name: str,
    country: str | None,
    organization: str | None,
    not_before: datetime,
    not_after: datetime,
    subject_serial: str | None = None,
    crl_uri: str | None = None,
    profile: Profile = "signer",
    dns_names: Sequence[str] = (),
    serial_number: int | None = None,
    roles: Sequence[Role] = (),
) -> x509.Certificate:
    """An end-entity certificate; ``issuer_certificate=None`` makes it self-signed (a look-alike).

    ``profile="signer"``: digitalSignature + nonRepudiation (document signatures).
    ``profile="service"``: digitalSignature + keyEncipherment, EKU server/client auth, SANs (nodes, hub).
    ``roles``: the federation roles (``singlewindow.pki.roles``) the key is issued for, as extended
    key usages (next to server/client auth for a service).
    """
    subject = _name(
        common_name=common_name, country=country, organization=organization, serial=subject_serial
    )
    issuer = subject if issuer_certificate is None else issuer_certificate.subject
    if issuer_certificate is None:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
    else:
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            issuer_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        )
    service = profile == "service"
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial_number or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not service,
                key_encipherment=service,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(aki, critical=False)
        .add_extension(_POLICY, critical=False)
    )
    for extension in _crl_points(crl_uri):
        builder = builder.add_extension(extension.value, critical=extension.critical)
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH] if service else []
    usages += [ROLE_OIDS[role] for role in roles]
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if service:
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def build_crl(
    *,
    issuer_certificate: x509.Certificate,
    issuer_key: PrivateKey,
    last_update: datetime,
    next_update: datetime,
    revoked: Sequence[tuple[int, datetime]] = (),
    number: int = 1,
    reasons: Mapping[int, x509.ReasonFlags] | None = None,
) -> x509.CertificateRevocationList:
    """A v2 CRL over ``revoked`` (serial number, revocation date), with AKI and CRLNumber.

    Each entry carries its reason from ``reasons`` (by serial number), keyCompromise by default.
    """
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_certificate.subject)
        .last_update(last_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    for serial, revoked_at in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(revoked_at)
            .add_extension(
                x509.CRLReason((reasons or {}).get(serial, x509.ReasonFlags.key_compromise)), critical=False
            )
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(issuer_key, hashes.SHA256())


def validity(*, start: datetime, days: int) -> tuple[datetime, datetime]:
    """(not_before, not_after) spanning ``days`` from ``start``."""
    return start, start + timedelta(days=days)
