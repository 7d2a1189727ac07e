"""Hub routes: submit a document, follow its delivery, fetch the trust list, health and metrics."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from singlewindow.errors import (
    Forbidden,
    InvalidDocument,
    NotFound,
    SinglewindowError,
    problem,
)
from singlewindow.hub import admission
from singlewindow.hub.app import HubState
from singlewindow.lifecycle import is_cancellation
from singlewindow.logging import get_logger
from singlewindow.metrics import CONTENT_TYPE
from singlewindow.offload import in_thread
from singlewindow.protocol import (
    JSON_BODY_COVERS,
    MAX_DOCUMENTS_BODY,
    AcceptedBody,
    ProblemsBody,
    SubmissionsBody,
    SubmittedBody,
    SubmittedItem,
    TrailBody,
    TrailEvent,
    verify_request,
)
from singlewindow.protocol.edge import absolute_url, header_fields, json_body, read_body
from singlewindow.protocol.openapi import request_body
from singlewindow.storage import CANCELLATION, Accepted, check_database
from singlewindow.verification.pipeline import uses_sha1
from singlewindow.xmlsec import parse_xml

router = APIRouter()
#: a delivery's trail (``status_url`` of every accepted document)
TRAIL_PATH = "/api/v1/messages/{delivery}"
_log = get_logger("singlewindow.hub")
_REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemsBody} for code in (400, 401, 403, 404, 409, 413, 422)
}


def _hub(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


def _authenticate(request: Request, body: bytes, hub: HubState, *, required: tuple[str, ...] = ()) -> str:
    """The calling member country, proven by its node's RFC 9421 signature (over ``required`` too)."""
    return verify_request(
        method=request.method,
        url=str(request.url),
        body=body,
        headers=header_fields(request),
        resolve=hub.directory.node_certificate,
        required=required,
        max_age=hub.settings.signature_max_age,
        now=hub.clock().timestamp(),
    )


@router.post(
    "/api/v1/messages",
    status_code=202,
    response_model=AcceptedBody,
    responses=_REFUSALS,
    openapi_extra=request_body(description="a complete signed COD, or a signed Cancellation", xml=True),
)
async def submit(request: Request) -> JSONResponse:
    """Verify, route and durably store a complete signed COD; answer with its delivery number."""
    hub = _hub(request)
    try:
        body = await read_body(request, limit=hub.settings.max_body_bytes, timeout=hub.settings.body_timeout)
        sender = _authenticate(request, body, hub)
        accepted, legacy = await _admission(hub, body=body, sender=sender)
    except SinglewindowError as exc:
        _count_refusal(hub, exc)
        raise
    answer = _accepted_body(request, accepted, legacy_sha1=legacy)
    return JSONResponse(status_code=202, content=answer.model_dump(mode="json"))


@router.post(
    "/api/v1/messages/batch",
    response_model=SubmittedBody,
    responses=_REFUSALS,
    openapi_extra=request_body(
        description="several complete signed CODs or Cancellations of one node", json_model=SubmissionsBody
    ),
)
async def submit_batch(request: Request) -> JSONResponse:
    """Several documents of one node at once, each admitted exactly as ``/api/v1/messages`` admits one.

    401 unless signed by a member node over the content type as well; 400 ``input.invalid_fields``
    for a body that is not a submission of several documents. Otherwise 200, answering each
    document in order with the status and acceptance or problems the single form would have given.
    """
    hub = _hub(request)
    try:
        body = await read_body(request, limit=MAX_DOCUMENTS_BODY, timeout=hub.settings.body_timeout)
        sender = _authenticate(request, body, hub, required=JSON_BODY_COVERS)
        documents = json_body(SubmissionsBody, body).documents
    except SinglewindowError as exc:
        _count_refusal(hub, exc)
        raise
    answers = await asyncio.gather(*(_answer(request, hub, body=doc, sender=sender) for doc in documents))
    return JSONResponse(content=SubmittedBody(documents=answers).model_dump(mode="json"))


async def _answer(request: Request, hub: HubState, *, body: bytes, sender: str) -> SubmittedItem:
    """One document of a batch, answered as the single form would have answered it."""
    try:
        accepted, legacy = await _admission(hub, body=body, sender=sender)
    except SinglewindowError as exc:
        _count_refusal(hub, exc)
        return SubmittedItem(status=exc.status_code, problems=exc.problems)
    return SubmittedItem(status=202, accepted=_accepted_body(request, accepted, legacy_sha1=legacy))


