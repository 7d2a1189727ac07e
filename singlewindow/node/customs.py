"""Customs API of a node: submit a certificate (JSON fields or COD XML) and read its status."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from singlewindow.cod.layouts import find_layout, unknown_message
from singlewindow.cod.model import Certificate
from singlewindow.errors import (
    Conflict,
    Forbidden,
    InvalidDocument,
    NotFound,
    Problem,
    UnusableInput,
    problem,
)
from singlewindow.lifecycle import Reason, issue_cancellation
from singlewindow.node.auth import Caller, require
from singlewindow.node.changes import MAX_WAIT_S
from singlewindow.node.outbound import RETRY_AFTER
from singlewindow.offload import in_thread
from singlewindow.protocol import UNDER_WAY, CertificateStatus
from singlewindow.protocol.edge import absolute_url, json_body, problems_response, read_body
from singlewindow.protocol.openapi import request_body
from singlewindow.storage import CANCELLATION, Lifecycle, Outbound, ReceivedCertificate, SentCertificate
from singlewindow.verification import complete_and_sign
from singlewindow.xmlsec import parse_xml
from singlewindow.xmlsec.names import CERT_ORIGIN, DS_SIGNATURE

router = APIRouter(tags=["customs"])
#: a certificate's status (``status_url`` of every submission)
CERTIFICATE_PATH = "/api/v1/certificates/{certificate_id}"
Customs = Annotated[Caller, Depends(require("customs"))]
Reader = Annotated[Caller, Depends(require("customs", "official"))]


def _status_url(request: Request, certificate_id: str) -> str:
    public: str | None = request.app.state.node.settings.public_url
    path = CERTIFICATE_PATH.format(certificate_id=certificate_id)
    return public.rstrip("/") + path if public else absolute_url(request, path)


def _outbound_body(request: Request, sent: SentCertificate) -> dict[str, Any]:
    outbound = sent.outbound
    lifecycle = _lifecycle_fields(sent.lifecycle, sent.cancellation)
    return {
        "certificate_id": outbound.certificate_id,
        "direction": "outbound",
        "status": _outbound_status(outbound, lifecycle).value,
        "delivery_status": outbound.status.value,
        "status_url": _status_url(request, outbound.certificate_id),
        "delivery": outbound.delivery,
        "sha256": outbound.sha256,
        "problems": json.loads(outbound.problems) if outbound.problems else [],
        "receipt": json.loads(outbound.receipt) if outbound.receipt else None,
        "trail": [{"status": e.status, "at": e.at.isoformat(), "detail": e.detail} for e in sent.trail],
        **lifecycle,
    }


def _sent_answer(request: Request, certificate_id: str) -> dict[str, Any]:
    """The answer about a certificate this node has just stored as sent, read as it stands now."""
    sent = request.app.state.node.store.sent(certificate_id)
    assert sent is not None, "a stored submission is never deleted"
    return _outbound_body(request, sent)


def _read_outbound(
    request: Request, certificate_id: str, grace: timedelta
) -> tuple[Outbound | None, dict[str, Any] | None]:
    """The sent certificate's row, and its answer unless the hub must be asked first (push overdue)."""
    node = request.app.state.node
    sent: SentCertificate | None = node.store.sent(certificate_id)
    if sent is None:
        return None, None
    if node.outbox.overdue(sent.outbound, grace=grace):
        return sent.outbound, None
    return sent.outbound, _outbound_body(request, sent)


#: a cancellation the hub took (whatever became of its delivery) ends the certificate
_CANCELLATION_TAKEN = frozenset(
    {CertificateStatus.ACCEPTED.value, CertificateStatus.DELIVERED.value, CertificateStatus.FAILED.value}
)


def _outbound_status(outbound: Outbound, lifecycle: dict[str, Any]) -> CertificateStatus:
    """``cancelled`` once the hub accepted this node's cancellation, else the delivery status."""
    if (
        outbound.kind != CANCELLATION
        and lifecycle.get("cancellation", {}).get("status") in _CANCELLATION_TAKEN
    ):
        return CertificateStatus.CANCELLED
    return outbound.status


