"""The verdict an official reads first: genuine, NOT genuine, cancelled, rectified, not held, unknown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from singlewindow.node.web.i18n import Language, problem_text, translate
from singlewindow.node.web.model import LifecycleState
from singlewindow.verification.report import VerificationReport

VerdictKind = Literal["genuine", "not_genuine", "cancelled", "rectified", "not_held", "unknown"]

#: What this node holds under the document's CertificateID: exactly these bytes, other bytes, or nothing.
Holding = Literal["same", "differs", "none"]

#: A text icon per verdict, so the banner never relies on colour alone.
ICONS: dict[VerdictKind, str] = {
    "genuine": "✔",
    "not_genuine": "✖",
    "cancelled": "⊘",
    "rectified": "↻",
    "not_held": "≠",
    "unknown": "?",
}


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What the banner says: the kind, its reasons in plain words, and for rectifications the newer ID."""

    kind: VerdictKind
    reasons: tuple[str, ...] = ()
    replaced_by: str | None = None
    since: datetime | None = None
    reason: str = ""

    @property
    def icon(self) -> str:
        """The banner's icon, read out by screen readers only through the word beside it."""
        return ICONS[self.kind]


def decide(
    *, report: VerificationReport, status: LifecycleState, language: Language, holding: Holding = "same"
) -> Verdict:
    """Judge one document: any problem is NOT genuine; other bytes than the ones held are not the
    certificate; a document that never came here has an unknown status; else its lifecycle decides."""
    reasons: list[str] = []
    for found in report.problems:
        text = problem_text(found.code, language=language, fallback=found.message)
        if text not in reasons:
            reasons.append(text)
    if report.valid and report.stage not in (None, "complete"):
        reasons.append(translate("not_a_certificate", language=language))
    if reasons or not report.valid:
        return Verdict(kind="not_genuine", reasons=tuple(reasons))
    if holding == "differs":
        reasons.append(translate("file_differs", language=language))
        if status.lifecycle != "active":
            reasons.append(translate(f"held_is_{status.lifecycle}", language=language))
        return Verdict(kind="not_held", reasons=tuple(reasons))
    if holding == "none":
        return Verdict(kind="unknown")
    if status.lifecycle == "cancelled":
        return Verdict(kind="cancelled", since=status.changed_at, reason=status.reason)
    if status.lifecycle == "rectified":
        return Verdict(kind="rectified", replaced_by=status.replaced_by, since=status.changed_at)
    return Verdict(kind="genuine")