async def _admission(hub: HubState, *, body: bytes, sender: str) -> tuple[Accepted, bool]:
    """Admit one document of ``sender``: ``(accepted, legacy_sha1)``, or the refusal raised."""
    # one hand-off to a worker thread for the whole admission (each one costs CPU on both sides)
    admitted = await in_thread(lambda: _admit(hub, body=body, sender=sender))
    if admitted is None:
        return await _accept_cancellation(hub, body=body, sender=sender), False
    accepted, legacy = admitted
    if accepted.created:
        hub.metrics.accepted.inc()
        hub.worker.wake()
    return accepted, legacy


def _count_refusal(hub: HubState, exc: SinglewindowError) -> None:
    for item in exc.problems:
        hub.metrics.rejected.labels(code=item.code).inc()
    _log.info("refused", status=exc.status_code, codes=[p.code for p in exc.problems])


def _admit(hub: HubState, *, body: bytes, sender: str) -> tuple[Accepted, bool] | None:
    """Parse, recognise a repeat, verify at the hub's clock, route and store a COD (in a worker thread).

    ``(accepted, legacy_sha1)``; None for a Cancellation (admitted by ``_accept_cancellation``).
    Raises the refusal with every problem.
    """
    root = parse_xml(body, max_bytes=hub.settings.max_body_bytes)
    sha256 = hashlib.sha256(body).hexdigest()
    earlier = admission.earlier_acceptance(hub.store, root=root, sha256=sha256, sender=sender)
    if earlier is not None:
        _log.info("accepted", duplicate=True, destination=earlier.message.destination)
        # the same bytes were accepted before: the same legacy label as at their first acceptance
        return earlier, not is_cancellation(root) and uses_sha1(root)
    if is_cancellation(root):
        return None
    # the hub's clock now is the document's trusted time: judged at it, stored as accepted_at
    now = hub.clock()
    report = hub.verify(body, admission.acceptance(hub.settings, now=now), root=root)
    problems = [*report.problems, *hub.directory.routing_problems(report=report, sender=sender)]
    if problems:
        error: SinglewindowError = (
            Forbidden(problems)
            if any(p.code == "routing.sender_mismatch" for p in problems)
            else InvalidDocument(problems)
        )
        raise error
    assert report.certificate_id is not None and report.importer_country is not None
    with structlog.contextvars.bound_contextvars(certificate_id=report.certificate_id, sender=sender):
        accepted = hub.store.accept(
            certificate_id=report.certificate_id,
            sha256=sha256,
            document=body,
            sender=sender,
            destination=report.importer_country,
            now=now,
        )
        message = accepted.message
        _log.info(
            "accepted",
            duplicate=not accepted.created,
            destination=message.destination,
            delivery=message.delivery,
        )
    return accepted, report.legacy_sha1


def _accepted_body(request: Request, accepted: Accepted, *, legacy_sha1: bool = False) -> AcceptedBody:
    message = accepted.message
    return AcceptedBody(
        delivery=message.delivery,
        certificate_id=message.certificate_id,
        sha256=message.sha256,
        state=message.state,
        status_url=absolute_url(request, TRAIL_PATH.format(delivery=message.delivery)),
        duplicate=not accepted.created,
        legacy_sha1=legacy_sha1,
    )


async def _accept_cancellation(hub: HubState, *, body: bytes, sender: str) -> Accepted:
    """Verify a Cancellation like a COD, check it cancels a certificate this hub routed, store it durably.

    403 ``routing.sender_mismatch`` when the sending node is not the issuing country, 403
    ``lifecycle.not_issuer`` when the signer is not an official of the issuing entity, 422
    ``lifecycle.unknown_certificate`` when the hub never accepted that certificate for that destination.
    """
    now = hub.clock()
    report = await in_thread(hub.verify_lifecycle, body, admission.acceptance(hub.settings, now=now))
    problems = list(report.problems)
    issuing = report.issuing_country or (report.certificate_id or "")[:2] or None
    if issuing is not None and issuing != sender:
        problems.append(
            problem(
                "routing.sender_mismatch",
                f"node {sender} may not cancel a certificate issued in {issuing}",
                "/Cancellation/IssuingCountry",
            )
        )
    if not problems:
        assert report.certificate_id is not None
        known = await in_thread(lambda: hub.store.by_certificate(report.certificate_id or ""))
        if known is None or known.destination != report.importer_country or known.sender != sender:
            problems.append(
                problem(
                    "lifecycle.unknown_certificate",
                    f"this hub routed no certificate {report.certificate_id} to {report.importer_country}",
                    "/Cancellation/CertificateID",
                )
            )
        else:
            problems += admission.cancellation_problems(
                certificate_document=known.document,
                cancellation_date=report.cancellation_date,
                max_bytes=hub.settings.max_body_bytes,
            )
    if problems:
        codes = {p.code for p in problems}
        raise (
            Forbidden(problems)
            if codes & {"routing.sender_mismatch", "lifecycle.not_issuer"}
            else InvalidDocument(problems)
        )
    with structlog.contextvars.bound_contextvars(certificate_id=report.certificate_id, sender=sender):
        accepted = await in_thread(
            lambda: hub.store.accept(
                certificate_id=report.certificate_id or "",
                sha256=hashlib.sha256(body).hexdigest(),
                document=body,
                sender=sender,
                destination=report.importer_country or "",
                now=now,
                kind=CANCELLATION,
            )
        )
        if accepted.created:
            hub.metrics.accepted.inc()
            hub.worker.wake()
        _log.info("cancellation_accepted", duplicate=not accepted.created, delivery=accepted.message.delivery)
    return accepted


