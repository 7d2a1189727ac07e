"""Attacks on a live federation: each refused with its code, nothing stored, traffic still flows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from singlewindow.harness import SimulatedFederation
from singlewindow.harness.assault import AssaultReport, assault


@pytest.fixture(scope="module")
def report(aladi_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssaultReport]:
    """One assault on an in-process federation of three countries, shared by the checks below."""
    federation = SimulatedFederation(
        countries=["AR", "BR", "UY"], workdir=tmp_path_factory.mktemp("assault"), schema_dirs=str(aladi_dir)
    )
    federation.start()
    try:
        yield asyncio.run(assault(federation=federation, legitimate=24))
    finally:
        federation.stop()


def test_every_attack_is_refused_with_its_code(report: AssaultReport) -> None:
    """Each attack gets its HTTP status and one of its problem codes."""
    wrong = [(r.name, r.status, r.codes) for r in report.results if not r.refused]
    assert wrong == []
    assert len(report.results) >= 17


def test_a_slow_drip_body_is_refused_as_too_slow(report: AssaultReport) -> None:
    """A customs body trickled in over a real socket is cut off with 408 input.too_slow after body_timeout."""
    assert report.slow_drip == "408 input.too_slow"


def test_nothing_from_an_attack_is_stored_or_delivered(report: AssaultReport) -> None:
    """No attacked CertificateID is in the hub's store or any node's inbound store."""
    assert report.stored == []


def test_services_stay_up_and_keep_delivering(report: AssaultReport) -> None:
    """Every service is healthy afterwards and the concurrent legitimate traffic all arrived."""
    assert report.healthy
    assert report.legitimate_lost == 0
    assert report.legitimate_delivered == report.legitimate_sent == 24
    assert report.ok
