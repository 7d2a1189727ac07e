"""Officials' sessions: an HMAC-signed, HttpOnly cookie naming who signed in, its CSRF token, the
server-side record that sign-out and token withdrawal delete, and the sign-in attempt limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from singlewindow.errors import ConfigurationError
from singlewindow.node.web.model import Official

COOKIE_NAME = "sw_session"
#: the sign-in form's CSRF nonce (a cookie the form's token is bound to: login CSRF protection)
SIGN_IN_COOKIE = "sw_sign_in"
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
    #: binds cookies and tokens to one node (its country): another node's cookie never verifies here
    scope: str = ""

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_BYTES:
            raise ConfigurationError(f"the web session secret must be at least {MIN_SECRET_BYTES} bytes")

    def _mac(self, purpose: str, payload: str) -> str:
        message = f"{purpose}|{self.scope}|{payload}".encode()
        return _b64(hmac.new(self.secret_key, message, hashlib.sha256).digest())

    def issue(self, *, official: Official, now: float | None = None, session_id: str | None = None) -> str:
        """A cookie value for ``official``, valid for ``max_age`` seconds."""
        body = {
            "name": official.name,
            "role": official.role,
            "country": official.country,
            "sid": session_id or new_session_id(),
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

    def sign_in_token(self, nonce: str) -> str:
        """The sign-in form's CSRF token for the nonce in the browser's sign-in cookie."""
        return self._mac("sign-in", nonce)

    def check_sign_in(self, nonce: str | None, token: str | None) -> bool:
        """Whether a sign-in form's token belongs to the nonce cookie sent with it (constant-time)."""
        return bool(nonce) and bool(token) and hmac.compare_digest(str(token), self.sign_in_token(str(nonce)))


def new_session_id() -> str:
    """A fresh random session id (128 bits)."""
    return secrets.token_urlsafe(16)


def credential_of(token: str) -> str:
    """The SHA-256 (hex) of an access token, as the node stores tokens: sessions keep it, never the token."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class SessionRecord:
    """A session as the server keeps it: who, from which token (its hash), from when and until when."""

    session_id: str
    official: Official
    credential: str
    started_at: datetime
    expires_at: datetime


class SessionStore(Protocol):
    """Where the server keeps sessions: a cookie is only honoured while its record is alive."""

    def start(self, record: SessionRecord) -> None:
        """Remember a new session."""

    def alive(self, session_id: str, *, country: str, now: datetime) -> bool:
        """Whether the session exists, belongs to ``country``, has not expired and its token still exists."""

    def end(self, session_id: str) -> None:
        """Forget a session (sign-out); unknown ids are ignored."""


@dataclass
class MemorySessions:
    """Sessions in this process's memory (tests, and a router built without a node store)."""

    _records: dict[str, SessionRecord] = field(default_factory=dict)
    _withdrawn: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, record: SessionRecord) -> None:
        """Remember a new session (and forget expired ones)."""
        with self._lock:
            for stale in [k for k, r in self._records.items() if r.expires_at <= record.started_at]:
                del self._records[stale]
            self._records[record.session_id] = record
            self._withdrawn.discard(record.credential)

    def alive(self, session_id: str, *, country: str, now: datetime) -> bool:
        """Whether the session exists for ``country``, is unexpired and its token was not withdrawn."""
        with self._lock:
            record = self._records.get(session_id)
            return (
                record is not None
                and record.official.country == country
                and record.expires_at > now
                and record.credential not in self._withdrawn
            )

    def end(self, session_id: str) -> None:
        """Forget a session."""
        with self._lock:
            self._records.pop(session_id, None)

    def withdraw(self, credential: str) -> None:
        """Withdraw a token (by its hash): every session signed in with it ends."""
        with self._lock:
            self._withdrawn.add(credential)


@dataclass
class SignInLimiter:
    """At most ``limit`` failed sign-ins per client within ``window`` seconds; then 429 until they age out."""

    limit: int = 10
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic
    max_clients: int = 10_000
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, client: str) -> int | None:
        """Seconds this client must wait before trying again, or None when it may try now."""
        with self._lock:
            now = self.clock()
            failures = self._recent(client, now)
            if len(failures) < self.limit:
                return None
            return max(1, int(failures[0] + self.window - now + 0.999))

    def failed(self, client: str) -> None:
        """Count a failed attempt of this client."""
        with self._lock:
            now = self.clock()
            if client not in self._failures and len(self._failures) >= self.max_clients:
                for key in [k for k in self._failures if not self._recent(k, now)]:
                    del self._failures[key]
                if len(self._failures) >= self.max_clients:
                    self._failures.pop(next(iter(self._failures)))
            failures = self._recent(client, now)
            failures.append(now)
            self._failures[client] = failures

    def succeeded(self, client: str) -> None:
        """Forget a client's failures once it signed in."""
        with self._lock:
            self._failures.pop(client, None)
