"""The node's inbound endpoint for the hub: verify independently, store, answer with a signed receipt."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from singlewindow.errors import AuthenticationFailed, Conflict, InvalidDocument, Problem, problem
from singlewindow.lifecycle import is_cancellation
from singlewindow.logging import get_logger
from singlewindow.protocol import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    HUB_KEYID,
    Receipt,
    sign_receipt,
    verify_request,
)
from singlewindow.protocol.edge import read_body
from singlewindow.protocol.openapi import request_body
from singlewindow.storage import CANCELLATION, Lifecycle
from singlewindow.verification.time_rules import DEFAULT_MAX_CLOCK_SKEW, Acceptance
from singlewindow.xmlsec import parse_xml

if TYPE_CHECKING:
    from singlewindow.node.app import NodeState

router = APIRouter(tags=["hub only"])
_log = get_logger("singlewindow.node.inbound")
_ID_PATH = "/Envelope/CertOrigin/CODEH/CertificationEH/CertificateID"


def require_hub_signature(
    request: Request, body: bytes, *, node: NodeState, covers: tuple[str, ...] = DELIVERY_COVERS
) -> None:
    """Refuse (401 ``delivery.not_from_hub``) a request the hub's pinned key did not sign over ``covers``."""
    try:
        verify_request(
            method=request.method,
            url=str(request.url),
            body=body,
            headers=dict(request.headers),
            resolve=lambda keyid: node.hub_certificate if keyid == HUB_KEYID else None,
            required=covers,
            max_age=node.settings.signature_max_age,
            now=node.clock().timestamp(),
        )
    except AuthenticationFailed as exc:
        detail = "; ".join(p.message for p in exc.problems)
        raise AuthenticationFailed(problem("delivery.not_from_hub", detail)) from None


@router.post(
    "/api/v1/inbound",
    openapi_extra=request_body(
        description="the exact accepted bytes of a delivery, signed by the hub", xml=True
    ),
)
async def inbound(request: Request) -> Response:
    """Accept a delivery signed by the hub; the receipt is signed only after the bytes are stored."""
    node = request.app.state.node
    body = await read_body(request, limit=node.settings.max_body_bytes, timeout=node.settings.body_timeout)
    try:
        require_hub_signature(request, body, node=node)
    except AuthenticationFailed:
        node.metrics.received.labels(outcome="not_from_hub").inc()
        raise
    delivery = request.headers.get(DELIVERY_HEADER, "")[:40]
    claimed_id = request.headers.get(CERTIFICATE_HEADER, "")
    # one hand-off to a worker thread for the whole intake (each one costs CPU on both sides)
    receipt, accepted_at = await run_in_threadpool(
        lambda: _take(request, body=body, delivery=delivery, claimed_id=claimed_id)
    )
    if receipt is None:
        # revocation is judged at the hub's acceptance time (the trusted time), as well as at signing time
        acceptance = Acceptance(at=accepted_at, judge_signers=True)
        return await _cancellation(
            request, body=body, delivery=delivery, claimed_id=claimed_id, acceptance=acceptance
        )
    return Response(content=receipt, media_type="application/json")


def _take(request: Request, *, body: bytes, delivery: str, claimed_id: str) -> tuple[bytes | None, datetime]:
    """Recognise a repeat, verify, store and sign the receipt of a COD delivery (in a worker thread).

    ``(receipt, the hub's acceptance time)``; no receipt for a Cancellation (taken by
    ``_cancellation``). Raises the refusal.
    """
    node = request.app.state.node
    sha256 = hashlib.sha256(body).hexdigest()
    log = _log.bind(delivery=delivery, certificate_id=claimed_id)
    earlier = node.store.inbound(delivery=delivery)
    if earlier is not None:
        if earlier.sha256 != sha256:
            raise Conflict(
                problem("duplicate.conflict", f"delivery {delivery} arrived before with other bytes")
            )
        node.metrics.received.labels(outcome="duplicate").inc()
        log.info("duplicate_delivery")
        return bytes(earlier.receipt), node.clock()
    accepted_at = _hub_accepted_at(request.headers.get(ACCEPTED_AT_HEADER, ""), now=node.clock())
    root = parse_xml(body, max_bytes=node.settings.max_body_bytes)
    if is_cancellation(root):
        return None, accepted_at
    # revocation is judged at the hub's acceptance time (the trusted time), as well as at signing time
    acceptance = Acceptance(at=accepted_at, judge_signers=True)
    # never take the hub's word: the same full verification as anyone else's
    report = node.verify(body, acceptance)
    problems: list[Problem] = list(report.problems)
    if report.importer_country != node.settings.country:
        problems.append(
            problem(
                "routing.unknown_destination", f"the document is for {report.importer_country}, not this node"
            )
        )
    if report.certificate_id != claimed_id:
        problems.append(
            problem("cod.certificate_id_invalid", "the delivery header names another CertificateID", _ID_PATH)
        )
    if problems:
        node.metrics.received.labels(outcome="refused").inc()
        log.warning("delivery_refused", codes=[p.code for p in problems])
        raise InvalidDocument(problems)
    now = node.clock()
    receipt = _receipt(request, delivery=delivery, certificate_id=claimed_id, sha256=sha256, now=now)
    stored, created = node.store.store_inbound(
        delivery=delivery,
        certificate_id=claimed_id,
        sha256=sha256,
        document=body,
        report=report.model_dump_json(),
        receipt=receipt,
        now=now,
        hub_accepted_at=accepted_at,
    )
    node.metrics.received.labels(outcome="stored" if created else "duplicate").inc()
    log.info("delivery_stored", duplicate=not created)
    return bytes(stored.receipt), accepted_at


