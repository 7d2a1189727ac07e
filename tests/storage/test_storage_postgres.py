"""A PostgreSQL engine works in its service's own schema on every connection it opens."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from network.kit import throwaway_database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from singlewindow.errors import ConfigurationError
from singlewindow.storage import make_engine, migrate


def test_a_schema_name_that_is_not_a_plain_identifier_is_refused_before_any_connection() -> None:
    with pytest.raises(ConfigurationError, match="invalid PostgreSQL schema name"):
        make_engine(url="postgresql+psycopg://nobody@127.0.0.1:1/none", schema='sw"; DROP TABLE x; --')


@pytest.mark.postgres
def test_every_new_connection_lands_in_the_migrated_schema(tmp_path: Path) -> None:
    """``migrate`` creates the schema; each of several connections opened at once reads it as current."""
    with throwaway_database("postgresql", tmp_path) as database:
        url, schema = database.service("hub")
        engine = make_engine(url=url, schema=schema)
        migrate(engine=engine)
        readers = 4
        inside = threading.Barrier(readers)
        seen: list[tuple[str, int]] = []

        def read() -> None:
            with engine.connect() as connection:
                current = connection.execute(text("SELECT current_schema()")).scalar_one()
                tables = connection.execute(text("SELECT count(*) FROM hub_messages")).scalar_one()
                seen.append((current, tables))
                inside.wait(timeout=30)  # all hold a connection at once: each is a new one

        threads = [threading.Thread(target=read) for _ in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        engine.dispose()
        assert seen == [(schema, 0)] * readers


@pytest.mark.postgres
def test_server_options_in_the_url_are_kept_beside_the_schema(tmp_path: Path) -> None:
    with throwaway_database("postgresql", tmp_path) as database:
        url, schema = database.service("node")
        with_options = make_url(url).update_query_dict({"options": "-c statement_timeout=4321"})
        engine = make_engine(url=with_options.render_as_string(hide_password=False), schema=schema)
        with engine.connect() as connection:
            timeout = connection.execute(text("SHOW statement_timeout")).scalar_one()
            current = connection.execute(text("SELECT current_schema()")).scalar_one()
        engine.dispose()
        assert (timeout, current) == ("4321ms", schema)


@pytest.mark.postgres
def test_a_service_never_opens_more_connections_than_its_pool_and_keeps_them(tmp_path: Path) -> None:
    """8 concurrent readers on a pool of 3: 3 server sessions serve them, and serve the next burst too."""
    with throwaway_database("postgresql", tmp_path) as database:
        url, schema = database.service("node")
        engine = make_engine(url=url, schema=schema, pool_size=3)

        def burst() -> set[int]:
            sessions: list[int] = []

            def read() -> None:
                with engine.connect() as connection:
                    query = text("SELECT pg_backend_pid() FROM (SELECT pg_sleep(0.05)) AS pause")
                    sessions.append(connection.execute(query).scalar_one())

            threads = [threading.Thread(target=read) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert len(sessions) == 8
            return set(sessions)

        first = burst()
        second = burst()
        engine.dispose()
        assert len(first) <= 3
        assert second <= first
