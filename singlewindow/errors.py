"""Problems and exceptions: every stable problem code of the project, in one place.

Exception tree::

    SinglewindowError                 (exit 2, HTTP 400)  base: carries a list of Problem
    ├── UnusableInput                 (exit 2, HTTP 400)  not XML, unsafe XML, too large, bad JSON fields
    │   ├── InputTooLarge             (exit 2, HTTP 413)
    │   └── InputTooSlow              (HTTP 408)  the body trickled in slower than ``body_timeout``
    ├── InvalidDocument               (exit 1, HTTP 422)  a COD that fails verification
    ├── ConfigurationError            (exit 2, HTTP 500)  missing PKI, trust dir, settings
    ├── AuthenticationFailed          (HTTP 401)
    ├── Forbidden                     (HTTP 403)
    ├── NotFound                      (HTTP 404)
    └── Conflict                      (HTTP 409)

Validation never stops at the first problem: it returns a list of ``Problem`` and only the
edge (HTTP handler, CLI) turns that list into an answer.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: Every problem code the project emits, with its meaning. Codes are stable API: add, never rename.
CODES: dict[str, str] = {
    # input and parsing
    "input.empty": "the body or file is empty",
    "input.not_found": "the named input file does not exist or cannot be opened",
    "input.too_large": "the body or file exceeds the size limit",
    "input.too_slow": "the body was not received in time",
    "input.not_xml": "the input is not well-formed XML",
    "input.dtd_forbidden": "the XML carries a DTD (document type declaration)",
    "input.entity_forbidden": "the XML declares or references entities",
    "input.processing_instruction": "the XML carries a processing instruction other than the XML declaration",
    "input.invalid_fields": "JSON certificate fields are missing or invalid",
    "input.unknown_stage": "the XML is not a COD at any known stage",
    "input.invalid_argument": "a command-line argument or option is missing or invalid",
    # schema
    "schema.unknown_version": "no schema is configured for this CODVer",
    "schema.invalid": "the document does not validate against the XSD of its CODVer and stage",
    # document content
    "cod.certificate_id_invalid": "CertificateID is malformed or inconsistent with the document",
    "cod.date_invalid": "a signing date (DeclarationDate / CertificateDate) is missing or unparseable",
    "cod.country_mismatch": "countries in the document contradict each other",
    # trusted time: claimed signing dates judged against the hub's acceptance time
    "time.future": "a claimed signing date lies after the trusted time plus the allowed clock skew",
    "time.before_declaration": "CertificateDate is earlier than the exporter's DeclarationDate",
    "time.before_invoice": "CertificateDate is earlier than an invoice's date",
    "time.year_mismatch": "the CertificateID's year differs from the CertificateDate's year",
    "time.too_old": "CertificateDate is older than the hub's max_certificate_age at first acceptance",
    "time.signer_invalid_at_acceptance": "a signer was revoked, disabled or expired at the acceptance time",
    "time.acceptance_invalid": "a delivery carries no usable hub acceptance time",
    # signatures
    "signature.missing": "an expected signature is absent",
    "signature.unexpected": "a signature appears where none is allowed",
    "signature.reference_invalid": "a signature does not reference exactly its pinned id (#COD / #CODEH)",
    "signature.duplicate_id": "an id attribute used by a signature reference appears more than once",
    "signature.wrapping": "signed content is moved, wrapped or duplicated (signature wrapping)",
    "signature.digest_mismatch": "the signed content was changed after signing",
    "signature.value_invalid": "the signature value does not verify with the signer's key",
    "signature.algorithm_forbidden": "a signature or digest algorithm not allowed by policy (e.g. SHA-1)",
    "signature.key_info_invalid": "KeyInfo does not carry exactly one usable X.509 certificate",
    "signature.malformed": "the ds:Signature element is malformed",
    # signer roles (federation EKUs)
    "role.exporter_required": "#COD is not signed with a certificate issued for the exporter role",
    "role.exporter_mismatch": "the exporter's certificate does not name the declared exporter",
    "role.official_required": "#CODEH or a lifecycle message is not signed with an official-role certificate",
    "role.transport_key_in_document": "a node or hub key signed a document: those sign only HTTP messages",
    "role.transport_required": "an HTTP signature or receipt is made with a key not issued for a node or hub",
    # certificate chain
    "chain.untrusted": "the signer's certificate does not chain to a trust anchor",
    "chain.wrong_country": "the signer's certificate chains to another country's CA",
    "chain.not_valid_at_signing_time": "a certificate in the chain was not valid at the signing time",
    "chain.revoked": "the signer's certificate was revoked at the signing time",
    "chain.crl_unavailable": "no valid CRL of the issuing CA is available",
    "chain.certificate_invalid": "the signer's certificate cannot be parsed or is unfit for signing",
    # registry of authorised officials (ALADI answer codes)
    "registry.01": "registry answer 01: certificate format invalid",
    "registry.02": "registry answer 02: certificate not valid at that time",
    "registry.03": "registry answer 03: certificate revoked",
    "registry.04": "registry answer 04: certificate not registered",
    "registry.05": "registry answer 05: official disabled",
    "registry.06": "registry answer 06: country does not match",
    "registry.07": "registry answer 07: issuing-entity id does not match",
    "registry.08": "registry answer 08: registered, but not as an official",
    # network: authentication and authorisation
    "auth.missing": "no credentials were presented",
    "auth.invalid": "the credentials or the request signature are invalid",
    "auth.forbidden": "the caller's role or country does not allow this",
    # network: routing and idempotency
    "routing.sender_mismatch": "the sending node is not the document's issuing country (EHCountry)",
    "routing.unknown_destination": "the importing country is not a federation member",
    "routing.not_accepted": "the destination does not accept this document type",
    "routing.version_not_accepted": "the destination does not accept this CODVer or form (trust list)",
    "routing.same_country": "the importing country is the exporting country: nothing to route",
    "duplicate.conflict": "this CertificateID was already accepted with other content",
    "delivery.not_found": "no such delivery, or not visible to the caller",
    "delivery.not_from_hub": "a delivery did not come from the hub",
    "receipt.invalid": "the receipt is missing, malformed or wrongly signed",
    # configuration
    "config.invalid": "the service or command is misconfigured (PKI, trust directory, settings)",
    "config.schemas_missing": "no official COD XSD is configured (SINGLEWINDOW_SCHEMA_DIRS)",
    # signed trust list
    "trustlist.signature_invalid": "the trust list is malformed or not signed by the pinned operator key",
    "trustlist.rollback": "the trust list's sequence is not newer than the one in force (rollback)",
    "trustlist.crl_not_found": "no CRL is published for that country",
    # lifecycle
    "lifecycle.invalid": "the cancellation or rectification message is invalid",
    "lifecycle.not_issuer": "only an official of the issuing entity may cancel or rectify",
    "lifecycle.unknown_certificate": "the certificate to cancel or rectify is unknown",
    "lifecycle.before_certificate": "the cancellation is dated before the certificate it cancels",
}


class Problem(BaseModel):
    """One problem found in an input: a stable code, a human message, and where (an XPath-like path)."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    path: str = ""