def _hub_accepted_at(value: str, *, now: datetime) -> datetime:
    """The hub's acceptance time from its signed header; 422 ``time.acceptance_invalid`` if unusable."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = (
            f"the delivery carries no usable {ACCEPTED_AT_HEADER} (RFC 3339 with offset): {value[:40]!r}"
        )
        raise InvalidDocument(problem("time.acceptance_invalid", message))
    moment = moment.astimezone(UTC)
    if moment > now + DEFAULT_MAX_CLOCK_SKEW:
        message = (
            f"the hub's acceptance time {moment.isoformat()} lies after this node's clock {now.isoformat()}"
        )
        raise InvalidDocument(problem("time.acceptance_invalid", message))
    return moment


def _receipt(request: Request, *, delivery: str, certificate_id: str, sha256: str, now: datetime) -> bytes:
    node = request.app.state.node
    return sign_receipt(
        receipt=Receipt(
            delivery=delivery,
            certificate_id=certificate_id,
            sha256=sha256,
            received_at=now,
            node=node.settings.country,
        ),
        key=node.federation.country(node.settings.country).node.private_key,
    )


async def _cancellation(
    request: Request, *, body: bytes, delivery: str, claimed_id: str, acceptance: Acceptance
) -> Response:
    """A Cancellation from the hub: verified by this node itself, stored, the certificate marked cancelled."""
    node = request.app.state.node
    log = _log.bind(delivery=delivery, certificate_id=claimed_id)
    report = await run_in_threadpool(node.verify_lifecycle, body, acceptance)
    problems: list[Problem] = list(report.problems)
    if report.importer_country != node.settings.country:
        problems.append(
            problem(
                "routing.unknown_destination",
                f"the cancellation is for {report.importer_country}, not this node",
                "/Cancellation/ImporterCountry",
            )
        )
    if report.certificate_id != claimed_id:
        problems.append(
            problem(
                "lifecycle.invalid",
                "the delivery header names another CertificateID",
                "/Cancellation/CertificateID",
            )
        )
    if problems:
        node.metrics.received.labels(outcome="refused").inc()
        log.warning("cancellation_refused", codes=[p.code for p in problems])
        raise InvalidDocument(problems)
    now = node.clock()
    sha256 = hashlib.sha256(body).hexdigest()
    receipt = _receipt(request, delivery=delivery, certificate_id=claimed_id, sha256=sha256, now=now)
    state = Lifecycle(
        certificate_id=claimed_id,
        lifecycle="cancelled",
        changed_at=report.cancellation_date or now,
        replaced_by=None,
        reason=report.reason or "",
    )
    stored, created = await run_in_threadpool(
        lambda: node.store.store_inbound(
            delivery=delivery,
            certificate_id=claimed_id,
            sha256=sha256,
            document=body,
            report=report.model_dump_json(),
            receipt=receipt,
            now=now,
            kind=CANCELLATION,
            lifecycle=state,
            hub_accepted_at=acceptance.at,
        )
    )
    node.metrics.received.labels(outcome="stored" if created else "duplicate").inc()
    log.info("cancellation_stored", duplicate=not created)
    return Response(content=stored.receipt, media_type="application/json")
