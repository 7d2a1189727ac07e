"""What the hub checks before it admits a document, beyond what any verifier checks: trusted time.

The hub's clock at acceptance is the trusted time of a document. The verification pipeline judges
the claimed dates and the signers at that time (``verification.time_rules``); this module builds that
judgement from the hub's settings, recognises a repeat of bytes the hub already accepted (judged at
its first acceptance, never again) and keeps cancellations from predating their certificate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lxml import etree

from singlewindow.config import HubSettings
from singlewindow.errors import Problem, problem
from singlewindow.lifecycle import is_cancellation, read_cancellation
from singlewindow.storage import CANCELLATION, COD, Accepted, HubStore
from singlewindow.verification.time_rules import Acceptance
from singlewindow.verification.values import codeh_values, parse_date
from singlewindow.xmlsec import parse_xml
from singlewindow.xmlsec.structure import pinned_element


def acceptance(settings: HubSettings, *, now: datetime) -> Acceptance:
    """The hub's judgement at first acceptance: its clock, skew, maximum age, signers judged at ``now``."""
    return Acceptance(
        at=now,
        max_clock_skew=timedelta(seconds=settings.max_clock_skew),
        max_certificate_age=timedelta(seconds=settings.max_certificate_age),
        judge_signers=True,
    )


def claimed_certificate_id(root: etree._Element) -> str | None:
    """The CertificateID at the official's pinned path, unverified (to find an earlier acceptance)."""
    codeh, _ = pinned_element(root, "official")
    return codeh_values(codeh).certificate_id


def earlier_acceptance(store: HubStore, *, root: etree._Element, sha256: str, sender: str) -> Accepted | None:
    """The same bytes from the same node, accepted before: answered as a duplicate, not judged again.

    A document accepted earlier stays accepted: a later revocation or the passing of
    ``max_certificate_age`` does not turn a repeat of it into a refusal. Cancellations too.
    """
    cancellation = is_cancellation(root)
    certificate_id = read_cancellation(root).certificate_id if cancellation else claimed_certificate_id(root)
    if not certificate_id:
        return None
    known = store.by_certificate(certificate_id, kind=CANCELLATION if cancellation else COD)
    if known is None or known.sha256 != sha256 or known.sender != sender:
        return None
    return Accepted(message=known, created=False)


def cancellation_problems(
    *, certificate_document: bytes, cancellation_date: datetime | None, max_bytes: int
) -> list[Problem]:
    """``lifecycle.before_certificate`` when the cancellation is dated before the certificate it cancels."""
    codeh, _ = pinned_element(parse_xml(certificate_document, max_bytes=max_bytes), "official")
    certified = parse_date(codeh_values(codeh).certificate_date)
    if cancellation_date is None or certified is None or cancellation_date >= certified:
        return []
    message = (
        f"CancellationDate {cancellation_date.isoformat()} is earlier than the certificate's "
        f"CertificateDate {certified.isoformat()}"
    )
    return [problem("lifecycle.before_certificate", message, "/Cancellation/CancellationDate")]
