"""Browser tests of the page: Debian's Chromium, headless and with JavaScript off, against a live server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web.browsing import SCREENSHOTS, look_up, overflow, playwright_or_skip, shot, signed_in_context

playwright_api = playwright_or_skip()
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect


def _id_of(stored_ids: list[str], number: str) -> str:
    return next(cid for cid in stored_ids if cid[10:18] == number)


@pytest.fixture
def ids(stored: dict[str, object]) -> list[str]:
    """The CertificateIDs the live node holds."""
    return sorted(stored)


def test_look_up_genuine_certificate(page: Page, ids: list[str], live_url: str) -> None:
    """Looking a genuine certificate up shows GENUINE, the goods table, both signers, the trail and a QR."""
    genuine = _id_of(ids, "00000043")
    look_up(page, genuine)
    banner = page.locator(".verdict")
    expect(banner).to_have_attribute("data-verdict", "genuine")
    expect(banner).to_contain_text("GENUINE")
    expect(page.locator("table.goods tbody tr")).to_have_count(3)
    expect(page.locator(".signature h3")).to_have_text(["Exporter", "Official of the issuing entity"])
    expect(page.locator(".trail li")).to_have_count(4)
    expect(page.locator(".qr .url")).to_have_text(f"{live_url}/verify?certificate_id={genuine}")
    expect(page.locator(".qr-image svg")).to_be_visible()
    shot(page, "lookup-genuine")


@pytest.mark.parametrize(
    ("name", "verdict", "word"),
    [
        ("genuine", "genuine", "GENUINE"),
        ("tampered", "not_genuine", "NOT GENUINE"),
        ("cancelled", "cancelled", "CANCELLED"),
        ("other_version", "not_held", "NOT THE CERTIFICATE HELD HERE"),
        ("foreign", "unknown", "STATUS UNKNOWN HERE"),
        ("lowercase", "cancelled", "CANCELLED"),
    ],
)
def test_upload_shows_the_verdict(
    page: Page, signed_documents: dict[str, bytes], tmp_path: Path, name: str, verdict: str, word: str
) -> None:
    """Uploading a genuine, a tampered and a cancelled file shows each verdict's word and colour class."""
    path = tmp_path / f"{name}.xml"
    path.write_bytes(signed_documents[name])
    page.get_by_label("Certificate file (XML)", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Verify the file").click()
    banner = page.locator(".verdict")
    expect(banner).to_have_attribute("data-verdict", verdict)
    expect(banner.locator(".verdict-word")).to_contain_text(word)
    expect(banner.locator(".file-name")).to_have_text(f"File checked: {name}.xml")
    if verdict != "genuine":
        expect(banner).not_to_contain_text("Genuine and in force")
    if verdict in ("not_genuine", "not_held", "unknown"):
        expect(page.locator(".qr")).to_have_count(0)
    if verdict == "cancelled":
        expect(banner.locator(".verdict-reason")).to_have_text("Reason given: issued in error")
    if name == "tampered":
        expect(banner.locator(".reasons li").first).to_have_text(
            "The content was changed after it was signed."
        )
    shot(page, f"upload-{name}")


def test_rectified_certificate_links_to_the_newer_one(page: Page, ids: list[str]) -> None:
    """A rectified certificate says RECTIFIED and its link opens the newer certificate, which is genuine."""
    look_up(page, _id_of(ids, "00000045"))
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "rectified")
    shot(page, "lookup-rectified")
    page.locator(".verdict a.newer").click()
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "genuine")
    expect(page.locator(".verdict-id")).to_have_text(re.compile(r"01$"))


def test_language_switch(page: Page, ids: list[str]) -> None:
    """The language links relabel the result in Spanish then Portuguese, and the choice is remembered."""
    genuine = _id_of(ids, "00000043")
    look_up(page, genuine)
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator(".verdict-word")).to_contain_text("AUTÉNTICO")
    expect(page.get_by_role("table", name="Mercaderías")).to_be_visible()
    shot(page, "lookup-genuine-es")
    page.get_by_role("navigation", name="Idioma").get_by_role("link", name="Português").click()
    expect(page.locator(".verdict-word")).to_contain_text("AUTÊNTICO")
    page.goto(f"/verify?certificate_id={genuine}")
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    shot(page, "lookup-genuine-pt")


