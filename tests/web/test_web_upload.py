"""Tests of the page over real signed documents and the real verification pipeline, in-process."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from singlewindow.cod.samples import demo_official

#: conftest's lowercase CertificateID number (the XSD pattern allows lowercase letters)
LOWERCASE_NUMBER = "ab000046"


@pytest.fixture
def signed_in(
    page_app: FastAPI, official_token: str
) -> Iterator[tuple[asyncio.Runner, httpx.AsyncClient, str]]:
    """An in-process client signed in as an official, with its CSRF token."""
    runner = asyncio.Runner()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=page_app), base_url="http://node-br.test")
    form = runner.run(client.get("/verify/sign-in"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"token": official_token, "next": "/verify", "csrf_token": token.group(1)}
    runner.run(client.post("/verify/sign-in", data=data))
    page = runner.run(client.get("/verify"))
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    yield runner, client, match.group(1)
    runner.run(client.aclose())
    runner.close()


def _upload(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], data: bytes, name: str = "certificate.xml"
) -> httpx.Response:
    runner, client, csrf = signed_in
    files = {"file": (name, data, "application/xml")}
    return runner.run(client.post("/verify", data={"csrf_token": csrf}, files=files))


@pytest.mark.parametrize(
    ("name", "verdict", "phrase"),
    [
        ("genuine", "genuine", "Genuine and in force"),
        ("tampered", "not_genuine", "The content was changed after it was signed."),
        ("cancelled", "cancelled", "cancelled by the issuing entity"),
        ("rectified", "rectified", "replaced by a newer certificate"),
    ],
)
def test_uploaded_file_gets_the_right_verdict(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str],
    signed_documents: dict[str, bytes],
    name: str,
    verdict: str,
    phrase: str,
) -> None:
    """Genuine, tampered, cancelled and rectified files each get their own verdict from real verification."""
    response = _upload(signed_in, signed_documents[name])
    assert response.status_code == 200
    assert f'data-verdict="{verdict}"' in response.text and phrase in response.text


def test_tampered_file_shows_no_trail_and_no_qr(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], signed_documents: dict[str, bytes]
) -> None:
    """A tampered file is never tied to the stored certificate's trail or verification address."""
    response = _upload(signed_in, signed_documents["tampered"])
    assert "This node holds no delivery trail" in response.text and "qr-code" not in response.text
    assert "not proven authentic" in response.text


def test_genuine_upload_shows_the_stored_trail_and_qr(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], signed_documents: dict[str, bytes]
) -> None:
    """An uploaded copy identical to the stored one shows the delivery trail and the QR address."""
    response = _upload(signed_in, signed_documents["genuine"])
    assert "Accepted by the hub" in response.text and "HUB-2025-000123" in response.text
    assert (
        "http://node-br.test/verify?certificate_id=AR001A18" in response.text and "qr-code" in response.text
    )


def test_unreadable_upload_is_explained(signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str]) -> None:
    """A file that is not XML answers 400 with a sentence instead of a verdict."""
    response = _upload(signed_in, b"this is not a certificate")
    assert response.status_code == 400 and "could not be read" in response.text
    assert "data-verdict" not in response.text


def test_signers_are_listed_with_registry_answer(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], signed_documents: dict[str, bytes]
) -> None:
    """Both signatures appear with their signer, trust anchor and, for the official, registry answer 00."""
    text = _upload(signed_in, signed_documents["genuine"]).text
    assert "Metalúrgica Río Cuarto S.A." in text and demo_official("AR") in text
    assert "AR Root CA" in text and "CN=AR Root CA" not in text
    assert "valid: authorised official of this entity" in text


def test_another_version_under_a_held_id_is_not_the_certificate_held(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], signed_documents: dict[str, bytes]
) -> None:
    """A validly signed file differing from the one held under its CertificateID is never GENUINE."""
    response = _upload(signed_in, signed_documents["other_version"])
    assert 'data-verdict="not_held"' in response.text and "NOT THE CERTIFICATE HELD HERE" in response.text
    assert "Genuine and in force" not in response.text and "qr-code" not in response.text


def test_a_file_that_never_came_here_has_unknown_status(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], signed_documents: dict[str, bytes]
) -> None:
    """A validly signed certificate this node never received says its status is unknown here."""
    response = _upload(signed_in, signed_documents["foreign"])
    assert 'data-verdict="unknown"' in response.text and "STATUS UNKNOWN HERE" in response.text
    assert "Genuine and in force" not in response.text


def test_lowercase_certificate_id_is_matched_exactly_on_upload_and_look_up(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], signed_documents: dict[str, bytes]
) -> None:
    """A cancelled certificate whose ID has lowercase letters shows CANCELLED on upload and look-up."""
    runner, client, _ = signed_in
    upload = _upload(signed_in, signed_documents["lowercase"])
    assert 'data-verdict="cancelled"' in upload.text and "issued in error" in upload.text
    certificate_id = signed_documents["lowercase"].split(b"<CertificateID>")[1].split(b"<")[0].decode()
    assert LOWERCASE_NUMBER in certificate_id
    looked_up = runner.run(client.get("/verify", params={"certificate_id": certificate_id}))
    assert 'data-verdict="cancelled"' in looked_up.text
    folded = runner.run(client.get("/verify", params={"certificate_id": certificate_id.upper()}))
    assert folded.status_code == 404


def test_uploaded_file_name_is_shown_beside_the_result(
    signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], signed_documents: dict[str, bytes]
) -> None:
    """The result names the file the official chose (base name only, escaped)."""
    response = _upload(signed_in, signed_documents["genuine"], name="C:\\scans\\<lote 7>.xml")
    assert 'File checked: <span class="mono">&lt;lote 7&gt;.xml</span>' in response.text
