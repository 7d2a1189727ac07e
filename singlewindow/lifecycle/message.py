"""The Cancellation message (urn:singlewindow:lifecycle:1): its values, building it, and reading it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from singlewindow.cod import CertificateID
from singlewindow.cod.certificate_id import COUNTRIES
from singlewindow.errors import UnusableInput, problem
from singlewindow.xmlsec import serialize

NS = "urn:singlewindow:lifecycle:1"
CANCELLATION = f"{{{NS}}}Cancellation"
#: The id the issuing official's signature references ("#CANCEL"), carried by the root.
SIGNED_ID = "CANCEL"
MAX_REASON = 1000
_REASON_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class Reason:
    """Why a certificate is cancelled: free text for people and an optional code for systems (``ERROR``)."""

    text: str
    code: str | None = None


@dataclass(frozen=True)
class CancellationValues:
    """What a Cancellation says, as text (None when absent); read only from verified elements to trust it."""

    certificate_id: str | None = None
    issuing_country: str | None = None
    eh_id: str | None = None
    importer_country: str | None = None
    cancellation_date: str | None = None
    reason: str | None = None
    reason_code: str | None = None


def is_cancellation(root: etree._Element) -> bool:
    """True when a parsed document is a Cancellation (lets a service dispatch a message by its root)."""
    return root.tag == CANCELLATION


def _invalid(message: str, field: str) -> UnusableInput:
    return UnusableInput(problem("input.invalid_fields", message, field))


def _check_reason(reason: Reason) -> None:
    if not reason.text.strip():
        raise _invalid("the reason must not be empty", "reason")
    if len(reason.text) > MAX_REASON:
        raise _invalid(f"the reason has {len(reason.text)} characters; at most {MAX_REASON}", "reason")
    code = reason.code
    if code is not None and not (
        0 < len(code) <= 32 and code[0].isalpha() and set(code) <= _REASON_CODE_CHARS
    ):
        raise _invalid(f"reason code {code!r} must match [A-Z][A-Z0-9_]{{0,31}}", "reason_code")


def _date_text(when: datetime) -> str:
    if when.tzinfo is None:
        raise _invalid("the cancellation date must carry a time zone", "when")
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_cancellation(
    *,
    certificate_id: CertificateID | str,
    importer_country: str,
    reason: Reason | str,
    when: datetime,
) -> bytes:
    """An unsigned Cancellation of ``certificate_id`` dated ``when``, routed to ``importer_country``.

    IssuingCountry and EHId are taken from the CertificateID. Raises UnusableInput (input.invalid_fields)
    for a malformed CertificateID, an unknown country, an empty or oversized reason, or a naive date.
    """
    try:
        cid = (
            certificate_id
            if isinstance(certificate_id, CertificateID)
            else CertificateID.parse(certificate_id)
        )
    except ValueError as exc:
        raise _invalid(str(exc), "certificate_id") from None
    if importer_country not in COUNTRIES:
        raise _invalid(
            f"importer country {importer_country!r} is not an ALADI member code", "importer_country"
        )
    reason = Reason(text=reason) if isinstance(reason, str) else reason
    _check_reason(reason)
    root = etree.Element(CANCELLATION, nsmap={"lc": NS}, id=SIGNED_ID)
    for name, value in (
        ("CertificateID", str(cid)),
        ("IssuingCountry", cid.country),
        ("EHId", cid.eh_id),
        ("ImporterCountry", importer_country),
        ("CancellationDate", _date_text(when)),
        ("Reason", reason.text),
    ):
        etree.SubElement(root, f"{{{NS}}}{name}").text = value
    if reason.code is not None:
        root[-1].set("code", reason.code)
    etree.indent(root, space="  ")
    return serialize(root)


def _text(root: etree._Element, name: str, *, strip: bool = True) -> str | None:
    found = root.findall(f"{{{NS}}}{name}")
    if len(found) != 1:
        return None
    # itertext joins text split by comments, so a value reads the same as it was digested.
    text = "".join(str(part) for part in found[0].itertext())
    return text.strip() if strip else text


def read_cancellation(root: etree._Element | None) -> CancellationValues:
    """Read a Cancellation element (``None``, or a missing or repeated child, gives None values)."""
    if root is None or root.tag != CANCELLATION:
        return CancellationValues()
    reasons = root.findall(f"{{{NS}}}Reason")
    return CancellationValues(
        certificate_id=_text(root, "CertificateID"),
        issuing_country=_text(root, "IssuingCountry"),
        eh_id=_text(root, "EHId"),
        importer_country=_text(root, "ImporterCountry"),
        cancellation_date=_text(root, "CancellationDate"),
        reason=_text(root, "Reason", strip=False),
        reason_code=reasons[0].get("code") if len(reasons) == 1 else None,
    )