def _lifecycle_fields(state: Lifecycle | None, cancellation: Outbound | None) -> dict[str, Any]:
    """``lifecycle`` (cancelled/rectified with date, reason, replaced_by) and this node's own cancellation."""
    fields: dict[str, Any] = {}
    if state is not None:
        fields["lifecycle"] = {
            "status": state.lifecycle,
            "changed_at": state.changed_at.isoformat(),
            "reason": state.reason,
            "replaced_by": state.replaced_by,
        }
    if cancellation is not None:
        fields["cancellation"] = {
            "status": cancellation.status.value,
            "delivery": cancellation.delivery,
            "sha256": cancellation.sha256,
            "problems": json.loads(cancellation.problems) if cancellation.problems else [],
        }
    return fields


class CancelRequest(BaseModel):
    """Why the certificate is cancelled: free text and an optional code for systems."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)
    code: str | None = Field(default=None, max_length=32)


def _cancel_request(body: bytes) -> CancelRequest:
    return json_body(CancelRequest, body)


@router.post(
    "/api/v1/certificates/{certificate_id}/cancel",
    status_code=202,
    openapi_extra=request_body(description="why the certificate is cancelled", json_model=CancelRequest),
)
async def cancel(certificate_id: str, request: Request, _caller: Customs) -> JSONResponse:
    """Cancel a certificate this node issued: signed by the country's official, sent through the outbox.

    403 ``lifecycle.not_issuer`` for another country's certificate, 404 ``lifecycle.unknown_certificate``
    for one this node never had accepted by the hub; the same request again answers 200 with the first.
    """
    node = request.app.state.node
    certificate_id = certificate_id[:20]
    wanted = _cancel_request(await read_body(request, limit=16 * 1024, timeout=node.settings.body_timeout))
    if certificate_id[:2] != node.settings.country:
        raise Forbidden(
            problem("lifecycle.not_issuer", f"{certificate_id} was not issued in {node.settings.country}")
        )
    outbound = await in_thread(node.store.outbound, certificate_id)
    if outbound is None or outbound.status in (CertificateStatus.REJECTED, CertificateStatus.SUBMITTED):
        raise NotFound(
            problem(
                "lifecycle.unknown_certificate",
                f"no certificate {certificate_id} of this node was accepted by the hub",
            )
        )
    input_sha256 = hashlib.sha256(wanted.model_dump_json().encode("utf-8")).hexdigest()
    existing = await in_thread(lambda: node.store.outbound(certificate_id, kind=CANCELLATION))
    if existing is None:
        report = await in_thread(node.verify, outbound.document)
        if report.importer_country is None:
            raise InvalidDocument(list(report.problems) or [problem("lifecycle.unknown_certificate")])
        now = node.clock()
        document = await in_thread(
            lambda: issue_cancellation(
                certificate_id=certificate_id,
                importer_country=report.importer_country or "",
                reason=Reason(text=wanted.reason, code=wanted.code),
                when=now,
                official=node.federation.country(node.settings.country).official,
            )
        )
        existing, created = await in_thread(
            lambda: node.store.create_outbound(
                certificate_id=certificate_id,
                input_sha256=input_sha256,
                sha256=hashlib.sha256(document).hexdigest(),
                document=document,
                now=now,
                kind=CANCELLATION,
                event=("cancelled", wanted.reason[:500]),
                # sent below; the background outbox is for when that send gets no answer
                retry_at=now + RETRY_AFTER,
            )
        )
    else:
        created = False
        if existing.input_sha256 != input_sha256:
            raise Conflict(
                problem("duplicate.conflict", f"{certificate_id} was already cancelled with another reason")
            )
    if created or existing.status is CertificateStatus.SUBMITTED:
        existing = await node.outbox.submit(existing)
    answer = await in_thread(_sent_answer, request, certificate_id)
    answer["duplicate"] = not created
    cancellation = answer.get("cancellation", {})
    if existing.status is CertificateStatus.REJECTED:
        return problems_response(
            status_code=422,
            problems=[Problem.model_validate(p) for p in cancellation.get("problems", [])],
            **{k: v for k, v in answer.items() if k != "problems"},
        )
    return JSONResponse(status_code=202 if created else 200, content=answer)


def _known_form_version(body: bytes) -> None:
    """JSON of a (form, CODVer) with no configured XSD: 400 schema.unknown_version naming the configured ones.

    (COD XML gets the same answer from the XML reader.)
    """
    if not body.lstrip().startswith(b"{"):
        return
    try:
        fields = json.loads(body)
    except ValueError:
        return  # the model reports unreadable JSON
    if not isinstance(fields, dict):
        return
    cod_ver, form = fields.get("cod_ver"), fields.get("form")
    if isinstance(cod_ver, str) and isinstance(form, str) and find_layout(cod_ver, form) is None:
        raise UnusableInput(problem("schema.unknown_version", unknown_message(cod_ver, form), "cod_ver"))


@router.post(
    "/api/v1/certificates",
    status_code=202,
    openapi_extra=request_body(
        description="the certificate as JSON fields, or COD XML at stage 1, 2 or 3",
        xml=True,
        json_model=Certificate,
    ),
)
async def submit(request: Request, _caller: Customs) -> JSONResponse:
    """Complete and sign what is missing, submit to the hub; idempotent on CertificateID."""
    node = request.app.state.node
    body = await read_body(request, limit=node.settings.max_body_bytes, timeout=node.settings.body_timeout)
    _known_form_version(body)
    # one hand-off to a worker thread for issuing, checking and storing (each one costs CPU)
    outbound, created = await in_thread(lambda: _issue(node, body=body))
    if created or outbound.status is CertificateStatus.SUBMITTED:
        outbound = await node.outbox.submit(outbound)
    answer = await in_thread(_sent_answer, request, outbound.certificate_id)
    answer["duplicate"] = not created
    if outbound.status is CertificateStatus.REJECTED:
        return problems_response(
            status_code=422,
            problems=[Problem.model_validate(p) for p in answer.pop("problems")],
            **answer,
        )
    return JSONResponse(status_code=202 if created else 200, content=answer)


def _issue(node: Any, *, body: bytes) -> tuple[Outbound, bool]:
    """Complete and sign what is missing, verify the result, store it as a submission (worker thread).

    ``(submission, created)``; raises the refusal when the document is not valid or not this
    country's.
    """
    issued = _issued_tree(body, max_bytes=node.settings.max_body_bytes)  # its tree, or None
    input_sha256 = hashlib.sha256(body).hexdigest()

    def available(certificate_id: str) -> bool:
        # a number is free unless another submission of this node holds it (the same request may)
        held = node.store.outbound(certificate_id)
        return held is None or held.input_sha256 == input_sha256

    # stage 3 from an issuing platform: submitted byte for byte; anything else completed and signed here
    document = (
        body
        if issued is not None
        else complete_and_sign(
            body,
            federation=node.federation,
            country=node.settings.country,
            max_bytes=node.settings.max_body_bytes,
            available=available,
        )
    )
    # the node checks its own output (or the platform's, on the tree read above) as anyone would
    report = node.verify(document, root=issued)
    if not report.valid or report.certificate_id is None:
        problems: list[Problem] = list(report.problems) or [problem("cod.certificate_id_invalid")]
        raise InvalidDocument(problems)
    if report.eh_country != node.settings.country:
        raise Forbidden(
            problem(
                "routing.sender_mismatch",
                f"the certificate was issued in {report.eh_country}, not by {node.settings.country}",
                "/Envelope/CertOrigin/CODEH/EH/EHCountry",
            )
        )
    now = node.clock()
    stored: tuple[Outbound, bool] = node.store.create_outbound(
        certificate_id=report.certificate_id,
        input_sha256=input_sha256,
        sha256=report.sha256,  # the verified bytes' digest, already taken by the verification
        document=document,
        now=now,
        # sent at once by the request; the background outbox is for when that send gets no answer
        retry_at=now + RETRY_AFTER,
    )
    return stored


def _issued_tree(body: bytes, *, max_bytes: int) -> etree._Element | None:
    """The tree of ``body`` when it is a complete COD (stage 3: the official's signature is on it).

    None for JSON fields or an earlier stage, which the node completes and signs itself.
    """
    if body.lstrip().startswith(b"{"):
        return None
    root = parse_xml(body, max_bytes=max_bytes)
    return root if any(child.tag == DS_SIGNATURE for child in root.iterfind(f"{CERT_ORIGIN}/*")) else None


async def _outbound_answer(request: Request, certificate_id: str) -> dict[str, Any] | None:
    """A sent certificate's answer (asking the hub first if its push is overdue); None if not sent."""
    node = request.app.state.node
    grace = node.outbox.pushes.grace(node.outbox.clock())
    # one hand-off to a worker thread for a sent certificate whose push is not overdue (most reads)
    outbound, body = await in_thread(_read_outbound, request, certificate_id, grace)
    if outbound is not None and body is None:
        # the hub pushes the outcome: ask it only once that push is overdue (it may have been lost);
        # what it answers is stored, and the answer is read as stored
        with anyio.move_on_after(5):
            await node.outbox.refresh_overdue(outbound, grace=grace)
        body = await in_thread(_sent_answer, request, certificate_id)
    return body


#: declared as text so that a bad value gets this API's problem answer, not FastAPI's own
WaitParameter = Annotated[
    str | None,
    Query(
        description=(
            f"seconds (0 to {MAX_WAIT_S:g}) to hold the answer while the sent certificate is "
            "submitted or accepted: it comes as soon as the status changes, or after that long"
        ),
        examples=["30"],
    ),
]


def _wait_seconds(raw: str | None) -> float:
    """The ``wait`` query parameter: 0 (answer at once) to ``MAX_WAIT_S`` seconds; 400 otherwise."""
    if raw is None:
        return 0.0
    try:
        wait = float(raw)
    except ValueError:
        wait = -1.0
    if not 0 <= wait <= MAX_WAIT_S:  # also NaN
        message = f"wait must be a number of seconds from 0 to {MAX_WAIT_S:g}, not {raw[:20]!r}"
        raise UnusableInput(problem("input.invalid_argument", message, "wait"))
    return wait


@router.get(CERTIFICATE_PATH, name="certificate")
async def status(
    certificate_id: str, request: Request, caller: Reader, wait: WaitParameter = None
) -> JSONResponse:
    """Status and trail of a sent certificate; for officials also received ones with their report.

    ``?wait=S`` (seconds, at most 30): a sent certificate still under way (submitted or accepted)
    is answered as soon as its status changes, or after ``S`` seconds with its status then; one
    held read instead of reading in a loop. Received certificates are answered at once.
    """
    node = request.app.state.node
    certificate_id = certificate_id[:20]
    deadline = anyio.current_time() + _wait_seconds(wait)
    # watched before the first read: a change between that read and the wait still wakes it
    with node.outbox.changes.watch(certificate_id) as changed:
        body = await _outbound_answer(request, certificate_id)
        first = body["status"] if body is not None else None
        while body is not None and body["status"] == first and first in UNDER_WAY:
            left = deadline - anyio.current_time()
            if left <= 0:
                break
            with anyio.move_on_after(left):
                await changed.wait()
            changed.clear()
            body = await _outbound_answer(request, certificate_id)
    if body is not None:
        return JSONResponse(content=body)
    received: ReceivedCertificate | None = await in_thread(node.store.received, certificate_id)
    if received is None:
        raise NotFound(problem("delivery.not_found", f"no certificate {certificate_id} on this node"))
    if caller.role != "official":
        raise Forbidden(problem("auth.forbidden", "received certificates are for officials"))
    inbound = received.inbound
    # a node cancels only certificates it sent (none here: no submission of this one was found above)
    lifecycle = _lifecycle_fields(received.lifecycle, None)
    state = lifecycle.get("lifecycle")
    return JSONResponse(
        content={
            **lifecycle,
            "replaced_by": state["replaced_by"] if state else None,
            "certificate_id": inbound.certificate_id,
            "direction": "inbound",
            "status": state["status"] if state else CertificateStatus.RECEIVED.value,
            "delivery": inbound.delivery,
            "sha256": inbound.sha256,
            "received_at": inbound.received_at.isoformat(),
            "hub_accepted_at": inbound.hub_accepted_at.isoformat() if inbound.hub_accepted_at else None,
            "report": json.loads(inbound.report),
            "receipt": json.loads(inbound.receipt),
            "trail": [
                {"status": e.status, "at": e.at.isoformat(), "detail": e.detail} for e in received.trail
            ],
        }
    )