def test_print_layout_and_qr_address(page: Page, ids: list[str], live_url: str) -> None:
    """Printing hides navigation and forms but keeps verdict and QR; the QR's address opens the same page."""
    look_up(page, _id_of(ids, "00000044"))
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.get_by_role("button", name="Look up")).to_be_hidden()
    expect(page.locator(".verdict")).to_be_visible()
    expect(page.locator(".qr-image svg")).to_be_visible()
    shot(page, "print-cancelled")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "print-cancelled.pdf"), format="A4")
    address = page.locator(".qr .url").inner_text()
    page.emulate_media(media="screen")
    page.goto(address)
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "cancelled")
    assert address.startswith(live_url)


def test_keyboard_reaches_skip_link_and_forms(page: Page) -> None:
    """Tab first reaches the skip link, and every visible input has a label the browser associates with it."""
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the result")).to_be_focused()
    for name in ("Certificate ID", "Certificate file (XML)"):
        expect(page.get_by_label(name, exact=True)).to_have_count(1)


def test_phone_shows_the_verdict_first_and_scrolls_tables_inside_their_card(
    browser: Browser,
    live_url: str,
    official_token: str,
    ids: list[str],
    signed_documents: dict[str, bytes],
    tmp_path: Path,
) -> None:
    """At 390 px the verdict comes before both forms, the page never scrolls sideways, and the goods
    table scrolls inside its card; screenshots of the phone layout are kept."""
    page = signed_in_context(
        browser, live_url, official_token, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    shot(page, "phone-empty")
    look_up(page, _id_of(ids, "00000043"))
    verdict, forms = page.locator(".verdict").bounding_box(), page.locator(".searches").bounding_box()
    assert verdict is not None and forms is not None and verdict["y"] < forms["y"]
    assert verdict["y"] < 844, "the verdict is on the first screen"
    assert overflow(page) <= 0
    scroller = page.locator(".table-scroll").filter(has=page.locator("table.goods"))
    card = page.locator(".certificate").bounding_box()
    box = scroller.bounding_box()
    assert card is not None and box is not None and box["x"] + box["width"] <= card["x"] + card["width"]
    assert scroller.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    shot(page, "phone-lookup-genuine")
    path = tmp_path / "tampered.xml"
    path.write_bytes(signed_documents["tampered"])
    page.get_by_label("Certificate file (XML)", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Verify the file").click()
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "not_genuine")
    assert overflow(page) <= 0
    shot(page, "phone-upload-tampered")
    page.context.close()


def test_not_genuine_is_not_styled_like_a_link(
    page: Page, signed_documents: dict[str, bytes], tmp_path: Path
) -> None:
    """The NOT GENUINE word is neither underlined nor in the link colour."""
    path = tmp_path / "tampered.xml"
    path.write_bytes(signed_documents["tampered"])
    page.get_by_label("Certificate file (XML)", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Verify the file").click()
    word = page.locator(".verdict-not_genuine .word")
    expect(word).to_have_css("text-decoration-line", "none")
    expect(word).not_to_have_css("color", "rgb(11, 79, 168)")


def test_printed_copy_says_when_and_by_which_node_it_was_checked(page: Page, ids: list[str]) -> None:
    """A printed result carries "Checked by node BR at <time> UTC+00:00", readable anchors and zoned times."""
    look_up(page, _id_of(ids, "00000043"))
    page.emulate_media(media="print")
    checked = page.locator(".verdict .checked")
    expect(checked).to_be_visible()
    expect(checked).to_have_text(
        re.compile(r"^Checked by node BR at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\+00:00$")
    )
    expect(page.locator(".signatures")).to_contain_text("AR Root CA")
    expect(page.locator(".signatures")).not_to_contain_text("CN=")
    for time_text in page.locator(".trail time").all_inner_texts():
        assert time_text.endswith("UTC+00:00")
    shot(page, "print-genuine")


def test_language_is_kept_through_sign_in(browser: Browser, live_url: str, official_token: str) -> None:
    """Choosing Español before signing in keeps the page in Español after signing in."""
    context = browser.new_context(java_script_enabled=False, locale="en-GB", base_url=live_url)
    tab = context.new_page()
    tab.goto("/verify?lang=es")
    expect(tab.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    tab.get_by_label("Token de acceso").fill(official_token)
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(f"{live_url}/verify")
    expect(tab.locator("html")).to_have_attribute("lang", "es")
    expect(tab.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    context.close()
