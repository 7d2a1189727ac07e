"""Signer roles: which certificate may make which signature, beyond chaining to the right CA.

``#COD`` is signed by an exporter-role certificate naming the declared exporter (subject O =
ExporterBusinessName, C = ExporterCountry); ``#CODEH`` and lifecycle messages by an official-role
certificate (the registry says for which entity); node and hub keys sign only HTTP messages and
receipts, and a document-role key never signs those. Each refusal has its own code, reported even
when the chain is right. The roles are the federation EKUs of ``singlewindow.pki.roles``.

Kept apart from the verification pipeline, which calls :func:`exporter_problems` and
:func:`official_problems`; ``protocol.keys.transport_problem`` keeps document keys off HTTP.
"""

from __future__ import annotations

from cryptography import x509

from singlewindow.errors import Problem, problem
from singlewindow.memo import by_identity
from singlewindow.pki.roles import Role, names_exporter, roles_of

_TRANSPORT = frozenset({Role.NODE, Role.HUB})
_EXPORTER_SIGNATURE = "/Envelope/CertOrigin/CODEH/CODExporter/ds:Signature"
_OFFICIAL_SIGNATURE = "/Envelope/CertOrigin/ds:Signature"


@by_identity(maxsize=256)
def _roles(certificate: x509.Certificate) -> frozenset[Role]:
    """The certificate's federation roles; cached, as a signer signs many documents."""
    return roles_of(certificate)


@by_identity(maxsize=1024)
def _names_exporter(certificate: x509.Certificate, business_name: str, country: str) -> bool:
    return names_exporter(certificate, business_name=business_name, country=country)


def _listed(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(roles)) or "no federation role"


def _transport_key(roles: frozenset[Role], *, what: str, path: str) -> Problem | None:
    if roles & _TRANSPORT:
        used = _listed(roles & _TRANSPORT)
        message = f"{what} is signed with a {used} key: those sign only HTTP messages and receipts"
        return problem("role.transport_key_in_document", message, path)
    return None


def exporter_problems(
    certificate: x509.Certificate | None, *, business_name: str | None, country: str | None
) -> list[Problem]:
    """Problems of the certificate that signed ``#COD`` as the declared exporter's."""
    if certificate is None:
        return []  # the missing signature is reported on its own
    roles = _roles(certificate)
    misuse = _transport_key(roles, what="#COD", path=_EXPORTER_SIGNATURE)
    if misuse is not None:
        return [misuse]
    if Role.EXPORTER not in roles:
        message = f"#COD is signed with a certificate issued for {_listed(roles)}, not for the exporter role"
        return [problem("role.exporter_required", message, _EXPORTER_SIGNATURE)]
    if not business_name or not country or not _names_exporter(certificate, business_name, country):
        message = (
            f"the exporter's certificate ({certificate.subject.rfc4514_string()}) does not name the declared "
            f"exporter {business_name!r} of {country}"
        )
        return [problem("role.exporter_mismatch", message, _EXPORTER_SIGNATURE)]
    return []


def official_problems(
    certificate: x509.Certificate | None, *, what: str = "#CODEH", path: str = _OFFICIAL_SIGNATURE
) -> list[Problem]:
    """Problems of the certificate that signed ``what`` as an issuing entity's official."""
    if certificate is None:
        return []
    roles = _roles(certificate)
    misuse = _transport_key(roles, what=what, path=path)
    if misuse is not None:
        return [misuse]
    if Role.OFFICIAL not in roles:
        message = (
            f"{what} is signed with a certificate issued for {_listed(roles)}, not for the official role"
        )
        return [problem("role.official_required", message, path)]
    return []
