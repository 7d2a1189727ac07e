"""Bearer-token credentials with roles for customs and officials; only token hashes are stored."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from fastapi import Request

from singlewindow.config import TokenConfig
from singlewindow.errors import AuthenticationFailed, Forbidden, problem


@dataclass(frozen=True)
class Caller:
    """Who is calling: the credential's name and role."""

    name: str
    role: str


def token_hash(token: str) -> str:
    """SHA-256 of a token (tokens are long random strings, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def configured(tokens: list[TokenConfig]) -> list[tuple[str, str, str]]:
    """``(name, role, sha256)`` for each configured token; plaintext never goes further."""
    return [(t.name, t.role, t.sha256 or token_hash(t.token or "")) for t in tokens]


@dataclass(frozen=True)
class Tokens:
    """The configured tokens by SHA-256: they change only with the settings, so checks read no database.

    The same list is written to the node's database when it starts (``NodeStore.replace_tokens``), where
    the page's sessions are joined with it: withdrawing a token from the settings ends its sessions.
    """

    by_sha256: Mapping[str, Caller]

    @classmethod
    def of(cls, listed: list[tuple[str, str, str]]) -> Tokens:
        """The callers of ``configured``'s ``(name, role, sha256)`` list."""
        return cls({digest: Caller(name=name, role=role) for name, role, digest in listed})

    def holder(self, token: str) -> Caller | None:
        """Who holds ``token`` (surrounding blanks ignored), or None."""
        return self.by_sha256.get(token_hash(token.strip()))

    def caller(self, authorization: str | None) -> Caller:
        """The caller behind an ``Authorization: Bearer`` header, or 401."""
        if not authorization:
            raise AuthenticationFailed(problem("auth.missing", "send Authorization: Bearer <token>"))
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed(problem("auth.invalid", "only Bearer tokens are accepted"))
        found = self.holder(token)
        if found is None:
            raise AuthenticationFailed(problem("auth.invalid", "unknown token"))
        return found


def require(*roles: str) -> Callable[[Request], Awaitable[Caller]]:
    """A FastAPI dependency admitting only ``roles`` (401 without credentials, 403 for another role)."""

    async def dependency(request: Request) -> Caller:
        tokens: Tokens = request.app.state.node.tokens
        caller = tokens.caller(request.headers.get("authorization"))
        if caller.role not in roles:
            raise Forbidden(problem("auth.forbidden", f"role {caller.role!r} may not do this"))
        return caller

    return dependency
