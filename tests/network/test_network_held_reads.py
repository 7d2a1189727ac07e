"""A status read held until the certificate's status changes (``?wait=``): one read, not a poll loop."""

from __future__ import annotations

import anyio
import pytest
from network.kit import LocalFederation

pytestmark = pytest.mark.anyio

#: far longer than any of these tests may take: a read still held at the end of it fails the test
LONG_WAIT = 30


async def _read(local: LocalFederation, certificate_id: str, wait: object) -> dict[str, object]:
    async with local.client("AR") as ar:
        answer = await ar.get(f"/api/v1/certificates/{certificate_id}", params={"wait": str(wait)})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_held_read_answers_as_soon_as_the_push_settles_the_certificate(
    local: LocalFederation,
) -> None:
    """Accepted, read with wait=30: the read waits; the hub delivers and pushes; the read answers
    delivered with BR's receipt at once (well within the 30 s), and nothing is left waiting."""
    certificate_id = await local.submit_fields(number=931)
    changes = local.node("AR").outbox.changes
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            answers: list[dict[str, object]] = []

            async def held() -> None:
                answers.append(await _read(local, certificate_id, LONG_WAIT))

            group.start_soon(held)
            while len(changes) == 0:  # the read is in and waiting
                await anyio.sleep(0.01)
            assert answers == []
            await local.deliver_and_push()
    assert answers[0]["status"] == "delivered"
    assert answers[0]["receipt"]["receipt"]["node"] == "BR"  # type: ignore[index]
    assert len(changes) == 0


async def test_a_held_read_of_a_settled_certificate_answers_at_once(local: LocalFederation) -> None:
    """Delivered already: wait=30 changes nothing, the answer comes at once."""
    certificate_id = await local.submit_fields(number=933)
    await local.deliver_and_push()
    with anyio.fail_after(10):
        assert (await _read(local, certificate_id, LONG_WAIT))["status"] == "delivered"


async def test_a_held_read_ends_with_the_status_then_when_nothing_changes(local: LocalFederation) -> None:
    """Nothing delivers it: a short wait ends with the status as it stands (accepted)."""
    certificate_id = await local.submit_fields(number=935)
    with anyio.fail_after(10):
        assert (await _read(local, certificate_id, 0.2))["status"] == "accepted"
    assert len(local.node("AR").outbox.changes) == 0


@pytest.mark.parametrize("wait", ["31", "-1", "soon", "nan", "inf", ""])
async def test_a_wait_out_of_range_is_refused(local: LocalFederation, wait: str) -> None:
    """400 input.invalid_argument naming ``wait``; nothing is left waiting."""
    certificate_id = await local.submit_fields(number=937)
    async with local.client("AR") as ar:
        answer = await ar.get(f"/api/v1/certificates/{certificate_id}", params={"wait": wait})
    assert answer.status_code == 400
    problem = answer.json()["problems"][0]
    assert problem["code"] == "input.invalid_argument"
    assert problem["path"] == "wait"
    assert len(local.node("AR").outbox.changes) == 0


async def test_a_held_read_of_an_unknown_certificate_is_not_found_at_once(local: LocalFederation) -> None:
    with anyio.fail_after(10):
        async with local.client("AR") as ar:
            answer = await ar.get("/api/v1/certificates/AR00000000000000999", params={"wait": "30"})
    assert answer.status_code == 404
    assert answer.json()["problems"][0]["code"] == "delivery.not_found"
