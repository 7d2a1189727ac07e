"""Run the attack corpus against a live federation while legitimate traffic flows, and judge it."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table

from singlewindow.harness.attacks import SLOW_DRIP_EXPECTED, Attack, Corpus, Send, hub_url, slow_drip
from singlewindow.harness.audit import audit, hub_accepted, stored_counts
from singlewindow.harness.driver import Driver, problem_codes
from singlewindow.harness.federation import HUB, SimulatedFederation
from singlewindow.harness.traffic import plan_traffic
from singlewindow.protocol.client import federation_client
from singlewindow.protocol.messages import HUB_KEYID

_NOT_A_TOKEN = "not-a-token-of-this-node-000"  # noqa: S105  # deliberately wrong credential


class AttackResult(BaseModel):
    """What one attack got back, against what it had to get."""

    model_config = ConfigDict(frozen=True)

    name: str
    expected_status: int
    expected_codes: list[str]
    status: int
    codes: list[str]

    @property
    def refused(self) -> bool:
        """The expected status with one of the expected codes."""
        return self.status == self.expected_status and bool(set(self.codes) & set(self.expected_codes))


class AssaultReport(BaseModel):
    """The attack run's verdict: every attack refused, nothing stored, services up, traffic delivered."""

    model_config = ConfigDict(frozen=True)

    results: list[AttackResult]
    stored: list[str]
    healthy: bool
    slow_drip: str
    legitimate_sent: int
    legitimate_delivered: int
    legitimate_lost: int

    @property
    def ok(self) -> bool:
        """True when the federation withstood everything."""
        return (
            all(r.refused for r in self.results)
            and not self.stored
            and self.healthy
            and self.slow_drip == SLOW_DRIP_EXPECTED
            and self.legitimate_lost == 0
            and self.legitimate_delivered == self.legitimate_sent
        )


def corpus(*, c: Corpus, legit_delivery: str) -> list[Attack]:
    """The attacks; ``legit_delivery`` is a real delivery between the first two countries."""
    sim, a, b = c.sim, c.a, c.b
    third = sim.countries[2]  # a bystander: neither sender nor destination of the legit delivery
    tokens = sim.tokens
    messages = hub_url(sim, "/api/v1/messages")
    inbound = f"{sim.url(b)}/api/v1/inbound"
    good, good_id = c.document(exporter=a, importer=b)
    foreign, foreign_id = c.document(exporter=b, importer=a)
    revoked, revoked_id = c.document(exporter=a, importer=b, revoked=True)
    nowhere, nowhere_id = c.document(exporter=a, importer="PE" if "PE" not in sim.countries else "CU")
    tampered = good.replace(b"</ExporterBusinessName>", b" (alterado)</ExporterBusinessName>", 1)
    assert tampered != good, "the tamper must change the signed content"
    xml, js = "application/xml", "application/json"
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    stale = int(time.time()) - 3600
    hub_key = c.pki.hub
    return [
        Attack("customs: no credentials", 401, frozenset({"auth.missing"}), c.bearer_post(
            country=a, body=good, token=None, content_type=xml)),
        Attack("customs: unknown token", 401, frozenset({"auth.invalid"}), c.bearer_post(
            country=a, body=good, token=_NOT_A_TOKEN, content_type=xml)),
        Attack("customs: official's token (wrong role)", 403, frozenset({"auth.forbidden"}), c.bearer_post(
            country=a, body=good, token=tokens["official"], content_type=xml)),
        Attack("customs: DTD with entity", 400, frozenset({"input.dtd_forbidden", "input.entity_forbidden"}),
               c.bearer_post(country=a, body=dtd, token=tokens["customs"], content_type=xml)),
        Attack("customs: not XML", 400, frozenset({"input.not_xml"}), c.bearer_post(
            country=a, body=b"<<<\x00not xml", token=tokens["customs"], content_type=xml)),
        Attack("customs: bad JSON fields", 400, frozenset({"input.invalid_fields"}), c.bearer_post(
            country=a, body=b'{"form": "FormA18"}', token=tokens["customs"], content_type=js)),
        Attack("customs: oversized body", 413, frozenset({"input.too_large"}), c.bearer_post(
            country=a, body=b"<" * (6 * 1024 * 1024), token=tokens["customs"], content_type=xml)),
        Attack("hub: unsigned submission", 401, frozenset({"auth.missing"}),
               _plain_post(messages, good), good_id),
        Attack("hub: spoofed sender", 403, frozenset({"routing.sender_mismatch"}), c.signed_post(
            url=messages, body=foreign, key=c.node(a), keyid=a), foreign_id),
        Attack("hub: forged node signature", 401, frozenset({"auth.invalid"}), c.signed_post(
            url=messages, body=good, key=c.node(b), keyid=a), good_id),
        Attack("hub: stale signature (replay)", 401, frozenset({"auth.invalid"}), c.signed_post(
            url=messages, body=good, key=c.node(a), keyid=a, created=stale), good_id),
        Attack("hub: tampered document", 422, frozenset({"signature.digest_mismatch"}), c.signed_post(
            url=messages, body=tampered, key=c.node(a), keyid=a), good_id),
        Attack("hub: revoked official", 422, frozenset({"chain.revoked", "registry.03"}), c.signed_post(
            url=messages, body=revoked, key=c.node(a), keyid=a), revoked_id),
        Attack("hub: destination outside the federation", 422, frozenset({"routing.unknown_destination"}),
               c.signed_post(url=messages, body=nowhere, key=c.node(a), keyid=a), nowhere_id),
        Attack("hub: cross-country read of a delivery", 404, frozenset({"delivery.not_found"}), c.signed_get(
            url=hub_url(sim, f"/api/v1/messages/{legit_delivery}"), key=c.node(third), keyid=third)),
        Attack("node: delivery not from the hub", 401, frozenset({"delivery.not_from_hub"}), c.signed_post(
            url=inbound, body=good, key=c.node(a), keyid=HUB_KEYID, delivery=(str(uuid.uuid4()), good_id)),
            good_id),
        Attack("node: replay of an old delivery", 401, frozenset({"delivery.not_from_hub"}), c.signed_post(
            url=inbound, body=good, key=hub_key, keyid=HUB_KEYID, created=stale,
            delivery=(str(uuid.uuid4()), good_id)), good_id),
        Attack("node: delivery of several not from the hub", 401, frozenset({"delivery.not_from_hub"}),
               c.signed_post(url=f"{inbound}/batch", body=good, key=c.node(a), keyid=HUB_KEYID,
                             delivery=(str(uuid.uuid4()), good_id), together=True), good_id),
    ]  # fmt: skip


