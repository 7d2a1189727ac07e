"""Fixtures for lifecycle tests: a verification context over the session federation and a cancel factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from singlewindow.cod import SchemaRegistry
from singlewindow.lifecycle import Reason, issue_cancellation
from singlewindow.pki import Federation, Identity, Registry, TrustStore
from singlewindow.verification import VerificationContext

#: A certificate of entity 001 of AR (the session federation's entity), sent to BR.
CERTIFICATE_ID = "AR001A18260000043000"

Cancel = Callable[..., bytes]


@pytest.fixture(scope="session")
def certificate_id() -> str:
    """The CertificateID the ``cancel`` factory cancels by default (test modules do not import conftest)."""
    return CERTIFICATE_ID


@pytest.fixture(scope="session")
def context(federation: Federation) -> VerificationContext:
    """Verification against the session federation's anchors, CRLs and registry (no COD XSDs needed)."""
    return VerificationContext(
        trust=TrustStore.from_dir(federation.trust_dir),
        schemas=SchemaRegistry.load([]),
        registry=Registry.from_file(federation.trustlist_path),
    )


@pytest.fixture(scope="session")
def cancel(federation: Federation) -> Cancel:
    """Issue a signed Cancellation of CERTIFICATE_ID (AR→BR) by AR's active official unless told otherwise."""

    def make(
        *,
        official: Identity | None = None,
        certificate_id: str = CERTIFICATE_ID,
        reason: Reason | str = "issued in error",
        when: datetime | None = None,
    ) -> bytes:
        return issue_cancellation(
            certificate_id=certificate_id,
            importer_country="BR",
            reason=reason,
            when=when or datetime.now(UTC),
            official=official or federation.country("AR").official,
        )

    return make
