"""The officials' verification page mounted in the node: look-ups over the node's storage, token sign-in."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import get_args

from fastapi import APIRouter, FastAPI

from singlewindow.config import NodeSettings
from singlewindow.logging import get_logger
from singlewindow.node.web import CertificateRecord, LifecycleState, Official, TrailEvent, create_web_router
from singlewindow.node.web.model import TrailStep
from singlewindow.node.web.session import SessionRecord
from singlewindow.protocol import CertificateStatus
from singlewindow.storage import Lifecycle as StoredLifecycle
from singlewindow.storage import NodeEvent
from singlewindow.storage.node_sessions import NodeSessions
from singlewindow.verification import VerificationReport

_log = get_logger("singlewindow.node.page")
_STEPS: frozenset[str] = frozenset(get_args(TrailStep))


def _trail(events: list[NodeEvent]) -> tuple[TrailEvent, ...]:
    """The node's trail lines the page knows how to show (statuses map to steps by value)."""
    return tuple(
        TrailEvent(step=event.status, at=event.at, detail=event.detail)  # type: ignore[arg-type]
        for event in events
        if event.status in _STEPS
    )


def _status(known: StoredLifecycle | None) -> LifecycleState:
    """The certificate's lifecycle as this node knows it (active unless cancelled or rectified)."""
    if known is None or known.lifecycle not in ("cancelled", "rectified"):
        return LifecycleState()
    return LifecycleState(
        lifecycle="cancelled" if known.lifecycle == "cancelled" else "rectified",
        changed_at=known.changed_at,
        replaced_by=known.replaced_by,
        reason=known.reason,
    )


def lookup_in(app: FastAPI, certificate_id: str) -> CertificateRecord | None:
    """A received certificate with the report made on receipt; else one this node sent, verified now."""
    node = app.state.node
    received = node.store.received(certificate_id)
    if received is not None:
        return CertificateRecord(
            data=received.inbound.document,
            report=VerificationReport.model_validate_json(received.inbound.report),
            status=_status(received.lifecycle),
            trail=_trail(received.trail),
            hub_accepted_at=received.inbound.hub_accepted_at,
        )
    sent = node.store.sent(certificate_id)
    if sent is None or sent.outbound.status is CertificateStatus.REJECTED:
        return None
    report: VerificationReport = node.verify(sent.outbound.document)
    return CertificateRecord(
        data=sent.outbound.document,
        report=report,
        status=_status(sent.lifecycle),
        trail=_trail(sent.trail),
    )


def authenticate_in(app: FastAPI, token: str) -> Official | None:
    """The holder of a configured token (only its SHA-256 is stored), with this node's country."""
    node = app.state.node
    found = node.tokens.holder(token)
    if found is None:
        return None
    return Official(name=found.name, role=found.role, country=node.settings.country)


class StoredSessions:
    """The page's sessions in the node's database (read through ``app.state.node`` when called)."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def _table(self) -> NodeSessions:
        return NodeSessions(engine=self._app.state.node.store.engine)

    def start(self, record: SessionRecord) -> None:
        """Record a signed-in official's session."""
        self._table().start(
            session_id=record.session_id,
            name=record.official.name,
            role=record.official.role,
            country=record.official.country or "",
            token_sha256=record.credential,
            started_at=record.started_at,
            expires_at=record.expires_at,
        )

    def alive(self, session_id: str, *, country: str, now: datetime) -> bool:
        """Whether the session is still valid for this node (not signed out, expired or withdrawn)."""
        return self._table().alive(session_id, country=country, now=now)

    def end(self, session_id: str) -> None:
        """Sign a session out."""
        self._table().end(session_id)


def session_key(settings: NodeSettings) -> bytes:
    """The configured session secret, or a random one with a warning that sessions end at restart."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode("utf-8")
    _log.warning(
        "session_secret_unset",
        detail="SINGLEWINDOW_NODE_SESSION_SECRET is not set: a random key is used, "
        "officials' page sessions do not survive a restart",
    )
    return secrets.token_bytes(32)


def page_router(app: FastAPI, settings: NodeSettings) -> APIRouter:
    """The page's router for ``app``; look-ups read ``app.state.node`` when called (after the lifespan)."""

    def lookup(certificate_id: str) -> CertificateRecord | None:
        return lookup_in(app, certificate_id)

    def verify(data: bytes) -> VerificationReport:
        report: VerificationReport = app.state.node.verify(data)
        return report

    def authenticate(token: str) -> Official | None:
        return authenticate_in(app, token)

    def clock() -> datetime:
        now: datetime = app.state.node.clock()
        return now

    return create_web_router(
        lookup=lookup,
        verify=verify,
        authenticate=authenticate,
        node_country=settings.country,
        secret_key=session_key(settings),
        base_url=settings.public_url,
        clock=clock,
        time_zone=settings.zone,
        sessions=StoredSessions(app),
    )


__all__ = ["StoredSessions", "authenticate_in", "lookup_in", "page_router", "session_key"]
