"""The verdict an official reads first: genuine, NOT genuine, cancelled or rectified, with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from singlewindow.node.web.i18n import Language, problem_text, translate
from singlewindow.node.web.model import LifecycleState
from singlewindow.verification.report import VerificationReport

VerdictKind = Literal["genuine", "not_genuine", "cancelled", "rectified"]

#: A text icon per verdict, so the banner never relies on colour alone.
ICONS: dict[VerdictKind, str] = {"genuine": "✔", "not_genuine": "✖", "cancelled": "⊘", "rectified": "↻"}


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What the banner says: the kind, its reasons in plain words, and for rectifications the newer ID."""

    kind: VerdictKind
    reasons: tuple[str, ...] = ()
    replaced_by: str | None = None
    since: datetime | None = None

    @property
    def icon(self) -> str:
        """The banner's icon, read out by screen readers only through the word beside it."""
        return ICONS[self.kind]


def decide(*, report: VerificationReport, status: LifecycleState, language: Language) -> Verdict:
    """Judge one document: any problem or an unissued request is NOT genuine; else its lifecycle decides."""
    reasons: list[str] = []
    for found in report.problems:
        text = problem_text(found.code, language=language, fallback=found.message)
        if text not in reasons:
            reasons.append(text)
    if report.valid and report.stage not in (None, "complete"):
        reasons.append(translate("not_a_certificate", language=language))
    if reasons or not report.valid:
        return Verdict(kind="not_genuine", reasons=tuple(reasons))
    if status.lifecycle == "cancelled":
        return Verdict(kind="cancelled", since=status.changed_at)
    if status.lifecycle == "rectified":
        return Verdict(kind="rectified", replaced_by=status.replaced_by, since=status.changed_at)
    return Verdict(kind="genuine")
