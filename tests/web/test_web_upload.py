"""Tests of the page over real signed documents and the real verification pipeline, in-process."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI


@pytest.fixture
def signed_in(
    page_app: FastAPI, official_token: str
) -> Iterator[tuple[asyncio.Runner, httpx.AsyncClient, str]]:
    """An in-process client signed in as an official, with its CSRF token."""
    runner = asyncio.Runner()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=page_app), base_url="http://node-br.test")
    runner.run(client.post("/verify/sign-in", data={"token": official_token, "next": "/verify"}))
    page = runner.run(client.get("/verify"))
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    yield runner, client, match.group(1)
    runner.run(client.aclose())
    runner.close()


def _upload(signed_in: tuple[asyncio.Runner, httpx.AsyncClient, str], data: bytes) -> httpx.Response:
    runner, client, csrf = signed_in
    files = {"file": ("certificate.xml", data, "application/xml")}
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
    assert "Metalúrgica Río Cuarto S.A." in text and "Funcionario Activo AR" in text
    assert "CN=AR Root CA" in text and "valid: authorised official of this entity" in text
