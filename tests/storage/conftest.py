"""Fixtures: a migrated engine per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from network.kit import Database, database
from sqlalchemy import Engine

from singlewindow.storage import make_engine, migrate

__all__ = ["database"]


@pytest.fixture
def engine(database: Database) -> Iterator[Engine]:
    """A freshly migrated database of its own."""
    url, schema = database.service("store")
    engine = make_engine(url=url, schema=schema)
    migrate(engine=engine)
    yield engine
    engine.dispose()
