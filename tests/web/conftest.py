"""Fixtures of the verification page tests: sample certificates and reports shaped like the verifier's."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Protocol

import pytest

from singlewindow.cod import sample_certificate, to_bytes
from singlewindow.errors import problem
from singlewindow.verification.report import Signer, VerificationReport

WHEN = datetime(2025, 3, 14, 13, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def sample_xml() -> bytes:
    """A complete (unsigned) FormA18 certificate with three lines of goods, for layout tests."""
    return to_bytes(sample_certificate(goods=3, when=WHEN, number=43), stage="complete")


class ReportFactory(Protocol):
    """Builds a report shaped like the verifier's for some bytes."""

    def __call__(
        self, data: bytes, *, problems: tuple[str, ...] = (), stage: str = "complete"
    ) -> VerificationReport: ...


def _make_report(
    data: bytes, *, problems: tuple[str, ...] = (), stage: str = "complete"
) -> VerificationReport:
    signers = [
        Signer(
            role="exporter",
            name="Exportadora Demo S.A.",
            subject="CN=Exportadora Demo S.A.,C=AR",
            serial_number="1001",
            country="AR",
            anchor="AR Root CA",
            signed_at=WHEN,
            valid_at_signing_time=True,
            signature_valid="signature.digest_mismatch" not in problems,
        ),
        Signer(
            role="official",
            name="Lucía Pérez",
            subject="CN=Lucía Pérez,O=Cámara,C=AR",
            serial_number="2002",
            entity="001",
            country="AR",
            anchor="AR Root CA",
            signed_at=WHEN,
            valid_at_signing_time="chain.revoked" not in problems,
            registry_code="03" if "registry.03" in problems else "00",
            signature_valid=True,
        ),
    ]
    return VerificationReport(
        valid=not problems,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        certificate_id="AR001A18250000004300",
        stage=stage,  # type: ignore[arg-type]
        problems=[problem(code, path="/Envelope") for code in problems],
        signers=signers,
    )


@pytest.fixture(scope="session")
def make_report() -> ReportFactory:
    """A factory of reports with the verifier's shape: valid when no problem code is given."""
    return _make_report
