"""The officials' verification page as a FastAPI router: ``GET /verify``, upload, sign-in and sign-out."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from singlewindow.errors import InputTooLarge, UnusableInput
from singlewindow.node.web.calls import call
from singlewindow.node.web.form import form_from_xml
from singlewindow.node.web.i18n import Language
from singlewindow.node.web.model import Authenticate, CertificateRecord, LifecycleState, Lookup, Verify
from singlewindow.node.web.pages import Current, PageKit, safe_next, stylesheet
from singlewindow.node.web.render import Notice, render_page, render_result, render_sign_in
from singlewindow.node.web.sections import render_form_sections
from singlewindow.node.web.session import (
    SIGN_IN_COOKIE,
    MemorySessions,
    SessionRecord,
    SessionSigner,
    SessionStore,
    SignInLimiter,
    credential_of,
    new_session_id,
)
from singlewindow.offload import in_thread

#: The XSD pattern of CertificateID allows lowercase letters: IDs are matched exactly, never case-folded.
_CERTIFICATE_ID = re.compile(r"^[A-Za-z0-9]{20}$")
_MAX_FILE_NAME = 120
_FORM_OVERHEAD = 64 * 1024


def _file_name(value: str) -> str:
    """The uploaded file's base name as the browser sent it, trimmed for display (autoescaped later)."""
    base = value.replace("\\", "/").rsplit("/", 1)[-1].strip()
    printable = "".join(c for c in base if c.isprintable())
    return printable if len(printable) <= _MAX_FILE_NAME else printable[: _MAX_FILE_NAME - 1] + "…"


