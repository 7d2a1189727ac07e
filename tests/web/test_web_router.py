"""Tests of the page's routes in-process: sign-in, sessions, CSRF, look-up, languages and headers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI

from singlewindow.node.web import CertificateRecord, Official, create_web_router
from singlewindow.node.web.session import MemorySessions, SessionSigner, SignInLimiter, credential_of
from singlewindow.verification.report import VerificationReport

if TYPE_CHECKING:
    from conftest import ReportFactory

TOKENS = {
    "official-token": Official(name="Ana Souza", role="official", country="BR"),
    "customs-token": Official(name="Aduana BR", role="customs", country="BR"),
}
CERTIFICATE_ID = "AR001A18250000004300"
SECRET = b"s" * 32


class Client:
    """A synchronous face on an in-process httpx client (ASGI transport), keeping cookies between calls."""

    def __init__(self, app: FastAPI, *, address: str = "127.0.0.1") -> None:
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        self._client = httpx.AsyncClient(transport=transport, base_url="https://testserver")

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self._client.get(url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self._client.post(url, **kwargs))

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


def _refuse_upload(_data: bytes) -> VerificationReport:
    raise AssertionError("these tests never reach verification")


class FakeClock:
    """A monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sessions() -> MemorySessions:
    """The page's server-side sessions, kept where the test can withdraw a token."""
    return MemorySessions()


@pytest.fixture
def limiter_clock() -> FakeClock:
    """The clock of the sign-in attempt limiter."""
    return FakeClock()


@pytest.fixture
def app(
    sample_xml: bytes, make_report: ReportFactory, sessions: MemorySessions, limiter_clock: FakeClock
) -> FastAPI:
    """A FastAPI app with only the page, one stored certificate and two known tokens."""
    record = CertificateRecord(data=sample_xml, report=make_report(sample_xml))
    records = {CERTIFICATE_ID: record}
    app = FastAPI()
    app.include_router(
        create_web_router(
            lookup=records.get,
            verify=_refuse_upload,
            authenticate=TOKENS.get,
            node_country="BR",
            secret_key=SECRET,
            base_url="https://node-br.example",
            sessions=sessions,
            sign_in_limiter=SignInLimiter(limit=5, window=600, clock=limiter_clock),
        )
    )
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[Client]:
    """A browser-like client of the page, from one address."""
    web = Client(app)
    yield web
    web.close()


def _sign_in_form_token(client: Client) -> str:
    """The CSRF token of the sign-in form (bound to the sign-in cookie the form's page sets)."""
    form = client.get("/verify/sign-in")
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert match is not None
    return match.group(1)


def _post_sign_in(client: Client, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    """Post the sign-in form as a browser does: with its CSRF token, from the page's own origin."""
    return client.post("/verify/sign-in", data={"csrf_token": _sign_in_form_token(client), **data}, **kwargs)


def _sign_in(client: Client, *, token: str = "official-token", next_url: str = "/verify") -> str:  # noqa: S107
    response = _post_sign_in(client, {"token": token, "next": next_url})
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client: Client) -> None:
    """Without a session, a look-up redirects to sign-in, which returns to the same look-up afterwards."""
    response = client.get(f"/verify?certificate_id={CERTIFICATE_ID}")
    assert response.status_code == 303
    assert (
        response.headers["location"] == f"/verify/sign-in?next=%2Fverify%3Fcertificate_id%3D{CERTIFICATE_ID}"
    )
    signed_in = _post_sign_in(
        client, {"token": "official-token", "next": f"/verify?certificate_id={CERTIFICATE_ID}"}
    )
    assert signed_in.headers["location"] == f"/verify?certificate_id={CERTIFICATE_ID}"
    (cookie,) = [c for c in signed_in.headers.get_list("set-cookie") if c.startswith("sw_session=")]
    assert (
        "HttpOnly" in cookie
        and "SameSite=strict" in cookie
        and "Secure" in cookie
        and "Path=/verify" in cookie
    )


