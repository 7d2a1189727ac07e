"""Officials' sessions: an HMAC-signed, HttpOnly cookie naming who signed in, and its CSRF token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from singlewindow.errors import ConfigurationError
from singlewindow.node.web.model import Official

COOKIE_NAME = "sw_session"
MIN_SECRET_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, kw_only=True)
class Session:
    """A verified session: the official, a random session id, and when it expires (Unix seconds)."""

    official: Official
    session_id: str
    expires_at: int


@dataclass(frozen=True, kw_only=True)
class SessionSigner:
    """Issues and checks session cookies and CSRF tokens with one secret key."""

    secret_key: bytes
    max_age: int = 8 * 3600

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_BYTES:
            raise ConfigurationError(f"the web session secret must be at least {MIN_SECRET_BYTES} bytes")

    def _mac(self, purpose: str, payload: str) -> str:
        message = f"{purpose}|{payload}".encode()
        return _b64(hmac.new(self.secret_key, message, hashlib.sha256).digest())

    def issue(self, *, official: Official, now: float | None = None) -> str:
        """A cookie value for ``official``, valid for ``max_age`` seconds."""
        body = {
            "name": official.name,
            "role": official.role,
            "country": official.country,
            "sid": secrets.token_urlsafe(16),
            "exp": int((time.time() if now is None else now) + self.max_age),
        }
        payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._mac('session', payload)}"

    def read(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session in a cookie value, or None when it is absent, forged, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        payload, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac("session", payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            official = Official(name=str(body["name"]), role=str(body["role"]), country=body["country"])
            session = Session(official=official, session_id=str(body["sid"]), expires_at=int(body["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires_at <= (time.time() if now is None else now):
            return None
        return session

    def csrf_token(self, session: Session) -> str:
        """The CSRF token of a session: forms carry it, and it is useless without the session cookie."""
        return self._mac("csrf", session.session_id)

    def check_csrf(self, session: Session, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token (constant-time)."""
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))
