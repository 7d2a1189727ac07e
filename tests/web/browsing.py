"""Helpers of the browser tests: Debian's Chromium, headless and with JavaScript off, against a live page."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def playwright_or_skip() -> ModuleType:
    """Playwright's sync API, or a skip where Debian's Chromium or Playwright is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make system-deps installs it)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


@contextmanager
def serving(app: FastAPI, *, lifespan: Literal["on", "off"] = "off", start_s: float = 15) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL.

    ``lifespan="on"`` runs the app's start-up (a whole node: database, trust list, workers).
    """
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan)
    )
    thread = threading.Thread(target=server.run, name="live-node", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def shot(page: Any, name: str) -> None:
    """Keep a full-page screenshot under test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def look_up(page: Any, certificate_id: str) -> None:
    """Look a CertificateID up through the page's form."""
    page.get_by_label("Certificate ID", exact=True).fill(certificate_id)
    page.get_by_role("button", name="Look up").click()


def signed_in_context(browser: Any, live_url: str, token: str, **options: object) -> Any:
    """A new English tab (JavaScript off, ``options`` such as a phone viewport) signed in with ``token``."""
    playwright_api = playwright_or_skip()
    context = browser.new_context(java_script_enabled=False, locale="en-GB", base_url=live_url, **options)
    tab = context.new_page()
    tab.goto("/verify")
    tab.get_by_label("Access token").fill(token)
    tab.keyboard.press("Enter")
    playwright_api.expect(tab).to_have_url(f"{live_url}/verify")
    return tab


def overflow(page: Any) -> int:
    """How far the page is wider than the viewport (0: no sideways scrolling)."""
    width: int = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return width
