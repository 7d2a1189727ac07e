"""Helpers for PKI tests: the signing-time clock and look-alike / expired / foreign certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest
from cryptography import x509

from singlewindow.pki import CountryPKI, generate_key, issue_leaf


@pytest.fixture
def now() -> datetime:
    """The present, as a signing time."""
    return datetime.now(UTC)


class SignerFactory(Protocol):
    """Makes a signer certificate (see ``make_signer``)."""

    def __call__(
        self,
        *,
        issuer: CountryPKI | None,
        name: str = ...,
        country: str = ...,
        start: datetime | None = ...,
        days: int = ...,
    ) -> x509.Certificate: ...


def make_signer(
    *,
    issuer: CountryPKI | None,
    name: str = "Someone",
    country: str = "AR",
    start: datetime | None = None,
    days: int = 365,
) -> x509.Certificate:
    """A signer certificate from ``issuer``'s root CA, or self-signed when ``issuer`` is None."""
    key = generate_key(algorithm="rsa")
    start = start or datetime.now(UTC) - timedelta(days=1)
    return issue_leaf(
        public_key=key.public_key(),
        issuer_key=issuer.ca.private_key if issuer else key,
        issuer_certificate=issuer.root_ca if issuer else None,
        common_name=name,
        subject_serial="X-1",
        country=country,
        organization="Test",
        not_before=start,
        not_after=start + timedelta(days=days),
    )


@pytest.fixture(scope="session")
def signer_factory() -> SignerFactory:
    """``make_signer``, for tests that build attack certificates."""
    return make_signer
