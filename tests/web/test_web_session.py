"""Tests of the officials' signed session cookie and its CSRF token."""

from __future__ import annotations

import pytest

from singlewindow.errors import ConfigurationError
from singlewindow.node.web.model import Official
from singlewindow.node.web.session import SessionSigner

SECRET = b"k" * 32
OFFICIAL = Official(name="Ana Souza", role="official", country="BR")


def test_issued_cookie_reads_back_as_the_official() -> None:
    """A cookie issued for an official reads back as that official until it expires."""
    signer = SessionSigner(secret_key=SECRET, max_age=60)
    session = signer.read(signer.issue(official=OFFICIAL, now=1000), now=1030)
    assert session is not None and session.official == OFFICIAL
    assert signer.read(signer.issue(official=OFFICIAL, now=1000), now=1061) is None


@pytest.mark.parametrize("mutate", ["payload", "mac", "other-key", "garbage", "empty"])
def test_forged_or_damaged_cookies_are_refused(mutate: str) -> None:
    """A cookie whose payload or MAC was changed, or that another key signed, is no session."""
    signer = SessionSigner(secret_key=SECRET)
    payload, mac = signer.issue(official=OFFICIAL).split(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    value = {
        "payload": f"{forged_payload}.{mac}",
        "mac": f"{payload}.{mac[:-2]}xx",
        "other-key": SessionSigner(secret_key=b"o" * 32).issue(official=OFFICIAL),
        "garbage": "not-a-cookie",
        "empty": "",
    }[mutate]
    assert signer.read(value) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    """A CSRF token is accepted only with the session it was made for."""
    signer = SessionSigner(secret_key=SECRET)
    first = signer.read(signer.issue(official=OFFICIAL))
    second = signer.read(signer.issue(official=OFFICIAL))
    assert first is not None and second is not None
    assert signer.check_csrf(first, signer.csrf_token(first))
    assert not signer.check_csrf(first, signer.csrf_token(second))
    assert not signer.check_csrf(first, None)


def test_short_secret_is_a_configuration_error() -> None:
    """A secret shorter than 32 bytes is refused at start-up, not used."""
    with pytest.raises(ConfigurationError):
        SessionSigner(secret_key=b"short")
