"""The attack corpus: hostile requests against a live federation, each with the refusal it must get."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from singlewindow.cod import sample_certificate
from singlewindow.harness.federation import HUB, SimulatedFederation
from singlewindow.pki import Federation
from singlewindow.pki.federation import Identity
from singlewindow.protocol.httpsig import sign_request
from singlewindow.protocol.messages import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    JSON_BODY_COVERS,
    DeliveriesBody,
    DeliveryItem,
)
from singlewindow.verification import complete_and_sign

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@dataclass(frozen=True, slots=True)
class Attack:
    """One hostile request, the HTTP status and one of the problem codes that must refuse it."""

    name: str
    status: int
    codes: frozenset[str]
    send: Send
    #: the CertificateID the attack tries to get stored or delivered ("" when none)
    certificate_id: str = ""


class Corpus:
    """Builds signed documents and signed requests from the federation's own PKI."""

    def __init__(self, *, federation: SimulatedFederation, seed: int = 0) -> None:
        self.sim = federation
        self.pki = Federation.load(federation.pki_dir)
        self.number = 90_000_000 + seed * 1000
        a, b = federation.countries[0], federation.countries[1]
        self.a, self.b = a, b

    def document(self, *, exporter: str, importer: str, revoked: bool = False) -> tuple[bytes, str]:
        """A complete COD signed as ``exporter``'s (optionally by its revoked official), and its id."""
        self.number += 1
        cert = sample_certificate(
            exporter_country=exporter,
            importer_country=importer,
            number=self.number,
            goods=2,
            when=datetime.now(UTC),
        )
        assert cert.certification is not None
        official = self.pki.country(exporter).revoked_official if revoked else None
        signed = complete_and_sign(
            cert.model_dump_json().encode(), federation=self.pki, country=exporter, official=official
        )
        return signed, str(cert.certification.certificate_id)

    def signed_post(
        self,
        *,
        url: str,
        body: bytes,
        key: Identity,
        keyid: str,
        created: int | None = None,
        delivery: tuple[str, str] | None = None,
        together: bool = False,
    ) -> Send:
        """A POST signed (RFC 9421) by ``key`` as ``keyid``; ``delivery`` = (number, id): a hub delivery.

        ``together``: that delivery in the body of a delivery of several documents (one of them).
        """
        headers = {"content-type": "application/xml"}
        cover: tuple[str, ...] = ()
        if delivery is not None and together:
            item = DeliveryItem(
                delivery=delivery[0],
                certificate_id=delivery[1],
                accepted_at=datetime.now(UTC).isoformat(),
                document=body,
            )
            body = DeliveriesBody(deliveries=[item]).model_dump_json().encode()
            headers = {"content-type": "application/json"}
            cover = JSON_BODY_COVERS
        elif delivery is not None:
            headers |= {
                DELIVERY_HEADER: delivery[0],
                CERTIFICATE_HEADER: delivery[1],
                ACCEPTED_AT_HEADER: datetime.now(UTC).isoformat(),
            }
            cover = DELIVERY_COVERS
        headers |= sign_request(
            method="POST",
            url=url,
            body=body,
            headers=headers,
            key=key.private_key,
            keyid=keyid,
            cover=cover,
            created=created,
        )

        async def send(client: httpx.AsyncClient) -> httpx.Response:
            return await client.post(url, content=body, headers=headers)

        return send

    def signed_get(self, *, url: str, key: Identity, keyid: str) -> Send:
        """A GET signed with ``key`` as ``keyid``."""
        headers = sign_request(method="GET", url=url, body=b"", headers={}, key=key.private_key, keyid=keyid)

        async def send(client: httpx.AsyncClient) -> httpx.Response:
            return await client.get(url, headers=headers)

        return send

    def bearer_post(self, *, country: str, body: bytes, token: str | None, content_type: str) -> Send:
        """A customs POST to a node with ``token`` (None: no Authorization at all)."""
        url = f"{self.sim.url(country)}/api/v1/certificates"
        headers = {"content-type": content_type}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"

        async def send(client: httpx.AsyncClient) -> httpx.Response:
            return await client.post(url, content=body, headers=headers)

        return send

    def node(self, country: str) -> Identity:
        """A country node's federation key."""
        return self.pki.country(country).node


#: what a slow-drip body must get: the service gives up on it after ``body_timeout`` seconds
SLOW_DRIP_EXPECTED = "408 input.too_slow"


async def slow_drip(*, port: int, seconds: float, token: str | None = None) -> str:
    """Announce a 100 kB customs body and drip one byte every 0.2 s; return how the service ended it.

    ``"408 input.too_slow"`` (``SLOW_DRIP_EXPECTED``) when the service refused it in time, otherwise
    what happened instead (another answer, a bare close, or ``"held open …"`` after ``seconds``).
    ``token`` is a customs token, so that the node gets as far as reading the body.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    authorization = f"authorization: Bearer {token}\r\n".encode() if token else b""
    writer.write(
        b"POST /api/v1/certificates HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/xml\r\n"
        + authorization
        + b"content-length: 100000\r\n\r\n"
    )
    deadline = time.monotonic() + seconds
    outcome = f"held open {seconds:g}s"
    answer = asyncio.ensure_future(_read_answer(reader))
    try:
        while time.monotonic() < deadline:
            writer.write(b"<")
            await writer.drain()
            done, _ = await asyncio.wait({answer}, timeout=0.2)
            if done:
                outcome = _drip_outcome(answer.result())
                break
    except OSError:
        outcome = "closed by the service"
    finally:
        answer.cancel()
        writer.close()
    return outcome


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    """An HTTP answer's head and its Content-Length body, or as much of it as came before the close."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    except (asyncio.LimitOverrunError, OSError):
        return b""
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    try:
        return head + await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        return head + exc.partial
    except OSError:
        return head


def _drip_outcome(head: bytes) -> str:
    """``"<status> <codes>"`` from the start of an HTTP answer; a bare close when there is none."""
    if not head:
        return "closed by the service"
    status_line, _, rest = head.partition(b"\r\n")
    parts = status_line.split()
    status = parts[1].decode("ascii", "replace") if len(parts) > 1 else "?"
    _, _, body = rest.partition(b"\r\n\r\n")
    try:
        codes = sorted({str(p["code"]) for p in json.loads(body)["problems"]})
    except (ValueError, KeyError, TypeError):
        codes = []
    return " ".join([status, *codes])


def hub_url(federation: SimulatedFederation, path: str) -> str:
    """A URL on the hub (through its proxy, as the nodes call it)."""
    return f"{federation.url(HUB)}{path}"