def _plain_post(url: str, body: bytes) -> Send:
    async def send(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(url, content=body, headers={"content-type": "application/xml"})

    return send


async def _legit_delivery(*, c: Corpus, client: httpx.AsyncClient) -> str:
    body, _ = c.document(exporter=c.a, importer=c.b)
    send = c.signed_post(url=hub_url(c.sim, "/api/v1/messages"), body=body, key=c.node(c.a), keyid=c.a)
    answer = await send(client)
    answer.raise_for_status()
    return str(answer.json()["delivery"])


async def assault(*, federation: SimulatedFederation, legitimate: int = 30, seed: int = 0) -> AssaultReport:
    """Send every attack (and a slow-drip body) while ``legitimate`` certificates flow, then judge."""
    c = Corpus(federation=federation, seed=seed)
    async with federation_client(timeout=30.0) as client:
        legit_delivery = await _legit_delivery(c=c, client=client)
        attacks = corpus(c=c, legit_delivery=legit_delivery)
        driver = Driver(
            node_urls={code: federation.url(code) for code in federation.countries},
            token=federation.tokens["customs"],
            concurrency=4,
            seed=seed,
        )
        shipments = plan_traffic(countries=federation.countries, certificates=legitimate, seed=seed + 1)
        traffic = asyncio.create_task(driver.run(shipments=shipments, drain_s=60))
        drip = asyncio.create_task(
            slow_drip(
                port=federation.ports[federation.countries[0]],
                seconds=federation.body_timeout + 5,
                token=federation.tokens["customs"],
            )
        )
        answers = await asyncio.gather(*(attack.send(client) for attack in attacks))
        outcomes, drip_outcome = await traffic, await drip
        health = [
            await client.get(f"{federation.direct_url(n)}/healthz") for n in [HUB, *federation.countries]
        ]
        healthy = all(answer.status_code == 200 for answer in health)
    results = [
        AttackResult(
            name=attack.name,
            expected_status=attack.status,
            expected_codes=sorted(attack.codes),
            status=answer.status_code,
            codes=problem_codes(body=_json(answer)),
        )
        for attack, answer in zip(attacks, answers, strict=True)
    ]
    found = await audit(federation=federation, outcomes=outcomes)
    targets = {attack.certificate_id for attack in attacks if attack.certificate_id}
    stored = set(hub_accepted(federation=federation))
    for country in federation.countries:
        stored |= set(stored_counts(federation=federation, country=country))
    return AssaultReport(
        results=results,
        stored=sorted(targets & stored),
        healthy=healthy,
        slow_drip=drip_outcome,
        legitimate_sent=len(shipments),
        legitimate_delivered=len(found.delivered),
        legitimate_lost=len(found.lost),
    )


def _json(answer: httpx.Response) -> object:
    try:
        return answer.json()
    except ValueError:
        return {}


def render_assault(*, report: AssaultReport, console: Console) -> None:
    """Print each attack with what it got, then the verdict."""
    table = Table(title="attacks against the live federation")
    for column in ("attack", "expected", "got", ""):
        table.add_column(column)
    for r in report.results:
        mark = "[green]refused[/green]" if r.refused else "[red]NOT REFUSED[/red]"
        got = f"{r.status} {', '.join(sorted(set(r.codes)))}"
        table.add_row(r.name, f"{r.expected_status} {' | '.join(r.expected_codes)}", got, mark)
    drip_mark = (
        "[green]refused[/green]" if report.slow_drip == SLOW_DRIP_EXPECTED else "[red]NOT REFUSED[/red]"
    )
    table.add_row("slow-drip body", SLOW_DRIP_EXPECTED, report.slow_drip, drip_mark)
    console.print(table)
    console.print(
        f"stored from attacks: {report.stored or 'none'}; services healthy: {report.healthy}; "
        f"legitimate traffic delivered {report.legitimate_delivered}/{report.legitimate_sent}, "
        f"lost {report.legitimate_lost}"
    )
    console.print("[green]OK[/green]: every attack refused" if report.ok else "[red]FAIL[/red]")
