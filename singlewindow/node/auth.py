"""Bearer-token credentials with roles for customs and officials; only token hashes are stored."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from singlewindow.config import TokenConfig
from singlewindow.errors import AuthenticationFailed, Forbidden, problem
from singlewindow.storage import NodeStore


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


def caller_of(*, store: NodeStore, authorization: str | None) -> Caller:
    """The caller behind an ``Authorization: Bearer`` header, or 401."""
    if not authorization:
        raise AuthenticationFailed(problem("auth.missing", "send Authorization: Bearer <token>"))
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(problem("auth.invalid", "only Bearer tokens are accepted"))
    found = store.token(sha256=token_hash(token.strip()))
    if found is None:
        raise AuthenticationFailed(problem("auth.invalid", "unknown token"))
    return Caller(name=found[0], role=found[1])


def require(*roles: str) -> Callable[[Request], Awaitable[Caller]]:
    """A FastAPI dependency admitting only ``roles`` (401 without credentials, 403 for another role)."""

    async def dependency(request: Request) -> Caller:
        store: NodeStore = request.app.state.node.store
        caller = await run_in_threadpool(
            lambda: caller_of(store=store, authorization=request.headers.get("authorization"))
        )
        if caller.role not in roles:
            raise Forbidden(problem("auth.forbidden", f"role {caller.role!r} may not do this"))
        return caller

    return dependency
