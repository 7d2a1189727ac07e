"""What the verification page is given: stored certificates, their status and trail, officials."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

from singlewindow.verification.report import VerificationReport

#: Where a certificate stands in its lifecycle, as the node knows it.
Lifecycle = Literal["active", "cancelled", "rectified"]

#: Steps of the delivery trail; the node's own statuses (protocol.states.CertificateStatus) map by value.
TrailStep = Literal[
    "issued",
    "submitted",
    "accepted",
    "rejected",
    "delivered",
    "received",
    "receipt",
    "failed",
    "cancelled",
    "rectified",
]


@dataclass(frozen=True, kw_only=True)
class TrailEvent:
    """One step of a certificate's journey: what happened, when, and a short detail (e.g. a delivery id)."""

    step: TrailStep
    at: datetime
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class LifecycleState:
    """The lifecycle status of a CertificateID; ``replaced_by`` names a rectification's newer certificate."""

    lifecycle: Lifecycle = "active"
    changed_at: datetime | None = None
    replaced_by: str | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CertificateRecord:
    """A certificate as this node stored it: the exact bytes, the verification report and the trail."""

    data: bytes
    report: VerificationReport
    status: LifecycleState = field(default_factory=LifecycleState)
    trail: tuple[TrailEvent, ...] = ()
    #: the hub's acceptance time a received certificate's delivery carried (its trusted time)
    hub_accepted_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Official:
    """A signed-in user of the page, as the node's credential check identified them."""

    name: str
    role: str
    country: str | None = None


# Injected look-ups may be plain functions (run in a worker thread) or coroutines.
Lookup: TypeAlias = Callable[[str], CertificateRecord | Awaitable[CertificateRecord | None] | None]
Verify: TypeAlias = Callable[[bytes], VerificationReport | Awaitable[VerificationReport]]
Authenticate: TypeAlias = Callable[[str], Official | Awaitable[Official | None] | None]
