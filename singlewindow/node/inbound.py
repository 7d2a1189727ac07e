"""The node's inbound endpoint for the hub: verify independently, store, answer with a signed receipt."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from singlewindow.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidDocument,
    Problem,
    SinglewindowError,
    problem,
)
from singlewindow.lifecycle import is_cancellation
from singlewindow.logging import get_logger
from singlewindow.offload import in_thread
from singlewindow.protocol import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    HUB_KEYID,
    JSON_BODY_COVERS,
    MAX_DOCUMENTS_BODY,
    DeliveredBody,
    DeliveredItem,
    DeliveriesBody,
    DeliveryItem,
    Receipt,
    sign_receipt,
    verify_request,
)
from singlewindow.protocol.edge import header_fields, json_body, read_body
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
            headers=header_fields(request),
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
    _from_hub(request, body, node=node, covers=DELIVERY_COVERS)
    receipt = await _intake(
        node,
        document=body,
        delivery=request.headers.get(DELIVERY_HEADER, "")[:40],
        claimed_id=request.headers.get(CERTIFICATE_HEADER, ""),
        accepted_at=request.headers.get(ACCEPTED_AT_HEADER, ""),
    )
    return Response(content=receipt, media_type="application/json")


@router.post(
    "/api/v1/inbound/batch",
    openapi_extra=request_body(
        description="several deliveries for this node in one request, signed by the hub",
        json_model=DeliveriesBody,
    ),
)
async def inbound_batch(request: Request) -> JSONResponse:
    """Several deliveries at once, each taken exactly as ``/api/v1/inbound`` takes one.

    401 ``delivery.not_from_hub`` unless signed by the hub; 400 ``input.invalid_fields`` for a body
    that is not a delivery of several documents. Otherwise 200, answering each document in order
    with the status and receipt or problems the single form would have answered with.
    """
    node = request.app.state.node
    body = await read_body(request, limit=MAX_DOCUMENTS_BODY, timeout=node.settings.body_timeout)
    _from_hub(request, body, node=node, covers=JSON_BODY_COVERS)
    items = json_body(DeliveriesBody, body).deliveries
    # side by side: their verifications overlap and their stores share one commit (group commit)
    answers = await asyncio.gather(*(_answer(node, item) for item in items))
    return JSONResponse(content=DeliveredBody(deliveries=answers).model_dump(mode="json"))


def _from_hub(request: Request, body: bytes, *, node: NodeState, covers: tuple[str, ...]) -> None:
    try:
        require_hub_signature(request, body, node=node, covers=covers)
    except AuthenticationFailed:
        node.metrics.received.labels(outcome="not_from_hub").inc()
        raise


async def _answer(node: NodeState, item: DeliveryItem) -> DeliveredItem:
    """One document of a batch, answered as the single form would have answered it."""
    try:
        receipt = await _intake(
            node,
            document=item.document,
            delivery=item.delivery,
            claimed_id=item.certificate_id,
            accepted_at=item.accepted_at,
        )
    except SinglewindowError as exc:
        return DeliveredItem(delivery=item.delivery, status=exc.status_code, problems=exc.problems)
    return DeliveredItem(delivery=item.delivery, status=200, receipt=json.loads(receipt))


async def _intake(
    node: NodeState, *, document: bytes, delivery: str, claimed_id: str, accepted_at: str
) -> bytes:
    """Take one delivered document; its signed receipt, or the refusal raised."""
    # one hand-off to a worker thread for the whole intake (each one costs CPU on both sides)
    receipt, moment = await in_thread(
        lambda: _take(node, body=document, delivery=delivery, claimed_id=claimed_id, accepted_at=accepted_at)
    )
    if receipt is None:
        # revocation is judged at the hub's acceptance time (the trusted time), as well as at signing time
        acceptance = Acceptance(at=moment, judge_signers=True)
        receipt = await _cancellation(
            node, body=document, delivery=delivery, claimed_id=claimed_id, acceptance=acceptance
        )
    return receipt


def _take(
    node: NodeState, *, body: bytes, delivery: str, claimed_id: str, accepted_at: str
) -> tuple[bytes | None, datetime]:
    """Recognise a repeat, verify, store and sign the receipt of a COD delivery (in a worker thread).

    ``(receipt, the hub's acceptance time)``; no receipt for a Cancellation (taken by
    ``_cancellation``). Raises the refusal.
    """
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
    moment = _hub_accepted_at(accepted_at, now=node.clock())
    root = parse_xml(body, max_bytes=node.settings.max_body_bytes)
    if is_cancellation(root):
        return None, moment
    # revocation is judged at the hub's acceptance time (the trusted time), as well as at signing time
    acceptance = Acceptance(at=moment, judge_signers=True)
    # never take the hub's word: the same full verification as anyone else's
    report = node.verify(body, acceptance, root=root)
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
    receipt = _receipt(node, delivery=delivery, certificate_id=claimed_id, sha256=sha256, now=now)
    stored, created = node.store.store_inbound(
        delivery=delivery,
        certificate_id=claimed_id,
        sha256=sha256,
        document=body,
        report=report.model_dump_json(),
        receipt=receipt,
        now=now,
        hub_accepted_at=moment,
    )
    node.metrics.received.labels(outcome="stored" if created else "duplicate").inc()
    log.info("delivery_stored", duplicate=not created)
    return bytes(stored.receipt), moment


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


def _receipt(node: NodeState, *, delivery: str, certificate_id: str, sha256: str, now: datetime) -> bytes:
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
    node: NodeState, *, body: bytes, delivery: str, claimed_id: str, acceptance: Acceptance
) -> bytes:
    """A Cancellation from the hub: verified by this node itself, stored, the certificate marked cancelled."""
    log = _log.bind(delivery=delivery, certificate_id=claimed_id)
    report = await in_thread(node.verify_lifecycle, body, acceptance)
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
    receipt = _receipt(node, delivery=delivery, certificate_id=claimed_id, sha256=sha256, now=now)
    state = Lifecycle(
        certificate_id=claimed_id,
        lifecycle="cancelled",
        changed_at=report.cancellation_date or now,
        replaced_by=None,
        reason=report.reason or "",
    )
    stored, created = await in_thread(
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
    return bytes(stored.receipt)
