"""The hub pushes a settled delivery to the exporting node, which needs no poll to report it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest
from network.kit import LocalFederation
from sqlalchemy import update

from singlewindow.node.outbound import (
    MAX_PUSH_GRACE,
    MAX_REFRESH_GAP,
    PUSH_GRACE,
    PushWatch,
    refresh_gap,
)
from singlewindow.protocol import (
    JSON_BODY_COVERS,
    MAX_PUSHED_OUTCOMES,
    OutcomesBody,
    SignatureAuth,
    TrailBody,
)
from singlewindow.storage import COD
from singlewindow.storage.tables import node_outbound

pytestmark = pytest.mark.anyio


def _age(local: LocalFederation, certificate_id: str, **values: object) -> None:
    """Set columns of AR's submission of ``certificate_id`` (moves it back in time)."""
    with local.node("AR").store.engine.begin() as conn:
        conn.execute(
            update(node_outbound).where(node_outbound.c.certificate_id == certificate_id).values(**values)
        )


async def test_exporting_node_reports_delivered_from_the_push_alone(local: LocalFederation) -> None:
    """After one hub round AR says delivered with BR's receipt, unpolled; a repeated push changes nothing."""
    certificate_id = await local.submit_fields(number=901)
    await local.deliver_and_push()
    stored = local.node("AR").store.outbound(certificate_id, kind=COD)
    assert stored.status.value == "delivered"
    async with local.client("AR") as ar:
        status = (await ar.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert status["status"] == "delivered"
    assert status["receipt"]["receipt"]["node"] == "BR"
    assert [e["status"] for e in status["trail"]] == ["submitted", "accepted", "delivered"]
    message = local.hub.store.by_certificate(certificate_id)
    outcome = TrailBody.model_validate_json((await _trail(local, message.delivery)).content)
    assert await local.hub.worker.pushes.push("AR", [outcome]) is True
    async with local.client("AR") as ar:
        again = (await ar.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert [e["status"] for e in again["trail"]] == ["submitted", "accepted", "delivered"]
    # the same outcome pushed to a node that did not send it
    answer = await local.hub.worker.client.post(
        "http://uy.node/api/v1/outcomes",
        content=OutcomesBody(outcomes=[outcome]).model_dump_json().encode(),
        headers={"content-type": "application/json"},
        auth=local.hub.worker.pushes.auth,
    )
    assert answer.status_code == 200
    (answered,) = answer.json()["outcomes"]
    assert answered["delivery"] == message.delivery
    assert answered["problems"][0]["code"] == "delivery.not_found"
    assert "status" not in answered


async def _trail(local: LocalFederation, delivery: str) -> httpx.Response:
    node = local.node("AR")
    return await node.outbox.client.get(f"http://hub/api/v1/messages/{delivery}", auth=node.outbox.auth)


async def test_forged_or_unproven_pushes_change_nothing(local: LocalFederation) -> None:
    """A node-signed push gets 401 delivery.not_from_hub; a hub one without receipt is not believed."""
    certificate_id = await local.submit_fields(number=903)
    row = local.node("AR").store.outbound(certificate_id, kind=COD)
    forged = {
        "delivery": row.delivery,
        "certificate_id": certificate_id,
        "sha256": row.sha256,
        "sender": "AR",
        "destination": "BR",
        "state": "Delivered",
        "attempts": 1,
        "accepted_at": "2026-01-01T00:00:00Z",
        "events": [],
    }
    auth = SignatureAuth(key=local.pki.country("UY").node.private_key, keyid="hub", cover=JSON_BODY_COVERS)
    async with local.client("AR", role=None) as ar:
        answer = await ar.post(
            "/api/v1/outcomes",
            content=json.dumps({"outcomes": [forged]}).encode(),
            headers={"content-type": "application/json"},
            auth=auth,
        )
    assert answer.status_code == 401
    assert answer.json()["problems"][0]["code"] == "delivery.not_from_hub"
    assert local.node("AR").store.outbound(certificate_id, kind=COD).status.value == "accepted"

    message = local.hub.store.by_certificate(certificate_id)
    outcome = TrailBody.model_validate(
        {
            "delivery": row.delivery,
            "certificate_id": certificate_id,
            "sha256": row.sha256,
            "sender": "AR",
            "destination": "BR",
            "state": "Delivered",
            "attempts": 1,
            "accepted_at": message.accepted_at,
            "events": [],
        }
    )
    assert await local.hub.worker.pushes.push("AR", [outcome]) is True  # taken, but not believed
    assert local.node("AR").store.outbound(certificate_id, kind=COD).status.value == "accepted"


async def test_a_status_read_asks_the_hub_only_once_the_push_is_overdue(local: LocalFederation) -> None:
    """The push got lost: a read at once says accepted (no poll); 3 s after acceptance it polls: delivered."""
    certificate_id = await local.submit_fields(number=907)
    local.switch.down.add("ar.node")  # the hub's push to AR cannot connect
    await local.deliver_and_push()
    local.switch.down.discard("ar.node")
    assert local.hub.store.by_certificate(certificate_id).state.value == "Delivered"
    async with local.client("AR") as ar:
        early = (await ar.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert early["status"] == "accepted"
    # the acceptance was recorded 4 s ago: the push is overdue, so the read asks the hub
    node = local.node("AR")
    with node.store.engine.begin() as conn:
        conn.execute(
            update(node_outbound)
            .where(node_outbound.c.certificate_id == certificate_id)
            .values(updated_at=node.clock() - timedelta(seconds=4))
        )
    async with local.client("AR") as ar:
        late = (await ar.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert late["status"] == "delivered"
    assert late["receipt"]["receipt"]["node"] == "BR"


async def test_the_background_poll_asks_again_about_an_unsettled_delivery_only_after_another_grace(
    local: LocalFederation,
) -> None:
    """Accepted 4 s ago, not delivered yet: polled once, then left alone for 3 s, then polled again."""
    certificate_id = await local.submit_fields(number=909)
    node = local.node("AR")

    _age(local, certificate_id, updated_at=node.clock() - timedelta(seconds=4))
    assert await node.outbox.sync_once(grace=PUSH_GRACE) == 1  # the hub has not delivered it yet
    assert node.store.outbound(certificate_id).status.value == "accepted"
    assert await node.outbox.sync_once(grace=PUSH_GRACE) == 0
    # the grace after that poll has passed: asked again, and this time the hub has delivered it
    # (its push to AR cannot connect, so only the poll can tell AR)
    local.switch.down.add("ar.node")
    await local.deliver_and_push()
    local.switch.down.discard("ar.node")
    _age(local, certificate_id, next_attempt_at=node.clock() - timedelta(seconds=1))
    assert await node.outbox.sync_once(grace=PUSH_GRACE) == 1
    assert node.store.outbound(certificate_id).status.value == "delivered"


async def test_status_reads_in_a_loop_ask_the_hub_once_a_grace(local: LocalFederation) -> None:
    """Push overdue, delivery still under way: the first read asks the hub (accepted); the hub then
    delivers and its push is lost; reads within the next grace answer from the node (accepted, the
    hub not asked again); once that grace has passed a read asks again: delivered."""
    certificate_id = await local.submit_fields(number=911)
    node = local.node("AR")

    async def read() -> str:
        async with local.client("AR") as ar:
            return str((await ar.get(f"/api/v1/certificates/{certificate_id}")).json()["status"])

    _age(local, certificate_id, updated_at=node.clock() - timedelta(seconds=4))
    assert await read() == "accepted"  # asked: the hub has not delivered it yet
    local.switch.down.add("ar.node")
    await local.deliver_and_push()
    local.switch.down.discard("ar.node")
    assert local.hub.store.by_certificate(certificate_id).state.value == "Delivered"
    assert [await read() for _ in range(3)] == ["accepted"] * 3  # within the grace: not asked
    assert await node.outbox.sync_once(grace=PUSH_GRACE) == 0  # the background poll waits as well
    _age(local, certificate_id, next_attempt_at=node.clock() - timedelta(seconds=1))
    assert await read() == "delivered"


def test_the_wait_between_questions_grows_with_the_wait_so_far() -> None:
    """3 s at least, as long again as the certificate has waited, a minute at most."""
    gaps = [refresh_gap(timedelta(seconds=waited)) for waited in (0, 3, 4, 12, 45, 600)]
    assert gaps == [timedelta(seconds=s) for s in (3, 3, 4, 12, 45, 60)]
    assert refresh_gap(timedelta(hours=1)) == MAX_REFRESH_GAP


@pytest.mark.parametrize(("waited", "left_for"), [(4, 4), (40, 40), (600, 60)])
async def test_a_long_wait_at_the_hub_is_asked_about_less_and_less_often(
    local: LocalFederation, waited: int, left_for: int
) -> None:
    """Accepted ``waited`` s ago and still under way at the hub (an overloaded or recovering hub): the
    background poll asks once, then leaves it for as long again (a minute at most), and so does a
    status read."""
    certificate_id = await local.submit_fields(number=913)
    node = local.node("AR")
    aged = node.clock()
    _age(local, certificate_id, updated_at=aged - timedelta(seconds=waited))
    assert await node.outbox.sync_once(grace=PUSH_GRACE) == 1  # asked: not delivered yet
    took = node.clock() - aged  # the question's own time adds to the wait (at most twice)
    stored = node.store.outbound(certificate_id)
    assert stored.status.value == "accepted"
    assert stored.next_attempt_at is not None
    left = stored.next_attempt_at - aged
    assert timedelta(seconds=left_for) <= left <= timedelta(seconds=left_for) + 2 * took
    assert await node.outbox.sync_once(grace=PUSH_GRACE) == 0  # left alone meanwhile

    # the same through a status read whose question leaves it under way
    _age(local, certificate_id, next_attempt_at=None)
    async with local.client("AR") as ar:
        assert (await ar.get(f"/api/v1/certificates/{certificate_id}")).json()["status"] == "accepted"
    stored = node.store.outbound(certificate_id)
    assert stored.next_attempt_at is not None
    assert stored.next_attempt_at - aged >= timedelta(seconds=left_for)


def test_a_push_is_overdue_once_later_pushes_have_overtaken_it() -> None:
    """3 s with no push heard; while pushes come for certificates accepted 10 s ago, a certificate
    accepted since (not overtaken) is left alone up to 11 s; a minute at most; after 3 s without any
    push (the traffic's end, the hub down, pushes not getting through) 3 s again."""
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    watch = PushWatch()
    assert watch.grace(now) == PUSH_GRACE
    watch.observe(accepted_at=now - timedelta(seconds=10), now=now)
    assert watch.grace(now) == timedelta(seconds=11)
    watch.observe(accepted_at=now - timedelta(seconds=30), now=now)  # an older one: changes nothing
    assert watch.grace(now) == timedelta(seconds=11)
    assert watch.grace(now + timedelta(seconds=2)) == timedelta(seconds=13)
    assert watch.grace(now + timedelta(seconds=4)) == PUSH_GRACE  # no push for 4 s
    watch.observe(accepted_at=now - timedelta(milliseconds=500), now=now)  # the hub is quick again
    assert watch.grace(now) == PUSH_GRACE

    behind = PushWatch()
    behind.observe(accepted_at=now - timedelta(minutes=5), now=now)
    assert behind.grace(now) == MAX_PUSH_GRACE


async def test_while_pushes_are_behind_a_read_asks_only_about_an_overtaken_certificate(
    local: LocalFederation,
) -> None:
    """A certificate's push is lost; then a push comes for one accepted 10 s ago (a hub working through
    a backlog in order). The lost one is not asked about while it was accepted after that one (the
    read says accepted though the hub has delivered it; nor does the background poll ask), but is
    once it was accepted before it: overtaken, delivered."""
    node = local.node("AR")
    certificate_id = await local.submit_fields(number=917)
    local.switch.down.add("ar.node")  # the hub's push to AR cannot connect
    await local.deliver_and_push()
    local.switch.down.discard("ar.node")
    assert local.hub.store.by_certificate(certificate_id).state.value == "Delivered"

    pushed = await local.submit_fields(number=915)
    _age(local, pushed, updated_at=node.clock() - timedelta(seconds=10))
    await local.deliver_and_push()
    assert node.store.outbound(pushed).status.value == "delivered"

    async def read_after(seconds: int) -> str:
        _age(local, certificate_id, updated_at=node.clock() - timedelta(seconds=seconds))
        async with local.client("AR") as ar:
            return str((await ar.get(f"/api/v1/certificates/{certificate_id}")).json()["status"])

    assert await read_after(4) == "accepted"
    assert await read_after(8) == "accepted"
    assert await node.outbox.sync_once(grace=node.outbox.pushes.grace(node.clock())) == 0  # nor the poll
    assert await read_after(12) == "delivered"


async def test_a_held_read_stays_held_through_a_retry_that_changes_nothing(local: LocalFederation) -> None:
    """Hub down: submitted. A read held on it sees the outbox retry in vain (woken, still submitted,
    held again), then the retry that reaches the hub: it answers accepted, before its 30 s."""
    local.switch.down.add("hub")
    certificate_id = await local.submit_fields(number=915)
    node = local.node("AR")
    assert node.store.outbound(certificate_id).status.value == "submitted"
    answers: list[str] = []

    async def held() -> None:
        async with local.client("AR") as ar:
            answer = await ar.get(f"/api/v1/certificates/{certificate_id}", params={"wait": "30"})
        answers.append(str(answer.json()["status"]))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(held)
            while len(node.outbox.changes) == 0:
                await anyio.sleep(0.01)
            _age(local, certificate_id, next_attempt_at=node.clock() - timedelta(seconds=1))
            assert await node.outbox.sync_once() == 1  # the hub is still down: submitted again
            await anyio.sleep(0.1)
            assert answers == []  # woken, the status unchanged: held again
            assert len(node.outbox.changes) == 1
            local.switch.down.discard("hub")
            _age(local, certificate_id, next_attempt_at=node.clock() - timedelta(seconds=1))
            assert await node.outbox.sync_once() == 1
    assert answers == ["accepted"]


async def test_one_push_settles_several_certificates_and_answers_each(local: LocalFederation) -> None:
    """The hub delivers three of AR's certificates while AR is unreachable; one push of their outcomes
    (with one for a delivery AR never sent between them) settles all three, and the answer names each
    outcome in order: the status here, or delivery.not_found."""
    node = local.node("AR")
    ids = [await local.submit_fields(number=number) for number in (921, 923, 925)]
    local.switch.down.add("ar.node")
    await local.deliver_and_push()
    local.switch.down.discard("ar.node")
    assert [node.store.outbound(i).status.value for i in ids] == ["accepted"] * 3
    trails = [
        TrailBody.model_validate_json(
            (await _trail(local, local.hub.store.by_certificate(i).delivery)).content
        )
        for i in ids
    ]
    stranger = trails[0].model_copy(update={"delivery": "D-not-sent-by-AR"})
    body = OutcomesBody(outcomes=[trails[0], stranger, trails[1], trails[2]])
    answer = await local.hub.worker.client.post(
        "http://ar.node/api/v1/outcomes",
        content=body.model_dump_json().encode(),
        headers={"content-type": "application/json"},
        auth=local.hub.worker.pushes.auth,
    )
    assert answer.status_code == 200, answer.text
    answered = answer.json()["outcomes"]
    assert [a["delivery"] for a in answered] == [o.delivery for o in body.outcomes]
    assert [a.get("status") for a in answered] == ["delivered", None, "delivered", "delivered"]
    assert answered[1]["problems"][0]["code"] == "delivery.not_found"
    assert [node.store.outbound(i).status.value for i in ids] == ["delivered"] * 3
    assert all(node.store.outbound(i).receipt for i in ids)


async def test_outcomes_settled_while_a_push_is_under_way_go_together_in_the_next(
    local: LocalFederation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outcomes for one node that wait for its push go in as few pushes as the limit allows:
    MAX_PUSHED_OUTCOMES + 6 outcomes added at once → two pushes, in the order added; each answered."""
    pushes = local.hub.worker.pushes
    sent: list[list[str]] = []
    push = pushes.push

    async def recorded(sender: str, outcomes: list[TrailBody]) -> bool:
        sent.append([o.delivery for o in outcomes])
        return await push(sender, outcomes)

    monkeypatch.setattr(pushes, "push", recorded)
    certificate_id = await local.submit_fields(number=927)
    local.switch.down.add("ar.node")
    await local.deliver_and_push()
    local.switch.down.discard("ar.node")
    delivery = local.hub.store.by_certificate(certificate_id).delivery
    real = TrailBody.model_validate_json((await _trail(local, delivery)).content)
    assert sent == [[delivery]]  # the push that could not connect
    sent.clear()
    count = MAX_PUSHED_OUTCOMES + 6
    outcomes = [real.model_copy(update={"delivery": f"D-{index:03d}"}) for index in range(count - 1)] + [real]
    for outcome in outcomes:
        pushes.add("AR", outcome)
    await pushes.settled()
    assert [len(batch) for batch in sent] == [MAX_PUSHED_OUTCOMES, 6]
    assert [delivery for batch in sent for delivery in batch] == [o.delivery for o in outcomes]
    assert local.node("AR").store.outbound(certificate_id).status.value == "delivered"
    # once every push is done, the next outcome goes at once, alone
    sent.clear()
    pushes.add("AR", real)
    await pushes.settled()
    assert sent == [[delivery]]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"outcomes": []}, "outcomes"), ({"outcome": {}}, "outcomes"), ([1], "body")],
)
async def test_a_push_that_is_not_a_list_of_outcomes_is_refused(
    local: LocalFederation, body: object, field: str
) -> None:
    """Signed by the hub but no outcomes, a misnamed field or not an object: 400 input.invalid_fields."""
    answer = await local.hub.worker.client.post(
        "http://ar.node/api/v1/outcomes",
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        auth=local.hub.worker.pushes.auth,
    )
    assert answer.status_code == 400
    (found,) = answer.json()["problems"]
    assert found["code"] == "input.invalid_fields"
    assert field in found["message"]
