"""Customs API of a node: submit a certificate (JSON fields or COD XML) and read its status."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from singlewindow.errors import Forbidden, InvalidDocument, NotFound, Problem, problem
from singlewindow.node.auth import Caller, require
from singlewindow.protocol import CertificateStatus
from singlewindow.protocol.edge import problems_response, read_body
from singlewindow.storage import Outbound
from singlewindow.verification import complete_and_sign

router = APIRouter(tags=["customs"])
Customs = Annotated[Caller, Depends(require("customs"))]
Reader = Annotated[Caller, Depends(require("customs", "official"))]


def _status_url(request: Request, certificate_id: str) -> str:
    public = request.app.state.node.settings.public_url
    if public:
        return f"{public.rstrip('/')}/api/v1/certificates/{certificate_id}"
    return str(request.url_for("certificate", certificate_id=certificate_id))


def _outbound_body(request: Request, outbound: Outbound) -> dict[str, Any]:
    store = request.app.state.node.store
    trail = store.trail(outbound.certificate_id, direction="outbound")
    return {
        "certificate_id": outbound.certificate_id,
        "direction": "outbound",
        "status": outbound.status.value,
        "status_url": _status_url(request, outbound.certificate_id),
        "delivery": outbound.delivery,
        "sha256": outbound.sha256,
        "problems": json.loads(outbound.problems) if outbound.problems else [],
        "receipt": json.loads(outbound.receipt) if outbound.receipt else None,
        "trail": [{"status": e.status, "at": e.at.isoformat(), "detail": e.detail} for e in trail],
    }


@router.post("/api/v1/certificates", status_code=202)
async def submit(request: Request, _caller: Customs) -> JSONResponse:
    """Complete and sign what is missing, submit to the hub; idempotent on CertificateID."""
    node = request.app.state.node
    body = await read_body(request, limit=node.settings.max_body_bytes)
    input_sha256 = hashlib.sha256(body).hexdigest()
    document = await run_in_threadpool(
        lambda: complete_and_sign(
            body,
            federation=node.federation,
            country=node.settings.country,
            max_bytes=node.settings.max_body_bytes,
        )
    )
    # the node checks its own output like anyone else would before it leaves the country
    report = await run_in_threadpool(node.verify, document)
    if not report.valid or report.certificate_id is None:
        problems: list[Problem] = list(report.problems) or [problem("cod.certificate_id_invalid")]
        raise InvalidDocument(problems)
    outbound, created = await run_in_threadpool(
        lambda: node.store.create_outbound(
            certificate_id=report.certificate_id,
            input_sha256=input_sha256,
            sha256=hashlib.sha256(document).hexdigest(),
            document=document,
            now=node.clock(),
        )
    )
    if created or outbound.status is CertificateStatus.SUBMITTED:
        outbound = await node.outbox.submit(outbound)
    answer = await run_in_threadpool(_outbound_body, request, outbound)
    answer["duplicate"] = not created
    if outbound.status is CertificateStatus.REJECTED:
        return problems_response(
            status_code=422,
            problems=[Problem.model_validate(p) for p in answer.pop("problems")],
            **answer,
        )
    return JSONResponse(status_code=202 if created else 200, content=answer)


@router.get("/api/v1/certificates/{certificate_id}", name="certificate")
async def status(certificate_id: str, request: Request, caller: Reader) -> JSONResponse:
    """Status and trail of a sent certificate; for officials also received ones with their report."""
    node = request.app.state.node
    certificate_id = certificate_id[:20]
    outbound = await run_in_threadpool(node.store.outbound, certificate_id)
    if outbound is not None:
        if outbound.status is CertificateStatus.ACCEPTED:
            with anyio.move_on_after(5):
                outbound = await node.outbox.refresh(outbound)
        return JSONResponse(content=await run_in_threadpool(_outbound_body, request, outbound))
    inbound = await run_in_threadpool(node.store.inbound_for, certificate_id)
    if inbound is None:
        raise NotFound(problem("delivery.not_found", f"no certificate {certificate_id} on this node"))
    if caller.role != "official":
        raise Forbidden(problem("auth.forbidden", "received certificates are for officials"))
    trail = await run_in_threadpool(lambda: node.store.trail(certificate_id, direction="inbound"))
    return JSONResponse(
        content={
            "certificate_id": inbound.certificate_id,
            "direction": "inbound",
            "status": CertificateStatus.RECEIVED.value,
            "delivery": inbound.delivery,
            "sha256": inbound.sha256,
            "received_at": inbound.received_at.isoformat(),
            "report": json.loads(inbound.report),
            "receipt": json.loads(inbound.receipt),
            "trail": [{"status": e.status, "at": e.at.isoformat(), "detail": e.detail} for e in trail],
        }
    )