def create_web_router(
    *,
    lookup: Lookup,
    verify: Verify,
    authenticate: Authenticate,
    node_country: str,
    secret_key: bytes | None = None,
    base_url: str | None = None,
    allowed_roles: frozenset[str] = frozenset({"official"}),
    max_upload_bytes: int = 5 * 1024 * 1024,
    session_max_age: int = 8 * 3600,
    secure_cookies: bool | None = None,
    default_language: Language = "en",
    clock: Callable[[], datetime] | None = None,
    time_zone: tzinfo = UTC,
    sessions: SessionStore | None = None,
    sign_in_limiter: SignInLimiter | None = None,
) -> APIRouter:
    """Build the page's router; include it in the node app without a prefix (its paths start ``/verify``).

    ``lookup`` finds a stored certificate by CertificateID, ``verify`` runs the full verification of
    uploaded bytes (raising ``UnusableInput`` for unreadable input), ``authenticate`` turns an
    official's bearer token into an ``Official``. Without ``secret_key`` sessions last until restart.
    ``clock`` dates each check (printed with the result); every time is shown in ``time_zone``.
    ``sessions`` keeps sessions server-side (the node's store; in memory by default) so sign-out and
    token withdrawal end them; ``sign_in_limiter`` caps failed sign-ins per client (429 beyond).
    """

    def now() -> datetime:
        return clock() if clock is not None else datetime.now(UTC)

    limiter = sign_in_limiter or SignInLimiter()
    kit = PageKit(
        signer=SessionSigner(
            secret_key=secret_key or secrets.token_bytes(32), max_age=session_max_age, scope=node_country
        ),
        sessions=sessions if sessions is not None else MemorySessions(),
        now=now,
        node_country=node_country,
        base_url=base_url,
        secure_cookies=secure_cookies,
        default_language=default_language,
        session_max_age=session_max_age,
    )
    router = APIRouter(tags=["officials' page"])

    @router.get("/verify", response_class=HTMLResponse, summary="Officials' verification page")
    async def verify_page(
        request: Request,
        certificate_id: Annotated[str | None, Query(max_length=64)] = None,
        lang: Annotated[str | None, Query(max_length=16)] = None,
    ) -> Response:
        wanted = (certificate_id or "").strip()
        current = await kit.current(request, lang=lang, certificate_id=wanted)
        chrome = current.chrome
        if current.session is None:
            back = f"/verify?{urlencode({'certificate_id': wanted})}" if wanted else "/verify"
            return kit.to_sign_in(request, current, back)
        if not wanted:
            return kit.html(request, current, render_page(chrome=chrome))
        if not _CERTIFICATE_ID.match(wanted):
            body = render_page(
                chrome=chrome, certificate_id=wanted, notice=Notice(key="bad_id", value=wanted)
            )
            return kit.html(request, current, body, 400)
        record: CertificateRecord | None = await call(lookup, wanted)
        if record is None:
            notice = Notice(key="not_found", value=wanted)
            return kit.html(
                request, current, render_page(chrome=chrome, certificate_id=wanted, notice=notice), 404
            )
        result = render_result(
            report=record.report,
            form=form_from_xml(record.data),
            sections=render_form_sections(record.data, language=current.language, zone=time_zone),
            status=record.status,
            trail=record.trail,
            language=current.language,
            verify_url=kit.absolute_url(request, wanted),
            checked_at=now(),
            checked_by=node_country,
            zone=time_zone,
            hub_accepted_at=record.hub_accepted_at,
        )
        return kit.html(request, current, render_page(chrome=chrome, certificate_id=wanted, result=result))

    @router.post("/verify", response_class=HTMLResponse, summary="Verify an uploaded certificate file")
    async def verify_upload(request: Request) -> Response:
        current = await kit.current(request, lang=None)
        if current.session is None:
            return kit.to_sign_in(request, current, "/verify")

        def fail(key: str, status_code: int) -> Response:
            return kit.html(
                request, current, render_page(chrome=current.chrome, notice=Notice(key=key)), status_code
            )

        if not kit.same_origin(request):
            return fail("cross_site", 403)

        declared = request.headers.get("content-length", "")
        # Browsers always declare the length of a form post; the server enforces it while reading.
        if not declared.isdigit() or int(declared) > max_upload_bytes + _FORM_OVERHEAD:
            return fail("too_large", 413)
        async with request.form(max_files=1, max_fields=4) as fields:
            token, upload = fields.get("csrf_token"), fields.get("file")
            if not kit.signer.check_csrf(current.session, token if isinstance(token, str) else None):
                return fail("form_expired", 400)
            data = (
                b"" if upload is None or isinstance(upload, str) else await upload.read(max_upload_bytes + 1)
            )
            file_name = "" if upload is None or isinstance(upload, str) else (upload.filename or "")
        if not data:
            return fail("empty_file", 400)
        if len(data) > max_upload_bytes:
            return fail("too_large", 413)
        try:
            report = await call(verify, data)
        except InputTooLarge:
            return fail("too_large", 413)
        except UnusableInput:
            return fail("unusable", 400)
        stored: CertificateRecord | None = None
        if report.certificate_id and _CERTIFICATE_ID.match(report.certificate_id):
            stored = await call(lookup, report.certificate_id)
        same = stored is not None and stored.report.sha256 == report.sha256
        result = render_result(
            report=report,
            form=form_from_xml(data),
            sections=render_form_sections(data, language=current.language, zone=time_zone),
            # The lifecycle belongs to the CertificateID; the trail only to the exact bytes received.
            status=stored.status if stored is not None else LifecycleState(),
            trail=stored.trail if stored is not None and same else (),
            language=current.language,
            verify_url=kit.absolute_url(request, report.certificate_id or "") if same else None,
            holding="none" if stored is None else "same" if same else "differs",
            file_name=_file_name(file_name),
            checked_at=now(),
            checked_by=node_country,
            zone=time_zone,
            hub_accepted_at=stored.hub_accepted_at if stored is not None and same else None,
        )
        return kit.html(request, current, render_page(chrome=current.chrome, result=result))

    def sign_in_page(
        request: Request,
        current: Current,
        next_path: str,
        notice: Notice | None = None,
        status_code: int = 200,
    ) -> Response:
        nonce = kit.sign_in_nonce(request)
        body = render_sign_in(
            chrome=current.chrome,
            next_url=next_path,
            notice=notice,
            csrf_token=kit.signer.sign_in_token(nonce),
        )
        response = kit.html(request, current, body, status_code)
        kit.set_sign_in_nonce(request, response, nonce)
        return response

    @router.get("/verify/sign-in", response_class=HTMLResponse, summary="Officials' sign-in form")
    async def sign_in_form(
        request: Request,
        next: Annotated[str | None, Query(max_length=200)] = None,
        lang: Annotated[str | None, Query(max_length=16)] = None,
    ) -> Response:
        current = await kit.current(request, lang=lang)
        if current.session is not None:
            return kit.redirect(request, current, safe_next(next))
        return sign_in_page(request, current, safe_next(next))

    @router.post("/verify/sign-in", response_class=HTMLResponse, summary="Sign in with an official's token")
    async def sign_in(request: Request) -> Response:
        client = request.client.host if request.client is not None else "unknown"
        async with request.form(max_files=0, max_fields=5) as fields:
            token, next_url = fields.get("token"), fields.get("next")
            csrf, lang = fields.get("csrf_token"), fields.get("lang")
        # The language chosen before signing in stays chosen afterwards.
        current = await kit.current(request, lang=lang if isinstance(lang, str) else None)
        next_path = safe_next(next_url if isinstance(next_url, str) else None)
        wait = limiter.retry_after(client)
        if wait is not None:
            minutes = str(max(1, (wait + 59) // 60))
            response = sign_in_page(request, current, next_path, Notice(key="too_many", value=minutes), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        if not kit.same_origin(request):
            limiter.failed(client)
            return sign_in_page(request, current, next_path, Notice(key="cross_site"), 403)
        if not kit.signer.check_sign_in(
            request.cookies.get(SIGN_IN_COOKIE), csrf if isinstance(csrf, str) else None
        ):
            limiter.failed(client)
            return sign_in_page(request, current, next_path, Notice(key="form_expired"), 400)
        token_text = token if isinstance(token, str) else ""
        official = await call(authenticate, token_text) if token_text else None
        if official is None or official.role not in allowed_roles or official.country != node_country:
            limiter.failed(client)
            notice = Notice(key="token_rejected" if official is None else "not_official")
            return sign_in_page(request, current, next_path, notice, 401 if official is None else 403)
        limiter.succeeded(client)
        session_id = new_session_id()
        started = now()
        record = SessionRecord(
            session_id=session_id,
            official=official,
            credential=credential_of(token_text),
            started_at=started,
            expires_at=started + timedelta(seconds=session_max_age),
        )
        await in_thread(kit.sessions.start, record)
        response = kit.redirect(request, current, next_path)
        kit.start_session(request, response, kit.signer.issue(official=official, session_id=session_id))
        return response

    @router.post("/verify/sign-out", summary="Sign out of the officials' page")
    async def sign_out(request: Request) -> Response:
        current = await kit.current(request, lang=None)
        async with request.form(max_files=0, max_fields=4) as fields:
            token = fields.get("csrf_token")
        if current.session is not None and not (
            kit.same_origin(request)
            and kit.signer.check_csrf(current.session, token if isinstance(token, str) else None)
        ):
            notice = Notice(key="form_expired")
            return kit.html(request, current, render_page(chrome=current.chrome, notice=notice), 400)
        if current.session is not None:
            # The server forgets the session: a copy of the cookie is worthless from now on.
            await in_thread(kit.sessions.end, current.session.session_id)
        response = kit.redirect(request, current, "/verify/sign-in")
        kit.end_session(request, response)
        return response

    @router.get("/verify/assets/verify.css", include_in_schema=False)
    async def verify_stylesheet() -> Response:
        return Response(
            stylesheet(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
        )

    return router
