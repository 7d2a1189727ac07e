"""The exporting node hears from the hub that its deliveries settled (push instead of poll)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from singlewindow.errors import problem
from singlewindow.logging import get_logger
from singlewindow.node.inbound import require_hub_signature
from singlewindow.offload import in_thread
from singlewindow.protocol import JSON_BODY_COVERS, CertificateStatus, OutcomesBody, TrailBody
from singlewindow.protocol.edge import json_body, read_body
from singlewindow.protocol.openapi import request_body
from singlewindow.storage import NodeStore, Outbound

router = APIRouter(tags=["hub only"])
_log = get_logger("singlewindow.node.outcomes")
#: a push can overtake the hub's own 202 answer: wait this long for a row to show ``accepted``
_ACCEPTED_WAIT_S = 2.0
#: 64 outcomes with the longest details the hub keeps (2,000 characters, escaped in JSON)
_MAX_BODY = 1024 * 1024


async def _accepted_rows(request: Request, trails: list[TrailBody]) -> dict[str, Outbound]:
    """This node's submissions the trails are about, by delivery, once the hub's 202s are recorded."""
    node = request.app.state.node
    store: NodeStore = node.store
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _ACCEPTED_WAIT_S
    found: dict[str, Outbound] = {}
    wanted = [trail for trail in trails if trail.sender == node.settings.country]
    while wanted:
        rows = await in_thread(store.submissions, {trail.certificate_id for trail in wanted})
        by_delivery = {row.delivery: row for row in rows if row.delivery is not None}
        found |= {
            trail.delivery: by_delivery[trail.delivery] for trail in wanted if trail.delivery in by_delivery
        }
        # a push can overtake the hub's 202 for a submission: still ``submitted`` here, wait for it
        waiting = {row.certificate_id for row in rows if row.status is CertificateStatus.SUBMITTED}
        wanted = [t for t in wanted if t.delivery not in found and t.certificate_id in waiting]
        if wanted:
            if loop.time() >= deadline:
                break
            await asyncio.sleep(0.02)
    return found


@router.post(
    "/api/v1/outcomes",
    openapi_extra=request_body(
        description="settled deliveries of this node's certificates, signed by the hub",
        json_model=OutcomesBody,
    ),
)
async def outcomes(request: Request) -> JSONResponse:
    """Take the hub's word that deliveries settled; ``delivered`` still needs the destination's receipt.

    401 ``delivery.not_from_hub`` unless signed by the hub; 400 ``input.invalid_fields`` for a body
    that is not an outcome push. Answers each outcome in order with the certificate's status here,
    or with the problem ``delivery.not_found`` for a delivery this node did not send; the same push
    again changes nothing.
    """
    node = request.app.state.node
    body = await read_body(request, limit=_MAX_BODY, timeout=node.settings.body_timeout)
    require_hub_signature(request, body, node=node, covers=JSON_BODY_COVERS)
    pushed = json_body(OutcomesBody, body).outcomes
    rows = await _accepted_rows(request, pushed)
    known = [(rows[trail.delivery], trail) for trail in pushed if trail.delivery in rows]
    settled = iter(await node.outbox.apply_pushed(known))
    answers: list[dict[str, Any]] = []
    for trail in pushed:
        answer: dict[str, Any] = {"certificate_id": trail.certificate_id, "delivery": trail.delivery}
        if trail.delivery in rows:
            answer["status"] = next(settled).status.value
        else:
            message = f"no delivery {trail.delivery[:64]!r} was sent from this node"
            answer["problems"] = [problem("delivery.not_found", message).model_dump()]
        answers.append(answer)
    _log.info("outcomes_pushed", outcomes=len(pushed), unknown=len(pushed) - len(known))
    return JSONResponse(content={"outcomes": answers})