@router.get(TRAIL_PATH, response_model=TrailBody, responses=_REFUSALS, name="trail")
async def trail(delivery: str, request: Request) -> TrailBody:
    """The delivery trail, for the sending and the receiving node only."""
    hub = _hub(request)
    caller = _authenticate(
        request, await read_body(request, limit=1024, timeout=hub.settings.body_timeout), hub
    )
    message = await in_thread(hub.store.by_delivery, delivery[:64])
    if message is None or caller not in (message.sender, message.destination):
        # the same answer whether it does not exist or is someone else's: nothing leaks
        raise NotFound(problem("delivery.not_found", f"no delivery {delivery[:64]!r} visible to {caller}"))
    events = await in_thread(lambda: hub.store.trail(message_id=message.id))
    return TrailBody(
        delivery=message.delivery,
        certificate_id=message.certificate_id,
        sha256=message.sha256,
        sender=message.sender,
        destination=message.destination,
        state=message.state,
        attempts=message.attempts,
        accepted_at=message.accepted_at,
        delivered_at=message.delivered_at,
        receipt=json.loads(message.receipt) if message.receipt else None,
        events=[TrailEvent(at=e.at, state=e.state.value, event=e.event, detail=e.detail) for e in events],
    )


@router.get("/api/v1/federation")
async def federation(request: Request) -> Response:
    """The signed trust list in force (anchors, CRLs, node keys, registry of officials), as signed."""
    return Response(content=_hub(request).trustlist_bytes, media_type="application/json")


@router.put(
    "/api/v1/federation",
    responses=_REFUSALS,
    openapi_extra=request_body(description="a trust list signed by the federation operator", xml=False),
)
async def publish_federation(request: Request) -> JSONResponse:
    """Adopt a newer trust list; the operator's signature over it is the authentication.

    422 ``trustlist.signature_invalid`` when not signed by the pinned operator certificate, 409
    ``trustlist.rollback`` when its sequence is lower than (or equal to, with other content) the
    one in force; 200 with ``adopted: false`` for the trust list already in force.
    """
    hub = _hub(request)
    body = await read_body(request, limit=hub.settings.max_body_bytes, timeout=hub.settings.body_timeout)
    adopted = await in_thread(hub.keeper.offer, body)
    _log.info("trustlist_published", sequence=hub.keeper.current.sequence, adopted=adopted)
    return JSONResponse(content={"sequence": hub.keeper.current.sequence, "adopted": adopted})


@router.get("/api/v1/crls/{country}", responses={404: {"model": ProblemsBody}})
async def crl(request: Request, country: str) -> Response:
    """A member's current CRL (DER, ``application/pkix-crl``), as published in the trust list.

    The CRL distribution points of the federation's certificates name this URL.
    """
    from cryptography.hazmat.primitives.serialization import Encoding

    entry = _hub(request).keeper.current.trustlist.countries.get(country.upper())
    if entry is None or not entry.crls:
        raise NotFound(problem("trustlist.crl_not_found", f"no CRL is published for {country!r}"))
    der = entry.load_crls()[0].public_bytes(Encoding.DER)
    return Response(content=der, media_type="application/pkix-crl")


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        await in_thread(check_database, engine=_hub(request).store.engine)
    except Exception as exc:
        return JSONResponse(status_code=503, content={"status": "unavailable", "database": str(exc)[:200]})
    return JSONResponse(content={"status": "ok", "database": "ok"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    body = await in_thread(_hub(request).metrics.render)
    return Response(content=body, media_type=CONTENT_TYPE)
