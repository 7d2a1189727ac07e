"""Node routes: customs, inbound, officials' verification, health and metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from singlewindow.cod.layouts import LAYOUTS, catalogue, describe, unknown_message, versions
from singlewindow.errors import NotFound, problem
from singlewindow.metrics import CONTENT_TYPE
from singlewindow.node import customs, inbound, outcomes
from singlewindow.node.auth import Caller, require
from singlewindow.offload import in_thread
from singlewindow.protocol.edge import read_body
from singlewindow.protocol.openapi import request_body
from singlewindow.storage import check_database
from singlewindow.verification import VerificationReport

router = APIRouter()
router.include_router(customs.router)
router.include_router(inbound.router)
router.include_router(outcomes.router)
Official = Annotated[Caller, Depends(require("official"))]
Reader = Annotated[Caller, Depends(require("customs", "official"))]


@router.post(
    "/api/v1/verify",
    response_model=VerificationReport,
    tags=["officials"],
    openapi_extra=request_body(description="a signed COD to verify", xml=True),
)
async def verify(request: Request, _caller: Official) -> VerificationReport:
    """Verify an uploaded COD with this node's own trust list; 200 with the report, valid or not."""
    node = request.app.state.node
    body = await read_body(request, limit=node.settings.max_body_bytes, timeout=node.settings.body_timeout)
    report: VerificationReport = await in_thread(node.verify, body)
    node.metrics.verified.labels(valid=str(report.valid).lower()).inc()
    return report


@router.get("/api/v1/forms", tags=["customs"])
async def forms(
    request: Request, _caller: Reader, form: str | None = None, cod_ver: str | None = None
) -> JSONResponse:
    """The forms and CODVers this node can issue (from its configured XSDs), and each one's fields.

    ``?form=FormA18`` and ``?cod_ver=4.1.0`` narrow the list; with both, one layout.
    """
    del request
    chosen = [
        describe(layout)
        for (version, name), layout in sorted(LAYOUTS.items())
        if (form is None or name == form) and (cod_ver is None or version == cod_ver)
    ]
    if (form or cod_ver) and not chosen:
        raise NotFound(problem("schema.unknown_version", unknown_message(cod_ver or "?", form or "?")))
    return JSONResponse(content={"versions": versions(), "forms": catalogue(), "layouts": chosen})


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        await in_thread(check_database, engine=request.app.state.node.store.engine)
    except Exception as exc:
        return JSONResponse(status_code=503, content={"status": "unavailable", "database": str(exc)[:200]})
    return JSONResponse(
        content={"status": "ok", "database": "ok", "country": request.app.state.node.settings.country}
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    return Response(content=request.app.state.node.metrics.render(), media_type=CONTENT_TYPE)
