"""The exporting node hears from the hub that its delivery settled (push instead of poll)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from singlewindow.errors import NotFound, UnusableInput, problem
from singlewindow.logging import get_logger
from singlewindow.node.inbound import require_hub_signature
from singlewindow.protocol import (
    CERTIFICATE_HEADER,
    DELIVERY_HEADER,
    CertificateStatus,
    TrailBody,
)
from singlewindow.protocol.edge import read_body
from singlewindow.protocol.openapi import request_body
from singlewindow.storage import NodeStore, Outbound

router = APIRouter(tags=["hub only"])
_log = get_logger("singlewindow.node.outcomes")
#: a push can overtake the hub's own 202 answer: wait this long for the row to show ``accepted``
_ACCEPTED_WAIT_S = 2.0
_MAX_BODY = 256 * 1024


async def _accepted_row(request: Request, trail: TrailBody) -> Outbound | None:
    """This node's submission the trail is about, once the hub's 202 for it is recorded."""
    store: NodeStore = request.app.state.node.store
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _ACCEPTED_WAIT_S
    while True:
        rows = await run_in_threadpool(store.submissions, trail.certificate_id)
        mine = next((row for row in rows if row.delivery == trail.delivery), None)
        if mine is not None:
            return mine
        waiting = any(row.status is CertificateStatus.SUBMITTED for row in rows)
        if not waiting or loop.time() >= deadline:
            return None
        await asyncio.sleep(0.02)


@router.post(
    "/api/v1/outcomes",
    openapi_extra=request_body(
        description="a settled delivery of this node's certificate, signed by the hub", json_model=TrailBody
    ),
)
async def outcome(request: Request) -> JSONResponse:
    """Take the hub's word that a delivery settled; ``delivered`` still needs the destination's receipt.

    401 ``delivery.not_from_hub`` unless signed by the hub; 404 ``delivery.not_found`` for a delivery
    this node did not send. Answers the certificate's status here; the same push again changes nothing.
    """
    node = request.app.state.node
    body = await read_body(request, limit=_MAX_BODY, timeout=node.settings.body_timeout)
    require_hub_signature(request, body, node=node)
    try:
        trail = TrailBody.model_validate_json(body)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise UnusableInput(problem("input.invalid_fields", details[:500])) from None
    signed_for = (request.headers.get(DELIVERY_HEADER, ""), request.headers.get(CERTIFICATE_HEADER, ""))
    if signed_for != (trail.delivery, trail.certificate_id):
        raise UnusableInput(
            problem("input.invalid_fields", "the signed delivery headers name another delivery")
        )
    outbound = await _accepted_row(request, trail) if trail.sender == node.settings.country else None
    if outbound is None:
        raise NotFound(
            problem("delivery.not_found", f"no delivery {trail.delivery[:64]!r} was sent from this node")
        )
    settled = await node.outbox.apply(outbound, trail, pushed=True)
    _log.info(
        "outcome_pushed",
        delivery=trail.delivery,
        certificate_id=trail.certificate_id,
        status=settled.status.value,
    )
    return JSONResponse(
        content={
            "certificate_id": settled.certificate_id,
            "delivery": trail.delivery,
            "status": settled.status.value,
        }
    )
