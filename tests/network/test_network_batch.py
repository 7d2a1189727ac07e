"""Deliveries due together for one node travel in one request, each answered as if it came alone."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

import anyio
import httpx
import pytest
from network.kit import LocalFederation, fields_json, signed_cod

from singlewindow.hub.worker import INBOUND_BATCH_PATH, delivery_requests
from singlewindow.node.submissions import MESSAGES_BATCH_PATH, MESSAGES_PATH
from singlewindow.protocol import (
    JSON_BODY_COVERS,
    MAX_DOCUMENTS_TOGETHER,
    MAX_DOCUMENTS_TOGETHER_BYTES,
    DeliveryState,
    SignatureAuth,
    verify_receipt,
)
from singlewindow.storage import Message

pytestmark = pytest.mark.anyio
JSON = {"content-type": "application/json"}


def _id_of(document: bytes) -> str:
    return document.split(b"<CertificateID>")[1].split(b"<")[0].decode()


def _item(cod: bytes, delivery: str, **changes: str) -> dict[str, str]:
    item = {
        "delivery": delivery,
        "certificate_id": _id_of(cod),
        "accepted_at": datetime.now(UTC).isoformat(),
        "document": base64.b64encode(cod).decode(),
    }
    return item | changes


async def _post(
    local: LocalFederation, body: object, *, key: str = "hub", country: str = "BR"
) -> httpx.Response:
    private = local.pki.hub.private_key if key == "hub" else local.pki.country(key).node.private_key
    auth = SignatureAuth(key=private, keyid="hub", cover=JSON_BODY_COVERS)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with local.client(country, role=None) as client:
        return await client.post(INBOUND_BATCH_PATH, content=content, headers=JSON, auth=auth)


async def test_each_document_of_a_batch_is_answered_as_alone(local: LocalFederation) -> None:
    """Two good CODs stored with receipts, one for UY and one without a usable acceptance time refused 422."""
    good = [signed_cod(local.pki, number=n) for n in (11, 12)]
    for_uy = signed_cod(local.pki, importer="UY", number=13)
    body = {
        "deliveries": [
            _item(good[0], "b-1"),
            _item(for_uy, "b-2"),
            _item(good[1], "b-3"),
            _item(good[1], "b-4", accepted_at="yesterday"),
        ]
    }
    first = await _post(local, body)
    assert first.status_code == 200, first.text
    answers = first.json()["deliveries"]
    assert [a["delivery"] for a in answers] == ["b-1", "b-2", "b-3", "b-4"]
    assert [a["status"] for a in answers] == [200, 422, 200, 422]
    assert answers[1]["problems"][0]["code"] == "routing.unknown_destination"
    assert answers[3]["problems"][0]["code"] == "time.acceptance_invalid"
    for answer, document in ((answers[0], good[0]), (answers[2], good[1])):
        receipt = verify_receipt(
            json.dumps(answer["receipt"]).encode(),
            certificate=local.pki.country("BR").node.certificate,
            delivery=answer["delivery"],
            sha256=hashlib.sha256(document).hexdigest(),
            node="BR",
        )
        assert receipt.certificate_id == _id_of(document)
        # stored byte for byte, as the single form stores it
        assert local.node("BR").store.inbound(delivery=answer["delivery"]).document == document
    assert local.node("BR").store.count_inbound() == 2
    # the same batch again: the same receipts, nothing stored twice
    again = await _post(local, body)
    assert [a["receipt"] for a in again.json()["deliveries"]] == [a["receipt"] for a in answers]
    assert local.node("BR").store.count_inbound() == 2


@pytest.mark.parametrize(
    "case",
    ["node key", "not json", "no deliveries", "too many", "not base64", "padding past the end", "bad field"],
)
async def test_a_bad_batch_is_refused_whole_and_stores_nothing(local: LocalFederation, case: str) -> None:
    """A batch not signed by the hub is 401; one that is not a list of deliveries is 400."""
    document = signed_cod(local.pki, number=21)
    body: object = {"deliveries": [_item(document, "x-1")]}
    expected = (400, "input.invalid_fields")
    if case == "node key":
        answer = await _post(local, body, key="AR")
        expected = (401, "delivery.not_from_hub")
    else:
        body = {
            "not json": b"<deliveries/>",
            "no deliveries": {"deliveries": []},
            "too many": {
                "deliveries": [_item(document, f"x-{n}") for n in range(MAX_DOCUMENTS_TOGETHER + 1)]
            },
            "not base64": {"deliveries": [_item(document, "x-1", document="<COD>not base64</COD>")]},
            # whole groups of four, then padding: the standard library's b64decode(validate=True) took it
            "padding past the end": {
                "deliveries": [
                    _item(
                        document,
                        "x-1",
                        document=base64.b64encode(document[: len(document) // 3 * 3]).decode() + "==",
                    )
                ]
            },
            "bad field": {"deliveries": [_item(document, "x" * 41)]},
        }[case]
        answer = await _post(local, body)
    assert (answer.status_code, answer.json()["problems"][0]["code"]) == expected
    assert local.node("BR").store.count_inbound() == 0


class _Counting(httpx.AsyncBaseTransport):
    """An app behind a transport that counts requests by path; ``no_batch`` plays an older version."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        no_batch: bool = False,
        batch_path: str = INBOUND_BATCH_PATH,
        gate: asyncio.Event | None = None,
    ) -> None:
        self.inner, self.no_batch, self.batch_path, self.gate = inner, no_batch, batch_path, gate
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count the request; hold it until ``gate`` is open, if there is one."""
        self.paths.append(request.url.path)
        if self.gate is not None:
            await self.gate.wait()
        if self.no_batch and request.url.path == self.batch_path:
            return httpx.Response(404, json={"detail": "Not Found"})
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("no_batch", [False, True], ids=["batch", "older node"])
async def test_deliveries_due_together_go_in_one_request(local: LocalFederation, no_batch: bool) -> None:
    """Five certificates due for BR at once: one request carries them (an older node: five), all delivered."""
    counting = _Counting(local.switch.apps["br.node"], no_batch=no_batch)
    local.switch.apps["br.node"] = counting  # type: ignore[assignment]
    async with local.client("AR") as customs:
        ids = [
            (await customs.post("/api/v1/certificates", content=fields_json(number=n), headers=JSON)).json()[
                "certificate_id"
            ]
            for n in range(31, 36)
        ]
    await local.deliver_and_push()
    inbound = [path for path in counting.paths if path.startswith("/api/v1/inbound")]
    if no_batch:
        assert inbound == [INBOUND_BATCH_PATH] + ["/api/v1/inbound"] * 5
    else:
        assert inbound == [INBOUND_BATCH_PATH]
    assert local.hub.store.counts()[DeliveryState.DELIVERED] == 5
    assert local.node("BR").store.count_inbound() == 5
    for certificate_id in ids:
        message = local.hub.store.by_certificate(certificate_id)
        verify_receipt(
            message.receipt,
            certificate=local.pki.country("BR").node.certificate,
            delivery=message.delivery,
            sha256=message.sha256,
            node="BR",
        )
        assert local.node("AR").store.outbound(certificate_id).status.value == "delivered"
    metrics = local.hub.metrics.request_documents.collect()[0].samples
    count = next(s.value for s in metrics if s.name.endswith("_count"))
    assert count == (6 if no_batch else 1)


async def test_documents_refused_in_a_batch_fail_alone(local: LocalFederation) -> None:
    """BR's traffic answered by UY's app: each document of the batch refused, none marked delivered."""
    async with local.client("AR") as customs:
        for n in (41, 42):
            await customs.post("/api/v1/certificates", content=fields_json(number=n), headers=JSON)
    local.switch.apps["br.node"] = httpx.ASGITransport(app=local.apps["UY"])
    await local.hub.worker.run_once()
    counts = local.hub.store.counts()
    assert counts[DeliveryState.FAILED] == 2 and counts[DeliveryState.DELIVERED] == 0
    for message_id in (1, 2):
        event = local.hub.store.trail(message_id=message_id)[-1]
        assert event.event == "refused_by_destination"
        assert json.loads(event.detail)["problems"][0]["code"] == "routing.unknown_destination"


def _message(number: int, destination: str, size: int) -> Message:
    return Message(
        id=number,
        delivery=f"d-{number}",
        certificate_id=f"c-{number}",
        sha256="0" * 64,
        document=b"x" * size,
        sender="AR",
        destination=destination,
        state=DeliveryState.PENDING,
        attempts=1,
        accepted_at=datetime.now(UTC),
        delivered_at=None,
        receipt=None,
        last_error=None,
    )


def test_requests_group_by_destination_within_count_and_bytes() -> None:
    """Claim order kept per node; a request holds at most 16 documents and 1 MiB; a larger one goes alone."""
    small = [_message(n, "BR" if n % 2 else "UY", 1000) for n in range(1, 40)]
    requests = delivery_requests(small)
    assert [len(r) for r in requests] == [16, 4, 16, 3]
    assert all(len({m.destination for m in r}) == 1 for r in requests)
    assert [m.id for r in requests for m in r if m.destination == "BR"] == list(range(1, 40, 2))
    half = MAX_DOCUMENTS_TOGETHER_BYTES // 2
    large = [_message(1, "BR", half), _message(2, "BR", half), _message(3, "BR", 1)]
    huge = replace(large[0], id=4, document=b"x" * (MAX_DOCUMENTS_TOGETHER_BYTES + 1))
    assert [[m.id for m in r] for r in delivery_requests([*large, huge, _message(5, "BR", 1)])] == [
        [1, 2],
        [3],
        [4],
        [5],
    ]


async def _submit_batch(
    local: LocalFederation, documents: list[bytes], *, cover: tuple[str, ...] = JSON_BODY_COVERS
) -> httpx.Response:
    auth = SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="AR", cover=cover)
    body = {"documents": [base64.b64encode(d).decode() for d in documents]}
    async with local.client("hub", role=None) as client:
        return await client.post(
            MESSAGES_BATCH_PATH, content=json.dumps(body).encode(), headers=JSON, auth=auth
        )


async def test_each_document_submitted_together_is_answered_as_alone(local: LocalFederation) -> None:
    """A good COD (twice: one of them the duplicate), a tampered one and BR's own: 202, 202, 422, 403."""
    good = signed_cod(local.pki, number=51)
    tampered = good.replace(b"<GoodsItemName>", b"<GoodsItemName>X", 1)
    foreign = signed_cod(local.pki, exporter="BR", importer="AR", number=52)
    answer = await _submit_batch(local, [good, good, tampered, foreign])
    assert answer.status_code == 200, answer.text
    items = answer.json()["documents"]
    assert [i["status"] for i in items] == [202, 202, 422, 403]
    first, again = items[0]["accepted"], items[1]["accepted"]
    assert first["certificate_id"] == again["certificate_id"] == _id_of(good)
    # admitted side by side: either copy may be the one stored first, the other is its duplicate
    assert again["delivery"] == first["delivery"]
    assert sorted([first["duplicate"], again["duplicate"]]) == [False, True]
    assert first["status_url"].endswith(f"/api/v1/messages/{first['delivery']}")
    assert "signature.digest_mismatch" in {p["code"] for p in items[2]["problems"]}
    assert items[3]["problems"][0]["code"] == "routing.sender_mismatch"
    assert local.hub.store.by_delivery(first["delivery"]).document == good
    assert sum(local.hub.store.counts().values()) == 1


