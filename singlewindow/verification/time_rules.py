"""Trusted time: the signing dates a document claims, judged against a clock the verifier trusts.

A signer writes its own DeclarationDate, CertificateDate or CancellationDate: that time is *claimed*.
The hub's acceptance time is the trusted time of a document. These rules refuse claimed dates that
cannot be true (in the future, out of order, in another year than the CertificateID says, too old at
first acceptance) and judge the signers' chains and the registry at the acceptance time as well as at
the claimed signing time, so a back-dated signature by a revoked or disabled official never gets in.

Kept apart from the verification pipeline, which calls :func:`date_problems` and
:func:`acceptance_problems`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from lxml import etree

from singlewindow.cod import CertificateID
from singlewindow.errors import Problem, problem
from singlewindow.verification.context import VerificationContext
from singlewindow.verification.values import parse_date, select, text_of
from singlewindow.xmlsec.xpath import ThreadXPath

#: how far a claimed date may lie ahead of the trusted clock (clocks of two countries differ a little)
DEFAULT_MAX_CLOCK_SKEW = timedelta(seconds=300)
#: how old a CertificateDate may be when the hub first accepts the certificate (one year: ALADI
#: certificates of origin are valid 180 days; a year leaves room for late rectifications)
DEFAULT_MAX_CERTIFICATE_AGE = timedelta(days=365)

_FORM = "/Envelope/CertOrigin/CODEH/CODExporter/COD/*"
_CERTIFICATE_DATE = "/Envelope/CertOrigin/CODEH/CertificationEH/CertificateDate"
_DECLARATION_DATE = f"{_FORM}/Declaration/DeclarationDate"
_INVOICE_DATE = f"{_FORM}/Invoices/Invoice/InvoiceDate"
_INVOICE_DATES = ThreadXPath("Invoices/Invoice/InvoiceDate")


@dataclass(frozen=True)
class Acceptance:
    """The trusted time a document is judged at, and how strictly.

    ``at`` is the hub's clock when it accepts a document (or the hub's acceptance time a delivery
    carries, at the importing node; or the verifier's own clock offline). With ``judge_signers``
    the signers' chains and the registry are judged at ``at`` as well as at the signing time.
    ``max_certificate_age`` is given only at first acceptance.
    """

    at: datetime
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
    max_certificate_age: timedelta | None = None
    judge_signers: bool = False

    @classmethod
    def offline(cls, now: datetime | None = None) -> Acceptance:
        """The verifier's own clock: only claimed dates in the future are refused."""
        return cls(at=datetime.now(UTC) if now is None else now.astimezone(UTC))


def _written_year(text: str | None) -> int | None:
    """The year as written in an xs:dateTime (the signer's local calendar), None if unusable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).year
    except ValueError:
        return None


def future_problem(
    moment: datetime | None, *, what: str, path: str, acceptance: Acceptance
) -> Problem | None:
    """``time.future`` when ``moment`` lies beyond the trusted time plus the allowed clock skew."""
    if moment is None or moment <= acceptance.at + acceptance.max_clock_skew:
        return None
    message = (
        f"{what} {moment.isoformat()} is later than the trusted time {acceptance.at.isoformat()} "
        f"plus {int(acceptance.max_clock_skew.total_seconds())} s of clock skew"
    )
    return problem("time.future", message, path)


def date_problems(
    form: etree._Element | None,
    *,
    certificate_date: str | None,
    certificate_id: CertificateID | None,
    certified: datetime | None,
    declared: datetime | None,
    acceptance: Acceptance,
) -> list[Problem]:
    """Every claimed date of a COD that cannot be true at ``acceptance``.

    ``form`` is the Form element the exporter signed (for the invoice dates); the other values are
    read from the document as the pipeline does: the CertificateDate as written, the CertificateID
    parsed (None when malformed: reported on its own), CertificateDate and DeclarationDate parsed.
    """
    problems: list[Problem] = []
    for moment, what, path in (
        (certified, "CertificateDate", _CERTIFICATE_DATE),
        (declared, "DeclarationDate", _DECLARATION_DATE),
    ):
        found = future_problem(moment, what=what, path=path, acceptance=acceptance)
        if found is not None:
            problems.append(found)
    if certified is not None and declared is not None and certified < declared:
        message = (
            f"CertificateDate {certified.isoformat()} is earlier than the exporter's DeclarationDate "
            f"{declared.isoformat()}"
        )
        problems.append(problem("time.before_declaration", message, _CERTIFICATE_DATE))
    if certified is not None and form is not None:
        for element in select(_INVOICE_DATES, form):  # what iterfind("Invoices/Invoice/InvoiceDate") yields
            invoiced = parse_date(text_of(element))
            if invoiced is not None and certified < invoiced:
                message = (
                    f"CertificateDate {certified.isoformat()} is earlier than invoice date "
                    f"{invoiced.isoformat()}"
                )
                problems.append(problem("time.before_invoice", message, _INVOICE_DATE))
                break
    year = _written_year(certificate_date)
    cid = certificate_id
    if year is not None and cid is not None and cid.year != year % 100:
        message = f"CertificateID {cid} names the year {cid.year:02d}, CertificateDate is in {year}"
        problems.append(problem("time.year_mismatch", message, _CERTIFICATE_DATE))
    oldest = acceptance.at - acceptance.max_certificate_age if acceptance.max_certificate_age else None
    if certified is not None and oldest is not None and certified < oldest:
        message = (
            f"CertificateDate {certified.isoformat()} is before {oldest.isoformat()}, the oldest date the "
            f"hub accepts at {acceptance.at.isoformat()} (max_certificate_age)"
        )
        problems.append(problem("time.too_old", message, _CERTIFICATE_DATE))
    return problems


def acceptance_problems(
    certificate: x509.Certificate | None,
    *,
    role: str,
    country: str | None,
    eh_id: str | None,
    acceptance: Acceptance,
    context: VerificationContext,
    path: str,
) -> list[Problem]:
    """``time.signer_invalid_at_acceptance`` when the signer's chain (or, for an official, the registry)
    does not hold at the acceptance time, whatever date the document claims.

    ``eh_id`` is given for officials: the registry is asked about them too.
    """
    if not acceptance.judge_signers or certificate is None or not country:
        return []
    at = acceptance.at
    reasons = [p.message for p in context.trust.validate(certificate, at=at, country=country).problems]
    if eh_id is not None and context.registry is not None:
        answer = context.registry.answer(certificate, country=country, eh_id=eh_id, at=at)
        if not answer.ok:
            reasons.append(f"registry answer {answer.code} ({answer.message})")
    if not reasons:
        return []
    message = f"the {role}'s certificate is not usable at the acceptance time {at.isoformat()}: " + "; ".join(
        reasons
    )
    return [problem("time.signer_invalid_at_acceptance", message, path)]
