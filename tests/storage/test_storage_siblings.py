"""Lookups by CertificateID go by an index, not by reading every stored document.

The hub looks them up at every acceptance and the importing node at every delivery: a full scan made
each of them cost in proportion to everything received so far (a node's deliveries slowed from ≈ 25
to ≈ 8 a second within 30,000 certificates).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, Select, text

from singlewindow.lifecycle.rectification import lineage_ids
from singlewindow.storage import HubStore, utcnow
from singlewindow.storage.hub_store import _SIBLINGS
from singlewindow.storage.node_store import _RECEIVED_SIBLINGS, _SUBMISSIONS

CERTIFICATE = "AR001A18260000123400"


def _plan(engine: Engine, statement: Select[tuple[str]]) -> str:
    """The database's plan for ``statement`` with this certificate's lineage (sequential scans discouraged
    on PostgreSQL, so that a small table does not hide a missing index)."""
    sql = str(
        statement.params(
            b_ids=lineage_ids(CERTIFICATE), b_certificate_id=CERTIFICATE, b_certificate_ids=[CERTIFICATE]
        ).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    )
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            rows = conn.execute(text(f"EXPLAIN {sql}")).scalars().all()
        else:
            rows = [row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    return "\n".join(str(row) for row in rows)


@pytest.mark.parametrize(
    "statement",
    [_SIBLINGS, _RECEIVED_SIBLINGS, _SUBMISSIONS],
    ids=["hub siblings", "node siblings", "node submissions"],
)
def test_lookups_by_certificate_go_by_index(engine: Engine, statement: Select[tuple[str]]) -> None:
    """The siblings at every acceptance and delivery, a certificate's submissions at every outcome push."""
    plan = _plan(engine, statement)
    assert "Seq Scan" not in plan and not plan.startswith("SCAN"), plan
    assert "INDEX" in plan.upper(), plan


def test_the_lineage_holds_every_rectification_of_the_certificate() -> None:
    """The 100 ids a certificate can carry: its first 18 characters and rectification codes 00–99."""
    ids = lineage_ids(CERTIFICATE)
    assert len(ids) == 100 and ids[0] == "AR001A182600001234" + "00" and ids[-1].endswith("99")
    assert all(i[:18] == CERTIFICATE[:18] for i in ids)


def test_the_hub_finds_the_siblings_it_stored_and_no_other(engine: Engine) -> None:
    """Rectifications of the same certificate are siblings; another number is not."""
    store = HubStore(engine=engine)
    for certificate_id in ("AR001A18260000123400", "AR001A18260000123403", "AR001A18260000123500"):
        store.accept(
            certificate_id=certificate_id,
            sha256=certificate_id.ljust(64, "0"),
            document=b"<doc/>",
            sender="AR",
            destination="BR",
            now=utcnow(),
        )
    assert sorted(store.siblings("AR001A18260000123401")) == ["AR001A18260000123400", "AR001A18260000123403"]
