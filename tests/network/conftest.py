"""Fixtures of the network tests: per-test databases and an in-process federation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from network.kit import Database, LocalFederation, database, shared_verify

from singlewindow.pki import Federation

__all__ = ["database", "shared_verify"]


@pytest.fixture
async def local(
    federation: Federation, database: Database, aladi_dir: Path
) -> AsyncIterator[LocalFederation]:
    """Hub + AR, BR, UY in-process on the test's database, each app with verifiers of its own
    (built from the trust list it adopts; ``kit.local``, used by tests/hub and tests/node, shares one)."""
    kit = LocalFederation(
        pki=federation, db=database, countries=["AR", "BR", "UY"], schema_dirs=str(aladi_dir)
    )
    async with kit.running() as fed:
        yield fed
