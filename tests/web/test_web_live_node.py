"""Browser tests of the page mounted in the REAL node app (create_app, uvicorn, real hub deliveries)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from web.browsing import look_up, serving, shot

from singlewindow.config import NodeSettings, TokenConfig
from singlewindow.lifecycle import issue_cancellation
from singlewindow.node import create_app
from singlewindow.protocol import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    XML,
    SignatureAuth,
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
]
OFFICIAL = "br-live-official-token-0123456789"
CUSTOMS = "br-live-customs-token-0123456789"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (make system-deps installs it)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect


def certificate_id_of(document: bytes) -> str:
    """The CertificateID written in a COD."""
    return document.split(b"<CertificateID>")[1].split(b"<")[0].decode()


def deliver(
    base_url: str, federation: Any, document: bytes, delivery: str, certificate_id: str | None = None
) -> httpx.Response:
    """Push ``document`` to the node's inbound endpoint exactly as the hub's worker does (hub-signed)."""
    auth = SignatureAuth(key=federation.hub.private_key, keyid="hub", cover=DELIVERY_COVERS)
    headers = {
        "content-type": XML,
        DELIVERY_HEADER: delivery,
        CERTIFICATE_HEADER: certificate_id or certificate_id_of(document),
        ACCEPTED_AT_HEADER: datetime.now(UTC).isoformat(),
    }
    return httpx.post(f"{base_url}/api/v1/inbound", content=document, headers=headers, auth=auth, timeout=30)


@pytest.fixture(scope="module")
def live_node(
    federation: Any,
    aladi_dir: Path,
    signed_documents: dict[str, bytes],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """BR's real node app under uvicorn on a free loopback port, holding the delivered genuine COD."""
    root = tmp_path_factory.mktemp("live-node")
    settings = NodeSettings(
        pki=federation.directory,
        schema_dirs=str(aladi_dir),
        country="BR",
        database_url=f"sqlite:///{root / 'br.db'}",
        hub_url="http://127.0.0.1:9",
        session_secret="live-node-session-secret-0123456789",  # type: ignore[arg-type]
        tokens=[
            TokenConfig(name="Ana Souza", role="official", token=OFFICIAL),
            TokenConfig(name="Aduana BR", role="customs", token=CUSTOMS),
        ],
    )
    app = create_app(settings, background=False)
    with serving(app, lifespan="on", start_s=60) as url:
        for name in ("genuine", "cancelled", "rectified", "newer"):
            answer = deliver(url, federation, signed_documents[name], f"live-{name}")
            assert answer.status_code == 200, answer.text
        cancellation = issue_cancellation(
            certificate_id=certificate_id_of(signed_documents["cancelled"]),
            importer_country="BR",
            reason="issued in error",
            when=datetime.now(UTC),
            official=federation.country("AR").official,
        )
        answer = deliver(
            url,
            federation,
            cancellation,
            "live-cancellation",
            certificate_id_of(signed_documents["cancelled"]),
        )
        assert answer.status_code == 200, answer.text
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_node: str) -> Iterator[Page]:
    """A fresh English tab with JavaScript off, signed in with the node's configured official token."""
    context = browser.new_context(java_script_enabled=False, locale="en-GB", base_url=live_node)
    tab = context.new_page()
    tab.goto("/verify")
    expect(tab).to_have_url(re.compile(r"/verify/sign-in\?next=%2Fverify$"))
    tab.get_by_label("Access token").fill(OFFICIAL)
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(f"{live_node}/verify")
    yield tab
    context.close()


def test_live_customs_token_cannot_sign_in(browser: Browser, live_node: str) -> None:
    """The node's customs token is refused on the officials' page (hashed tokens, official role)."""
    context = browser.new_context(java_script_enabled=False, locale="en-GB", base_url=live_node)
    tab = context.new_page()
    tab.goto("/verify/sign-in")
    tab.get_by_label("Access token").fill(CUSTOMS)
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"/verify/sign-in$"))
    context.close()


def test_live_look_up_of_a_delivered_certificate(
    page: Page, signed_documents: dict[str, bytes], live_node: str
) -> None:
    """Looking up the certificate the node received shows GENUINE, its goods and the node's received trail."""
    certificate_id = certificate_id_of(signed_documents["genuine"])
    look_up(page, certificate_id)
    banner = page.locator(".verdict")
    expect(banner).to_have_attribute("data-verdict", "genuine")
    expect(page.locator("table.goods tbody tr")).to_have_count(3)
    expect(page.locator(".trail li")).to_have_count(1)
    expect(page.locator(".qr .url")).to_have_text(f"{live_node}/verify?certificate_id={certificate_id}")
    shot(page, "live-lookup-genuine")
    look_up(page, certificate_id[:-2] + "99")
    expect(page.locator("body")).to_contain_text(certificate_id[:-2] + "99")


@pytest.mark.parametrize(
    ("name", "verdict"), [("genuine", "genuine"), ("tampered", "not_genuine"), ("cancelled", "cancelled")]
)
def test_live_upload(
    page: Page, signed_documents: dict[str, bytes], tmp_path: Path, name: str, verdict: str
) -> None:
    """Uploading a genuine, a tampered and a cancelled file shows GENUINE, NOT GENUINE and CANCELLED."""
    path = tmp_path / f"{name}.xml"
    path.write_bytes(signed_documents[name])
    page.get_by_label("Certificate file (XML)", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Verify the file").click()
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", verdict)
    shot(page, f"live-upload-{name}")


def test_live_language_switch(page: Page, signed_documents: dict[str, bytes]) -> None:
    """Switching to Spanish on the live node relabels the verdict of the delivered certificate."""
    look_up(page, certificate_id_of(signed_documents["genuine"]))
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator(".verdict-word")).to_contain_text("AUTÉNTICO")
    shot(page, "live-lookup-genuine-es")


def test_live_cancelled_and_rectified_look_ups(page: Page, signed_documents: dict[str, bytes]) -> None:
    """After the signed cancellation and the rectification arrived, the page shows CANCELLED and RECTIFIED."""
    look_up(page, certificate_id_of(signed_documents["cancelled"]))
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "cancelled")
    expect(page.locator(".verdict-word")).to_contain_text("CANCELLED")
    shot(page, "live-lookup-cancelled")
    look_up(page, certificate_id_of(signed_documents["rectified"]))
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "rectified")
    shot(page, "live-lookup-rectified")
    page.locator(".verdict a.newer").click()
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "genuine")
    expect(page.locator(".verdict-id")).to_have_text(certificate_id_of(signed_documents["newer"]))


def test_live_sign_out_ends_the_session_for_a_copied_cookie(browser: Browser, live_node: str) -> None:
    """Signing out with the button ends the session in the node: a cookie copied before is refused."""
    context = browser.new_context(java_script_enabled=False, locale="en-GB", base_url=live_node)
    tab = context.new_page()
    tab.goto("/verify")
    tab.get_by_label("Access token").fill(OFFICIAL)
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(f"{live_node}/verify")
    copied = [c for c in context.cookies() if c.get("name") == "sw_session"]
    assert copied
    tab.get_by_role("button", name="Sign out").click()
    expect(tab).to_have_url(re.compile(r"/verify/sign-in$"))
    context.close()
    thief = browser.new_context(java_script_enabled=False, locale="en-GB", base_url=live_node)
    thief.add_cookies(copied)  # type: ignore[arg-type]
    stolen = thief.new_page()
    stolen.goto("/verify")
    expect(stolen).to_have_url(re.compile(r"/verify/sign-in\?next="))
    thief.close()
