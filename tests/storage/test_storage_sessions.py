"""The node's officials' page sessions (migration 0003): sign-out, expiry, country and token withdrawal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from singlewindow.node.auth import token_hash
from singlewindow.storage import NodeStore
from singlewindow.storage.node_sessions import NodeSessions

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN = token_hash("br-official-token-0123456789")


def _start(sessions: NodeSessions, session_id: str = "s1", token: str = TOKEN) -> None:
    sessions.start(
        session_id=session_id,
        name="Ana Souza",
        role="official",
        country="BR",
        token_sha256=token,
        started_at=NOW,
        expires_at=NOW + timedelta(hours=8),
    )


def test_session_lives_until_sign_out_or_expiry(engine: Engine) -> None:
    """A session is alive for its own country until it expires or is signed out."""
    NodeStore(engine=engine).replace_tokens(tokens=[("Ana Souza", "official", TOKEN)], now=NOW)
    sessions = NodeSessions(engine=engine)
    _start(sessions)
    assert sessions.alive("s1", country="BR", now=NOW + timedelta(hours=1))
    assert not sessions.alive("s1", country="AR", now=NOW + timedelta(hours=1))
    assert not sessions.alive("s1", country="BR", now=NOW + timedelta(hours=8))
    sessions.end("s1")
    assert not sessions.alive("s1", country="BR", now=NOW)


def test_withdrawing_the_token_ends_its_sessions(engine: Engine) -> None:
    """When the configured tokens no longer hold the official's token, its sessions are over."""
    store = NodeStore(engine=engine)
    other = token_hash("br-other-official-token-0123456789")
    store.replace_tokens(tokens=[("Ana Souza", "official", TOKEN), ("Rui", "official", other)], now=NOW)
    sessions = NodeSessions(engine=engine)
    _start(sessions, "ana")
    _start(sessions, "rui", token=other)
    store.replace_tokens(tokens=[("Rui", "official", other)], now=NOW)
    assert not sessions.alive("ana", country="BR", now=NOW)
    assert sessions.alive("rui", country="BR", now=NOW)
    store.replace_tokens(tokens=[("Rui", "customs", other)], now=NOW)
    assert not sessions.alive("rui", country="BR", now=NOW)
    assert sessions.end_for_token(other) == 1
