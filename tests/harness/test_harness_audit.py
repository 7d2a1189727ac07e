"""The audit: duplicates are counted from the destination's store, losses classified with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from singlewindow.harness import SimulatedFederation, plan_traffic
from singlewindow.harness.audit import classify, stored_counts
from singlewindow.harness.driver import Outcome, problem_codes
from singlewindow.storage import make_engine, migrate
from singlewindow.storage.tables import node_inbound


def _outcome(status: str) -> Outcome:
    (shipment,) = plan_traffic(countries=["AR", "BR"], certificates=1, seed=5)
    return Outcome(shipment=shipment, certificate_id="AR001A18260000000100", status=status)


def test_delivered_needs_destination_store_and_receipt() -> None:
    """Delivered means stored at the destination and reported delivered at the origin; else a reason."""
    assert classify(outcome=_outcome("delivered"), present=True, stored=1, hub_accepted=set()) is None
    assert "receipt not back" in (
        classify(outcome=_outcome("accepted"), present=True, stored=1, hub_accepted=set()) or ""
    )
    hub = {"AR001A18260000000100"}
    assert "never stored" in (
        classify(outcome=_outcome("accepted"), present=False, stored=0, hub_accepted=hub) or ""
    )
    assert "unknown to the hub" in (
        classify(outcome=_outcome("submitted"), present=False, stored=0, hub_accepted=set()) or ""
    )


def test_stored_counts_reads_the_destination_store(tmp_path: Path) -> None:
    """Two inbound rows for one CertificateID at a node are counted as two."""
    federation = SimulatedFederation(countries=["AR", "BR"], workdir=tmp_path)
    url, schema = federation.database("BR")
    engine = make_engine(url=url, schema=schema)
    migrate(engine=engine)
    now = datetime.now(UTC)
    row = {"certificate_id": "AR001A18260000000100", "sha256": "0" * 64, "document": b"<x/>", "report": "{}"}
    with engine.begin() as connection:
        for delivery in ("d1", "d2"):
            connection.execute(
                node_inbound.insert().values(delivery=delivery, receipt=b"r", received_at=now, **row)
            )
    engine.dispose()
    assert stored_counts(federation=federation, country="BR") == {"AR001A18260000000100": 2}


def test_problem_codes_are_found_however_nested() -> None:
    """Codes are collected from any problems answer shape."""
    body = {"detail": {"problems": [{"code": "schema.invalid"}, {"code": "chain.revoked", "path": "/"}]}}
    assert problem_codes(body=body) == ["schema.invalid", "chain.revoked"]
