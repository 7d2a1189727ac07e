"""The officials' page sessions a node keeps: started at sign-in, gone at sign-out or without their token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, select

from singlewindow.storage.engine import write_transaction
from singlewindow.storage.tables import api_tokens, node_sessions


class NodeSessions:
    """Server-side session records over the node's database (table ``node_sessions``, migration 0003)."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def start(
        self,
        *,
        session_id: str,
        name: str,
        role: str,
        country: str,
        token_sha256: str,
        started_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Record a new session, and drop the ones that expired."""
        with write_transaction(self.engine) as conn:
            conn.execute(delete(node_sessions).where(node_sessions.c.expires_at <= started_at))
            conn.execute(
                insert(node_sessions).values(
                    session_id=session_id,
                    name=name,
                    role=role,
                    country=country,
                    token_sha256=token_sha256,
                    started_at=started_at,
                    expires_at=expires_at,
                )
            )

    def alive(self, session_id: str, *, country: str, now: datetime) -> bool:
        """Whether the session exists for ``country``, has not expired, and its token still exists with
        the role it signed in with (a withdrawn or re-roled token ends its sessions)."""
        query = (
            select(node_sessions.c.session_id)
            .join(
                api_tokens,
                (api_tokens.c.token_sha256 == node_sessions.c.token_sha256)
                & (api_tokens.c.role == node_sessions.c.role),
            )
            .where(
                node_sessions.c.session_id == session_id,
                node_sessions.c.country == country,
                node_sessions.c.expires_at > now,
            )
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def end(self, session_id: str) -> None:
        """Delete a session (sign-out); an unknown id changes nothing."""
        with write_transaction(self.engine) as conn:
            conn.execute(delete(node_sessions).where(node_sessions.c.session_id == session_id))

    def end_for_token(self, token_sha256: str) -> int:
        """Delete every session signed in with a token (its withdrawal); the number deleted."""
        with write_transaction(self.engine) as conn:
            result = conn.execute(delete(node_sessions).where(node_sessions.c.token_sha256 == token_sha256))
        return int(result.rowcount or 0)