@pytest.mark.parametrize(("token", "status"), [("wrong", 401), ("customs-token", 403), ("", 401)])
def test_bad_tokens_and_other_roles_cannot_sign_in(client: Client, token: str, status: int) -> None:
    """An unknown token is refused with 401 and a non-official role with 403, and no session is set."""
    response = _post_sign_in(client, {"token": token, "next": "/verify"})
    assert response.status_code == status and "sw_session" not in response.headers.get("set-cookie", "")
    assert client.get("/verify").status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/verify", "/verify/../admin", "/verifyx"]
)
def test_sign_in_never_redirects_off_the_page(client: Client, target: str) -> None:
    """The return address after sign-in is only ever the page itself (no open redirect)."""
    response = _post_sign_in(client, {"token": "official-token", "next": target})
    assert response.headers["location"] == "/verify"


def test_look_up_shows_the_verdict_and_qr_of_the_stored_certificate(client: Client) -> None:
    """A signed-in look-up by CertificateID renders the genuine verdict and the absolute QR address."""
    _sign_in(client)
    response = client.get(f"/verify?certificate_id={CERTIFICATE_ID}")
    assert response.status_code == 200
    assert 'data-verdict="genuine"' in response.text
    assert f"https://node-br.example/verify?certificate_id={CERTIFICATE_ID}" in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("value", "status", "text"),
    [
        ("AR001A1825000000999X", 404, "No certificate"),
        (CERTIFICATE_ID.lower(), 404, "No certificate"),
        ("AR-1", 400, "not a certificate ID"),
    ],
)
def test_unknown_and_malformed_ids_are_explained(client: Client, value: str, status: int, text: str) -> None:
    """An unknown ID answers 404 and a malformed one 400, each with a sentence instead of a verdict."""
    _sign_in(client)
    response = client.get("/verify", params={"certificate_id": value})
    assert response.status_code == status and text in response.text and "data-verdict" not in response.text


def test_upload_without_the_csrf_token_is_refused(client: Client, sample_xml: bytes) -> None:
    """An upload that lacks this session's CSRF token is refused before the file is verified."""
    _sign_in(client)
    files = {"file": ("c.xml", sample_xml, "application/xml")}
    response = client.post("/verify", data={"csrf_token": "forged"}, files=files)
    assert response.status_code == 400 and "expired" in response.text


def test_empty_and_oversized_uploads_are_refused(client: Client) -> None:
    """An empty file answers 400 and one above the size limit 413, both before verification."""
    csrf = _sign_in(client)
    empty = client.post(
        "/verify", data={"csrf_token": csrf}, files={"file": ("c.xml", b"", "application/xml")}
    )
    big = client.post(
        "/verify", data={"csrf_token": csrf}, files={"file": ("c.xml", b"<a/>" * 2_000_000, "text/xml")}
    )
    assert (empty.status_code, big.status_code) == (400, 413)


def test_language_switch_is_remembered(client: Client) -> None:
    """Choosing Português relabels the page and a cookie keeps the choice for the next request."""
    _sign_in(client)
    switched = client.get(f"/verify?certificate_id={CERTIFICATE_ID}&lang=pt")
    assert '<html lang="pt">' in switched.text and "AUTÊNTICO" in switched.text
    assert 'href="/verify?certificate_id=AR001A18250000004300&amp;lang=es"' in switched.text
    again = client.get(f"/verify?certificate_id={CERTIFICATE_ID}", headers={"accept-language": "es"})
    assert '<html lang="pt">' in again.text


def test_accept_language_picks_the_first_page_language(client: Client) -> None:
    """Without a choice, the sign-in page speaks the browser's preferred supported language."""
    response = client.get("/verify/sign-in", headers={"accept-language": "es-AR,es;q=0.9"})
    assert '<html lang="es">' in response.text and "Iniciar sesión" in response.text


