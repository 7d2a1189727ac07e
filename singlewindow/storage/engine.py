"""Building the engine (SQLite in WAL mode, or PostgreSQL in its own schema) and migrating it."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from singlewindow.errors import ConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: one fixed key, so concurrent hub processes migrate one after the other
_MIGRATION_LOCK = 0x5317_0001


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before we answer 202 (WAL's NORMAL could lose the last commits)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


#: execution option of a connection opened by ``write_transaction``
_WRITES = "singlewindow_writes"
#: SQLite: one writer at a time per engine in this process, queued on a lock (see ``write_transaction``)
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def _sqlite_begin(connection: Any) -> None:
    if connection.get_execution_options().get(_WRITES):
        # take the write lock up front: a deferred transaction that later writes can fail with SQLITE_BUSY
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        # readers never take the write lock: in WAL mode they read a snapshot beside the writer
        connection.exec_driver_sql("BEGIN")


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes, committed when the block ends (rolled back on an exception).

    Every write goes through here; reads use ``engine.connect()``. On SQLite the transaction starts
    with ``BEGIN IMMEDIATE`` and the writers of this process queue on a lock first: SQLite's own busy
    handler makes a waiting writer sleep in growing steps (up to 100 ms), which under concurrent
    requests cost far more time than the writes themselves. Other processes on the same file still
    meet SQLite's lock and ``busy_timeout``. PostgreSQL: an ordinary transaction.
    """
    lock = _WRITERS.get(engine)
    with lock if lock is not None else contextlib.nullcontext(), engine.connect() as connection:
        connection.execution_options(**{_WRITES: True})
        with connection.begin():
            yield connection


def make_engine(*, url: str, schema: str | None = None) -> Engine:
    """An engine for ``url``; on PostgreSQL every connection works inside ``schema`` when given."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(f"invalid database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _WRITERS[engine] = threading.Lock()
        return engine
    if backend != "postgresql":
        raise ConfigurationError(f"unsupported database {backend!r}: use sqlite or postgresql+psycopg")
    engine = create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if schema:

        def _search_path(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            cursor.execute(f'SET search_path TO "{schema}"')
            cursor.close()
            dbapi_connection.commit()

        event.listen(engine, "connect", _search_path)
    return engine


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(*, engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; serialised across processes)."""
    config = alembic_config()
    with engine.connect() as connection:
        # SQLite: a migration writes, so it starts its transactions like every writer (BEGIN IMMEDIATE)
        connection.execution_options(**{_WRITES: True})
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
                connection.commit()


def check_database(*, engine: Engine) -> None:
    """Raise when the database cannot answer a trivial query (for /healthz)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
