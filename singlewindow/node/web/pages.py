"""Per-request plumbing of the page: language, session, security headers and cookies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from singlewindow.node.web.i18n import LANGUAGES, Language, negotiate, parse_language
from singlewindow.node.web.qr import verification_url
from singlewindow.node.web.render import Chrome, language_links
from singlewindow.node.web.session import (
    COOKIE_NAME,
    SIGN_IN_COOKIE,
    Session,
    SessionSigner,
    SessionStore,
    new_session_id,
)
from singlewindow.offload import in_thread

LANGUAGE_COOKIE = "sw_lang"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts, which the
    # sign-in Origin check must refuse; addresses (certificate IDs) still never leave the page.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def stylesheet() -> bytes:
    """The page's CSS, read from package data on first use."""
    return resources.files(__package__).joinpath("static", "verify.css").read_bytes()


def safe_next(value: str | None) -> str:
    """Only the page itself is a valid target after sign-in, so the form is no open redirect."""
    if value and (value == "/verify" or value.startswith("/verify?")) and "\\" not in value:
        return value
    return "/verify"


@dataclass(frozen=True, kw_only=True)
class Current:
    """Per-request state: language, whether it was switched explicitly, the session and the chrome."""

    language: Language
    explicit_language: bool
    session: Session | None
    chrome: Chrome


@dataclass(frozen=True, kw_only=True)
class PageKit:
    """What every route of the page shares: the session signer and the node's settings."""

    signer: SessionSigner
    sessions: SessionStore
    now: Callable[[], datetime]
    node_country: str
    base_url: str | None
    secure_cookies: bool | None
    default_language: Language
    session_max_age: int

    async def session(self, request: Request) -> Session | None:
        """The request's session: a cookie this node signed, for this node's country, whose server-side
        record is still alive (not signed out, not expired, its token not withdrawn)."""
        session = self.signer.read(request.cookies.get(COOKIE_NAME))
        if session is None or session.official.country != self.node_country:
            return None
        alive = await in_thread(
            lambda: self.sessions.alive(session.session_id, country=self.node_country, now=self.now())
        )
        return session if alive else None

    async def current(self, request: Request, *, lang: str | None, certificate_id: str = "") -> Current:
        """Language, session and chrome of this request; language links keep the certificate shown."""
        language = negotiate(
            explicit=lang,
            cookie=request.cookies.get(LANGUAGE_COOKIE),
            accept_language=request.headers.get("accept-language"),
            default=self.default_language,
        )
        session = await self.session(request)
        path = "/verify/sign-in" if request.url.path == "/verify/sign-in" else "/verify"
        hrefs: dict[Language, str] = {}
        for code in LANGUAGES:
            query = {"certificate_id": certificate_id, "lang": code} if certificate_id else {"lang": code}
            if path == "/verify/sign-in" and request.query_params.get("next"):
                query = {"next": safe_next(request.query_params.get("next")), "lang": code}
            hrefs[code] = f"{path}?{urlencode(query)}"
        chrome = Chrome(
            language=language,
            node_country=self.node_country,
            official=session.official if session else None,
            csrf_token=self.signer.csrf_token(session) if session else "",
            language_links=language_links(current=language, href_for=hrefs),
        )
        explicit = parse_language(lang) is not None
        return Current(language=language, explicit_language=explicit, session=session, chrome=chrome)

    def secure(self, request: Request) -> bool:
        """Whether cookies get the Secure flag: as configured, else when the request came over HTTPS."""
        return request.url.scheme == "https" if self.secure_cookies is None else self.secure_cookies

    def finish(self, request: Request, current: Current, response: Response) -> Response:
        """Add the security headers, and remember an explicit language choice."""
        response.headers.update(SECURITY_HEADERS)
        if current.explicit_language:
            response.set_cookie(
                LANGUAGE_COOKIE,
                current.language,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=self.secure(request),
            )
        return response

    def html(self, request: Request, current: Current, body: str, status_code: int = 200) -> Response:
        """An HTML answer with the page's headers."""
        return self.finish(request, current, HTMLResponse(body, status_code=status_code))

    def redirect(self, request: Request, current: Current, target: str) -> Response:
        """A 303 See Other to ``target`` (a path of this page)."""
        return self.finish(request, current, RedirectResponse(target, status_code=303))

    def to_sign_in(self, request: Request, current: Current, next_url: str) -> Response:
        """Send a visitor without a session to the sign-in form, coming back to ``next_url``."""
        return self.redirect(request, current, f"/verify/sign-in?{urlencode({'next': safe_next(next_url)})}")

    def start_session(self, request: Request, response: Response, session_cookie: str) -> None:
        """Set the session cookie: HttpOnly, SameSite=Strict, scoped to the page's paths."""
        response.set_cookie(
            COOKIE_NAME,
            session_cookie,
            max_age=self.session_max_age,
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
            path="/verify",
        )

    def end_session(self, request: Request, response: Response) -> None:
        """Clear the session cookie."""
        response.delete_cookie(
            COOKIE_NAME, path="/verify", httponly=True, samesite="strict", secure=self.secure(request)
        )

    def sign_in_nonce(self, request: Request) -> str:
        """The browser's sign-in nonce when it has a well-formed one, else a new one."""
        nonce = request.cookies.get(SIGN_IN_COOKIE, "")
        if 16 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum():
            return nonce
        return new_session_id()

    def set_sign_in_nonce(self, request: Request, response: Response, nonce: str) -> None:
        """Give the browser the nonce its sign-in form's CSRF token is bound to (SameSite=Strict)."""
        response.set_cookie(
            SIGN_IN_COOKIE,
            nonce,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
            path="/verify/sign-in",
        )

    def same_origin(self, request: Request) -> bool:
        """Whether a form post comes from this page: a browser's Origin (when sent) names this host and
        Sec-Fetch-Site does not say cross-site."""
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        if origin is None:
            return True
        hosts = {request.headers.get("host", "")}
        if self.base_url:
            hosts.add(urlsplit(self.base_url).netloc)
        return origin != "null" and urlsplit(origin).netloc in hosts

    def absolute_url(self, request: Request, certificate_id: str) -> str:
        """The absolute verification address of a certificate (the configured base URL wins)."""
        return verification_url(
            base_url=self.base_url or str(request.base_url), certificate_id=certificate_id
        )