def test_sign_out_needs_csrf_and_ends_the_session(client: Client) -> None:
    """Sign-out without the CSRF token is refused; with it the session cookie is cleared."""
    csrf = _sign_in(client)
    assert client.post("/verify/sign-out", data={"csrf_token": "nope"}).status_code == 400
    response = client.post("/verify/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 303 and 'sw_session=""' in response.headers["set-cookie"]
    assert client.get("/verify").status_code == 303


def test_stylesheet_is_served_with_print_rules(client: Client) -> None:
    """The stylesheet is served as CSS and hides navigation and forms when printing."""
    response = client.get("/verify/assets/verify.css")
    assert response.headers["content-type"].startswith("text/css") and "@media print" in response.text


def _session_cookie(client: Client) -> str:
    cookie = client._client.cookies.get("sw_session")
    assert cookie
    return cookie


def test_sign_in_without_the_form_token_is_refused(client: Client) -> None:
    """A sign-in post without the form's CSRF token (login CSRF) is refused and starts no session."""
    response = client.post("/verify/sign-in", data={"token": "official-token", "next": "/verify"})
    assert response.status_code == 400 and "The form expired" in response.text
    assert "sw_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "headers",
    [{"origin": "https://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}],
)
def test_cross_site_sign_in_is_refused(client: Client, headers: dict[str, str]) -> None:
    """A sign-in posted from another site is refused (403) even with a valid form token."""
    response = _post_sign_in(client, {"token": "official-token", "next": "/verify"}, headers=headers)
    assert response.status_code == 403 and "sent from another site" in response.text
    assert "sw_session" not in response.headers.get("set-cookie", "")


def test_same_origin_sign_in_is_accepted(client: Client) -> None:
    """A sign-in whose Origin is the page's own host is accepted."""
    headers = {"origin": "https://testserver", "sec-fetch-site": "same-origin"}
    response = _post_sign_in(client, {"token": "official-token", "next": "/verify"}, headers=headers)
    assert response.status_code == 303 and response.headers["location"] == "/verify"


def test_signing_out_ends_the_session_on_the_server(app: FastAPI, client: Client) -> None:
    """After sign-out, a copy of the session cookie taken before it no longer opens the page."""
    csrf = _sign_in(client)
    copied = _session_cookie(client)
    assert client.post("/verify/sign-out", data={"csrf_token": csrf}).status_code == 303
    thief = Client(app, address="203.0.113.9")
    try:
        response = thief.get("/verify", headers={"cookie": f"sw_session={copied}"})
        assert response.status_code == 303 and response.headers["location"].startswith("/verify/sign-in")
    finally:
        thief.close()


def test_withdrawing_a_token_ends_its_sessions(client: Client, sessions: MemorySessions) -> None:
    """Once an official's token is withdrawn, the sessions opened with it stop working at once."""
    _sign_in(client)
    assert client.get("/verify").status_code == 200
    sessions.withdraw(credential_of("official-token"))
    assert client.get("/verify").status_code == 303


def test_a_cookie_made_for_another_node_is_refused(app: FastAPI, client: Client) -> None:
    """A cookie signed with the same secret for another country's node opens no session here."""
    _sign_in(client)
    own = SessionSigner(secret_key=SECRET, scope="BR").read(_session_cookie(client))
    assert own is not None
    official = Official(name="Ana Souza", role="official", country="AR")
    foreign = SessionSigner(secret_key=SECRET, scope="AR").issue(official=official, session_id=own.session_id)
    intruder = Client(app)
    try:
        assert intruder.get("/verify", headers={"cookie": f"sw_session={foreign}"}).status_code == 303
    finally:
        intruder.close()


def test_failed_sign_ins_are_rate_limited_per_client(
    app: FastAPI, client: Client, limiter_clock: FakeClock
) -> None:
    """After 5 failed sign-ins a client gets 429 with Retry-After, even with the right token; another
    client is unaffected, and the limit lifts once the window has passed."""
    for _ in range(5):
        assert _post_sign_in(client, {"token": "wrong", "next": "/verify"}).status_code == 401
    blocked = _post_sign_in(client, {"token": "official-token", "next": "/verify"})
    assert blocked.status_code == 429 and "Too many failed sign-in attempts" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= 600
    other = Client(app, address="198.51.100.7")
    try:
        assert _post_sign_in(other, {"token": "official-token", "next": "/verify"}).status_code == 303
    finally:
        other.close()
    limiter_clock.now += 601
    assert _post_sign_in(client, {"token": "official-token", "next": "/verify"}).status_code == 303


def test_language_is_kept_through_sign_in(client: Client) -> None:
    """A visitor who chose Español before signing in gets the page in Español after signing in."""
    first = client.get("/verify?lang=es")
    assert first.status_code == 303
    form = client.get(first.headers["location"])
    assert '<html lang="es">' in form.text and 'name="lang" value="es"' in form.text
    response = _post_sign_in(client, {"token": "official-token", "next": "/verify", "lang": "es"})
    assert '<html lang="es">' in client.get(response.headers["location"]).text
