"""The HTTP edge shared by hub and node: bounded bodies, problem answers, the verifier they inject."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from singlewindow.errors import (
    InputTooLarge,
    InputTooSlow,
    Problem,
    SinglewindowError,
    UnusableInput,
    problem,
)
from singlewindow.logging import get_logger
from singlewindow.verification import VerificationReport
from singlewindow.verification.time_rules import Acceptance

if TYPE_CHECKING:
    from lxml import etree

    from singlewindow.lifecycle import LifecycleReport


class Verify(Protocol):
    """Verifies a complete COD; ``acceptance`` is the trusted time (default: the service's clock)."""

    def __call__(
        self, data: bytes, /, acceptance: Acceptance | None = None, *, root: etree._Element | None = None
    ) -> VerificationReport:
        """The full verification report.

        ``root``: the tree ``parse_xml`` already made of ``data``. The callers parse and verify in one
        worker-thread call, so a tree is never read by two threads (a Cancellation, verified in a
        later call, is parsed again there).
        """
        ...


_log = get_logger("singlewindow.edge")
_Model = TypeVar("_Model", bound=BaseModel)


def json_body(model: type[_Model], body: bytes) -> _Model:
    """``body`` read as ``model``; 400 ``input.invalid_fields`` naming every field that is wrong."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise UnusableInput(problem("input.invalid_fields", details[:500])) from None


def absolute_url(request: Request, path: str) -> str:
    """``path`` (from the app's root) as a full URL of this service, as ``request.url_for`` gives it.

    ``url_for`` finds the route by name, trying every route of the app in turn (≈ 3 % of the hub's
    CPU when it answered every accepted document with one); the callers know their path.
    """
    return str(request.base_url).rstrip("/") + path


def problems_response(*, status_code: int, problems: list[Problem], **extra: object) -> JSONResponse:
    """A JSON answer carrying every problem."""
    return JSONResponse(
        status_code=status_code, content={**extra, "problems": [p.model_dump() for p in problems]}
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every SinglewindowError with its status and its problems."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SinglewindowError)
        response = problems_response(status_code=exc.status_code, problems=exc.problems)
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, InputTooSlow):
            # a slow client gets no more time: close instead of draining the rest for keep-alive
            # (a 413 is drained instead: closing under a fast upload resets the connection before
            # the client reads the answer)
            response.headers["Connection"] = "close"
        return response

    async def gone(request: Request, _exc: Exception) -> Response:
        # the client left mid-body: nobody reads the answer, one line in the log, no traceback
        _log.warning("client_disconnected", method=request.method, path=request.url.path)
        return Response(status_code=400, headers={"Connection": "close"})

    app.add_exception_handler(SinglewindowError, handle)
    app.add_exception_handler(ClientDisconnect, gone)


def header_fields(request: Request) -> dict[str, str]:
    """The header fields by (lowercase) name, the first of a repeated one: ``dict(request.headers)``.

    Built in one pass over the headers; ``dict(request.headers)`` looks each name up again in the list.
    """
    fields: dict[str, str] = {}
    for name, value in request.headers.items():
        fields.setdefault(name, value)
    return fields


async def read_body(request: Request, *, limit: int, timeout: float) -> bytes:
    """The whole body within ``timeout`` seconds, or 408 ``input.too_slow``; 413 once past ``limit`` bytes.

    The size cap holds while streaming: at most ``limit`` bytes are ever kept. A client that leaves
    mid-body raises starlette's ``ClientDisconnect``, answered quietly by ``install_error_handlers``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise InputTooLarge(problem("input.too_large", f"the body exceeds {limit} bytes"))
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise InputTooLarge(problem("input.too_large", f"the body exceeds {limit} bytes"))
                chunks.append(chunk)
    except TimeoutError:
        raise InputTooSlow(
            problem("input.too_slow", f"the body was not received within {timeout:g} s ({size} bytes came)")
        ) from None
    return b"".join(chunks)


class VerifyLifecycle(Protocol):
    """Verifies a signed lifecycle message (a Cancellation) with the service's trust list and clock."""

    def __call__(self, data: bytes, /, acceptance: Acceptance | None = None) -> LifecycleReport:
        """The lifecycle report."""
        ...
