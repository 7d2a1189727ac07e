"""The node's inbound endpoint for the hub: verify independently, store, answer with a signed receipt."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from singlewindow.errors import AuthenticationFailed, Conflict, InvalidDocument, Problem, problem
from singlewindow.logging import get_logger
from singlewindow.protocol import (
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    HUB_KEYID,
    Receipt,
    sign_receipt,
    verify_request,
)
from singlewindow.protocol.edge import read_body

router = APIRouter(tags=["hub only"])
_log = get_logger("singlewindow.node.inbound")
_ID_PATH = "/Envelope/CertOrigin/CODEH/CertificationEH/CertificateID"


@router.post("/api/v1/inbound")
async def inbound(request: Request) -> Response:
    """Accept a delivery signed by the hub; the receipt is signed only after the bytes are stored."""
    node = request.app.state.node
    body = await read_body(request, limit=node.settings.max_body_bytes)
    try:
        verify_request(
            method=request.method,
            url=str(request.url),
            body=body,
            headers=dict(request.headers),
            resolve=lambda keyid: node.hub_certificate if keyid == HUB_KEYID else None,
            required=DELIVERY_COVERS,
            max_age=node.settings.signature_max_age,
        )
    except AuthenticationFailed as exc:
        node.metrics.received.labels(outcome="not_from_hub").inc()
        detail = "; ".join(p.message for p in exc.problems)
        raise AuthenticationFailed(problem("delivery.not_from_hub", detail)) from None
    delivery = request.headers.get(DELIVERY_HEADER, "")[:40]
    claimed_id = request.headers.get(CERTIFICATE_HEADER, "")
    sha256 = hashlib.sha256(body).hexdigest()
    log = _log.bind(delivery=delivery, certificate_id=claimed_id)
    earlier = await run_in_threadpool(lambda: node.store.inbound(delivery=delivery))
    if earlier is not None:
        if earlier.sha256 != sha256:
            raise Conflict(
                problem("duplicate.conflict", f"delivery {delivery} arrived before with other bytes")
            )
        node.metrics.received.labels(outcome="duplicate").inc()
        log.info("duplicate_delivery")
        return Response(content=earlier.receipt, media_type="application/json")
    # never take the hub's word: the same full verification as anyone else's
    report = await run_in_threadpool(node.verify, body)
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
    receipt = sign_receipt(
        receipt=Receipt(
            delivery=delivery,
            certificate_id=claimed_id,
            sha256=sha256,
            received_at=now,
            node=node.settings.country,
        ),
        key=node.federation.country(node.settings.country).node.private_key,
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
        )
    )
    node.metrics.received.labels(outcome="stored" if created else "duplicate").inc()
    log.info("delivery_stored", duplicate=not created)
    return Response(content=stored.receipt, media_type="application/json")
