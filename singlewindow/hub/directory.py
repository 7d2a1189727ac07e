"""The hub's view of the federation: members, their pinned node keys, endpoints and accepted types."""

from __future__ import annotations

from functools import cached_property

from cryptography import x509

from singlewindow.errors import Problem, problem
from singlewindow.pki.trustlist import CountryEntry, Trustlist
from singlewindow.verification import VerificationReport

DOCUMENT_TYPE = "COD"
_ID_PATH = "/Envelope/CertOrigin/CODEH/CertificationEH/CertificateID"


def _version_problems(
    report: VerificationReport, *, destination: str, accepts: CountryEntry
) -> list[Problem]:
    """``routing.version_not_accepted`` when the trust list says the destination takes no such CODVer/form."""
    versions = accepts.cod_versions
    if report.cod_ver is not None and versions is not None and report.cod_ver not in versions:
        return [
            problem(
                "routing.version_not_accepted",
                f"{destination} does not accept CODVer {report.cod_ver} (it accepts: {', '.join(versions)})",
                "/Envelope/CertOrigin/CODEH/CODExporter/COD/CODVer",
            )
        ]
    if report.form is not None and accepts.forms is not None and report.form not in accepts.forms:
        return [
            problem(
                "routing.version_not_accepted",
                f"{destination} does not accept {report.form} (it accepts: {', '.join(accepts.forms)})",
                "/Envelope/CertOrigin/CODEH/CODExporter/COD",
            )
        ]
    return []


class Directory:
    """Read-only federation registry built from the trust list (plus endpoint overrides)."""

    def __init__(self, *, trustlist: Trustlist, node_urls: dict[str, str]) -> None:
        self.trustlist = trustlist
        self.node_urls = dict(node_urls)

    @cached_property
    def _certificates(self) -> dict[str, x509.Certificate]:
        return {
            code: x509.load_pem_x509_certificate(entry.node_certificate.encode("ascii"))
            for code, entry in self.trustlist.countries.items()
        }

    def node_certificate(self, country: str) -> x509.Certificate | None:
        """The pinned certificate a member's node signs requests and receipts with."""
        return self._certificates.get(country)

    def node_url(self, country: str) -> str | None:
        """Where to deliver to a member, without a trailing slash."""
        entry = self.trustlist.countries.get(country)
        url = self.node_urls.get(country) or (entry.node_url if entry else None)
        return url.rstrip("/") if url else None

    def routing_problems(self, *, report: VerificationReport, sender: str) -> list[Problem]:
        """Whether ``sender`` may send this document and its destination takes it."""
        problems: list[Problem] = []
        eh_country = report.eh_country or (report.certificate_id or "")[:2] or None
        if eh_country is not None and eh_country != sender:
            problems.append(
                problem(
                    "routing.sender_mismatch",
                    f"node {sender} may not send a document issued in {eh_country}",
                    "/Envelope/CertOrigin/CODEH/EH/EHCountry",
                )
            )
        destination = report.importer_country
        exporting = report.exporter_country or eh_country
        if destination is not None and destination == exporting:
            problems.append(
                problem(
                    "routing.same_country",
                    f"the importing country {destination} is the exporting country",
                    "/Envelope/CertOrigin/CODEH/CODExporter/COD//Importer/ImporterCountry",
                )
            )
        elif destination is not None:
            entry = self.trustlist.countries.get(destination)
            if entry is None:
                problems.append(
                    problem(
                        "routing.unknown_destination",
                        f"{destination} is not a federation member",
                        "/Envelope/CertOrigin/CODEH/CODExporter/COD//Importer/ImporterCountry",
                    )
                )
            elif DOCUMENT_TYPE not in entry.accepts:
                problems.append(
                    problem(
                        "routing.not_accepted", f"{destination} does not accept {DOCUMENT_TYPE} documents"
                    )
                )
            else:
                problems += _version_problems(report, destination=destination, accepts=entry)
        if report.certificate_id is None and not report.problems:
            problems.append(
                problem("cod.certificate_id_invalid", "the document has no CertificateID", _ID_PATH)
            )
        return problems
