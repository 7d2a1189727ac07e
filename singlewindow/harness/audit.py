"""The verdict after the drain: ask the destinations (API and store) what arrived, and how often."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select

from singlewindow.harness.driver import Outcome
from singlewindow.harness.federation import HUB, SimulatedFederation
from singlewindow.protocol.client import federation_client
from singlewindow.storage.engine import make_engine
from singlewindow.storage.tables import hub_messages, node_inbound


@dataclass
class Audit:
    """What the destinations and the hub hold for the run's certificates."""

    delivered: set[str] = field(default_factory=set)
    hub_accepted: set[str] = field(default_factory=set)
    stored_twice: dict[str, int] = field(default_factory=dict)
    lost: dict[str, str] = field(default_factory=dict)  # certificate id → why


def stored_counts(*, federation: SimulatedFederation, country: str) -> Counter[str]:
    """How many rows each CertificateID has in a destination node's inbound store."""
    url, schema = federation.database(country)
    engine = make_engine(url=url, schema=schema)
    try:
        with engine.connect() as connection:
            query = select(node_inbound.c.certificate_id, func.count()).group_by(
                node_inbound.c.certificate_id
            )
            return Counter({str(cid): int(count) for cid, count in connection.execute(query)})
    finally:
        engine.dispose()


def hub_accepted(*, federation: SimulatedFederation) -> set[str]:
    """Every CertificateID the hub stored as accepted (whatever its delivery state)."""
    url, schema = federation.database(HUB)
    engine = make_engine(url=url, schema=schema)
    try:
        with engine.connect() as connection:
            return {str(row[0]) for row in connection.execute(select(hub_messages.c.certificate_id))}
    finally:
        engine.dispose()


def classify(*, outcome: Outcome, present: bool, stored: int, hub_accepted: set[str]) -> str | None:
    """None when delivered (stored at the destination, receipt back at the origin), else why it is lost."""
    cid, importer = outcome.certificate_id, outcome.shipment.importer
    if present and stored >= 1 and outcome.status == "delivered":
        return None
    if present:
        return f"stored at {importer}, receipt not back to {outcome.shipment.exporter} ({outcome.status})"
    if cid in hub_accepted:
        return f"accepted by the hub, never stored at {importer} ({outcome.status})"
    return f"answered {outcome.status!r} by {outcome.shipment.exporter}, unknown to the hub"


async def _present(
    *, client: httpx.AsyncClient, federation: SimulatedFederation, country: str, certificate_id: str
) -> bool:
    url = f"{federation.direct_url(country)}/api/v1/certificates/{certificate_id}"
    headers = {"authorization": f"Bearer {federation.tokens['official']}"}
    for _ in range(3):
        try:
            answer = await client.get(url, headers=headers)
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
            continue
        return answer.status_code == 200
    return False


async def audit(*, federation: SimulatedFederation, outcomes: list[Outcome]) -> Audit:
    """Classify every outcome: delivered (stored at its destination and receipted), rejected, lost."""
    result = Audit(hub_accepted=hub_accepted(federation=federation))
    ours = {o.certificate_id: o for o in outcomes if o.certificate_id}
    counts: Counter[str] = Counter()
    for country in federation.countries:
        counts.update(stored_counts(federation=federation, country=country))
    result.stored_twice = {cid: n for cid, n in counts.items() if n > 1 and cid in ours}
    gate = asyncio.Semaphore(16)
    async with federation_client(timeout=10.0) as client:

        async def check(outcome: Outcome) -> None:
            cid = outcome.certificate_id
            if cid is None or outcome.status == "rejected":
                if outcome.status == "unanswered":
                    result.lost[f"#{outcome.shipment.index}"] = "never answered by the exporting node"
                return
            async with gate:
                present = await _present(
                    client=client,
                    federation=federation,
                    country=outcome.shipment.importer,
                    certificate_id=cid,
                )
            why = classify(
                outcome=outcome, present=present, stored=counts[cid], hub_accepted=result.hub_accepted
            )
            if why is None:
                result.delivered.add(cid)
            else:
                result.lost[cid] = why

        await asyncio.gather(*(check(outcome) for outcome in outcomes))
    return result