@pytest.mark.parametrize("case", ["content type not signed", "not json", "too many", "not base64"])
async def test_a_bad_submission_batch_is_refused_whole(local: LocalFederation, case: str) -> None:
    """Not signed over the content type: 401; not a list of base64 documents: 400; nothing stored."""
    good = signed_cod(local.pki, number=61)
    if case == "content type not signed":
        answer = await _submit_batch(local, [good, good], cover=())
        assert answer.status_code == 401
    else:
        auth = SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="AR", cover=JSON_BODY_COVERS)
        body = {
            "not json": b"<documents/>",
            "too many": json.dumps({"documents": ["PENPRC8+"] * (MAX_DOCUMENTS_TOGETHER + 1)}).encode(),
            "not base64": json.dumps({"documents": [good.decode()]}).encode(),
        }[case]
        async with local.client("hub", role=None) as client:
            answer = await client.post(MESSAGES_BATCH_PATH, content=body, headers=JSON, auth=auth)
        assert (answer.status_code, answer.json()["problems"][0]["code"]) == (400, "input.invalid_fields")
    assert sum(local.hub.store.counts().values()) == 0


@pytest.mark.parametrize("no_batch", [False, True], ids=["batch", "older hub"])
async def test_submissions_waiting_together_go_in_one_request(local: LocalFederation, no_batch: bool) -> None:
    """Eight submissions at once: two go alone, the six waiting meanwhile go together (older hub: alone)."""
    gate = asyncio.Event()  # the hub holds every request until all eight are on their way
    counting = _Counting(
        local.switch.apps["hub"], no_batch=no_batch, batch_path=MESSAGES_BATCH_PATH, gate=gate
    )
    local.switch.apps["hub"] = counting  # type: ignore[assignment]
    submissions = local.node("AR").outbox.submissions

    async def submit(number: int) -> httpx.Response:
        async with local.client("AR") as customs:
            return await customs.post(
                "/api/v1/certificates", content=fields_json(number=number), headers=JSON
            )

    sending = asyncio.gather(*(submit(n) for n in range(71, 79)))
    with anyio.fail_after(60):
        while submissions.waiting < 6:  # two requests under way, six documents waiting
            await asyncio.sleep(0.01)
    gate.set()
    answers = await sending
    assert [a.status_code for a in answers] == [202] * 8
    assert {a.json()["status"] for a in answers} == {"accepted"}
    sent = [path for path in counting.paths if path.startswith(MESSAGES_PATH)]
    alone = [MESSAGES_PATH] * 2
    # each batch refused whole is sent again one by one
    assert sent == alone + [MESSAGES_BATCH_PATH] + ([MESSAGES_PATH] * 6 if no_batch else [])
    assert sum(local.hub.store.counts().values()) == 8
    deliveries = {
        a.json()["certificate_id"]: local.hub.store.by_certificate(a.json()["certificate_id"])
        for a in answers
    }
    for certificate_id, message in deliveries.items():
        assert local.node("AR").store.outbound(certificate_id).delivery == message.delivery
