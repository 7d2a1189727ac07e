"""Tests of the verdict an official reads first: genuine, NOT genuine, cancelled, rectified."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from singlewindow.node.web.model import LifecycleState
from singlewindow.node.web.verdict import decide

if TYPE_CHECKING:
    from conftest import ReportFactory

CANCELLED = LifecycleState(lifecycle="cancelled", changed_at=datetime(2025, 4, 1, tzinfo=UTC))
RECTIFIED = LifecycleState(lifecycle="rectified", replaced_by="AR001A18250000004301")


def test_valid_active_certificate_is_genuine(sample_xml: bytes, make_report: ReportFactory) -> None:
    """A valid, complete certificate in force is judged genuine with no reasons."""
    verdict = decide(report=make_report(sample_xml), status=LifecycleState(), language="en")
    assert verdict.kind == "genuine" and verdict.reasons == () and verdict.icon == "✔"


@pytest.mark.parametrize("status", [LifecycleState(), CANCELLED, RECTIFIED])
def test_any_problem_makes_it_not_genuine_whatever_the_status(
    sample_xml: bytes, make_report: ReportFactory, status: LifecycleState
) -> None:
    """A tampered certificate is NOT genuine even when it is also cancelled or rectified."""
    report = make_report(sample_xml, problems=("signature.digest_mismatch",))
    verdict = decide(report=report, status=status, language="es")
    assert verdict.kind == "not_genuine"
    assert verdict.reasons == ("El contenido fue modificado después de firmado.",)


def test_reasons_are_plain_words_without_repeats(sample_xml: bytes, make_report: ReportFactory) -> None:
    """Several problems with the same meaning give one reason each, in the official's language."""
    report = make_report(sample_xml, problems=("chain.revoked", "registry.03", "chain.revoked"))
    verdict = decide(report=report, status=LifecycleState(), language="pt")
    assert verdict.reasons == (
        "O certificado de um signatário estava revogado ao assinar.",
        "A consulta ao registro de funcionários falhou: certificado revogado.",
    )


def test_an_exporter_signed_request_is_not_a_certificate(
    sample_xml: bytes, make_report: ReportFactory
) -> None:
    """A valid request that no issuing entity signed yet is never shown as a genuine certificate."""
    verdict = decide(
        report=make_report(sample_xml, stage="exporter_signed"), status=LifecycleState(), language="en"
    )
    assert verdict.kind == "not_genuine"
    assert "not an issued certificate" in verdict.reasons[0]


def test_cancelled_and_rectified_carry_their_date_and_newer_certificate(
    sample_xml: bytes, make_report: ReportFactory
) -> None:
    """A genuine but cancelled certificate says since when; a rectified one names its replacement."""
    cancelled = decide(report=make_report(sample_xml), status=CANCELLED, language="en")
    rectified = decide(report=make_report(sample_xml), status=RECTIFIED, language="en")
    assert (cancelled.kind, cancelled.since) == ("cancelled", CANCELLED.changed_at)
    assert (rectified.kind, rectified.replaced_by) == ("rectified", "AR001A18250000004301")