def problem(code: str, message: str | None = None, path: str = "") -> Problem:
    """Build a Problem with a known code; the message defaults to the code's meaning."""
    if code not in CODES:
        raise KeyError(f"unknown problem code {code!r}: add it to singlewindow.errors.CODES")
    return Problem(code=code, message=message or CODES[code], path=path)


class SinglewindowError(Exception):
    """Base of every error the project raises on purpose."""

    exit_code: int = 2
    status_code: int = 400
    #: the code given to a problem built from a plain message
    default_code: str = "input.invalid_fields"

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(code=self.default_code, message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(f"{p.code}: {p.message}" for p in self.problems))


class UnusableInput(SinglewindowError):
    """The input cannot be read at all (not XML, unsafe XML, bad fields)."""


class InputTooLarge(UnusableInput):
    """The input is larger than the configured limit."""

    status_code = 413


class InputTooSlow(UnusableInput):
    """The body was not received within the configured time."""

    status_code = 408


class InvalidDocument(SinglewindowError):
    """A readable document that fails verification."""

    exit_code = 1
    status_code = 422


class ConfigurationError(SinglewindowError):
    """The service or command is misconfigured (missing PKI, trust directory, settings)."""

    status_code = 500
    default_code = "config.invalid"


class AuthenticationFailed(SinglewindowError):
    """No or invalid credentials."""

    status_code = 401


class Forbidden(SinglewindowError):
    """Valid credentials without the right to do this."""

    status_code = 403


class NotFound(SinglewindowError):
    """The thing asked for does not exist or is not visible to the caller."""

    status_code = 404


class Conflict(SinglewindowError):
    """The request conflicts with what is already stored."""

    status_code = 409
