"""Building the engine (SQLite in WAL mode, or PostgreSQL in its own schema) and migrating it."""

from __future__ import annotations

import contextlib
import re
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from singlewindow.config import DATABASE_POOL_SIZE, SCHEMA_NAME
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
#: SQLite connections an engine keeps open (each holds its own page cache, filled as it reads)
SQLITE_POOL_SIZE = 32
_SCHEMA_NAME = re.compile(SCHEMA_NAME)
#: most writers one SQLite transaction takes in before it commits (bounds how long the first one waits)
GROUP_LIMIT = 64


class _Batch:
    """One open SQLite write transaction and the writers whose blocks ran in it."""

    def __init__(self, connection: Connection, transaction: Any) -> None:
        self.connection, self.transaction = connection, transaction
        self.members = 0
        self.committed = threading.Event()
        self.error: BaseException | None = None


class _GroupCommit:
    """The writers of one SQLite engine in this process: one at a time, sharing commits (group commit).

    A writer runs its block while it holds ``turn``. When it is done and other writers are queued for
    ``turn``, it leaves the transaction open for them and waits; the last writer of the queue (or the
    ``GROUP_LIMIT``-th) commits, and every writer of the batch returns only after that commit (with
    ``synchronous=FULL``: on disk). A block after the first runs inside a SAVEPOINT, so a block that
    raises undoes only its own writes.
    """

    def __init__(self) -> None:
        self.turn = threading.Lock()
        self._queued = 0
        self._count = threading.Lock()
        self.batch: _Batch | None = None

    @property
    def queued(self) -> int:
        """Writers waiting for their turn now."""
        with self._count:
            return self._queued

    @contextlib.contextmanager
    def write(self, engine: Engine) -> Iterator[Connection]:
        with self._count:
            self._queued += 1
        self.turn.acquire()
        with self._count:
            self._queued -= 1
        try:
            batch = self.batch
            if batch is None:
                connection = engine.connect()
                connection.execution_options(**{_WRITES: True})
                try:
                    batch = _Batch(connection, connection.begin())
                except BaseException:
                    connection.close()
                    raise
                self.batch = batch
            savepoint = batch.connection.begin_nested() if batch.members else None
        except BaseException:
            self.turn.release()
            raise
        try:
            yield batch.connection
        except BaseException:
            if savepoint is None:
                # the first block of the batch: nothing of anyone else is in the transaction yet
                self._end(batch, commit=False)
            else:
                self._close_savepoint(batch, savepoint, keep=False)
            raise
        if savepoint is not None:
            self._close_savepoint(batch, savepoint, keep=True)  # RELEASE: the block joins the batch
        else:
            self._settle(batch)
        batch.committed.wait()
        if batch.error is not None:
            raise batch.error

    def _close_savepoint(self, batch: _Batch, savepoint: Any, *, keep: bool) -> None:
        """Release (``keep``) or roll back one block's savepoint, then settle the batch.

        When the savepoint itself fails the transaction is unusable: it is rolled back for every
        writer of the batch (each of them raises).
        """
        try:
            if keep:
                savepoint.commit()
            else:
                savepoint.rollback()
        except BaseException as exc:
            batch.error = exc
            self._end(batch, commit=False)
            raise
        self._settle(batch)

    def _settle(self, batch: _Batch) -> None:
        """Hand the open transaction to the next queued writer, or commit it; releases ``turn``."""
        batch.members += 1
        if self.queued and batch.members < GROUP_LIMIT:
            self.turn.release()
        else:
            self._end(batch, commit=True)

    def _end(self, batch: _Batch, *, commit: bool) -> None:
        try:
            if commit:
                batch.transaction.commit()
            else:
                batch.transaction.rollback()
        except BaseException as exc:
            batch.error = batch.error or exc
            raise
        finally:
            self.batch = None
            try:
                batch.connection.close()
            finally:
                batch.committed.set()
                self.turn.release()


#: SQLite: the writers of each engine in this process (see ``write_transaction``)
_GROUPS: weakref.WeakKeyDictionary[Engine, _GroupCommit] = weakref.WeakKeyDictionary()


def queued_writers(engine: Engine) -> int:
    """How many writers of this process wait for ``engine``'s write transaction now (0 on PostgreSQL)."""
    group = _GROUPS.get(engine)
    return group.queued if group is not None else 0


def _sqlite_begin(connection: Any) -> None:
    # straight to the driver: through SQLAlchemy's execution machinery a BEGIN costs ~50 us of CPU
    driver = connection.connection.driver_connection
    if connection.get_execution_options().get(_WRITES):
        # take the write lock up front: a deferred transaction that later writes can fail with SQLITE_BUSY
        driver.execute("BEGIN IMMEDIATE")
    else:
        # readers never take the write lock: in WAL mode they read a snapshot beside the writer
        driver.execute("BEGIN")


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes, committed when the block ends (rolled back on an exception).

    Every write goes through here; reads use ``engine.connect()``. The block returns only once its
    writes are committed. On SQLite the transaction starts with ``BEGIN IMMEDIATE`` and the writers of
    this process queue on a lock first: SQLite's own busy handler makes a waiting writer sleep in
    growing steps (up to 100 ms), which under concurrent requests cost far more time than the writes
    themselves. Writers that queued while a block ran share its transaction and its one commit
    (group commit: one fsync for all of them); each block after the first runs in a SAVEPOINT, so a
    block that raises undoes only its own writes. Other processes on the same file still meet
    SQLite's lock and ``busy_timeout``. PostgreSQL: an ordinary transaction per block.
    """
    group = _GROUPS.get(engine)
    if group is not None:
        with group.write(engine) as connection:
            yield connection
        return
    with engine.connect() as connection:
        connection.execution_options(**{_WRITES: True})
        with connection.begin():
            yield connection


def make_engine(*, url: str, schema: str | None = None, pool_size: int = DATABASE_POOL_SIZE) -> Engine:
    """An engine for ``url``; on PostgreSQL every connection works inside ``schema`` when given.

    ``pool_size``: PostgreSQL connections the engine opens at most, each kept once opened (no
    overflow: under load, opening and closing connections above the pool cost the hub a fifth of its
    CPU); SQLite's pool is sized for its own threads (``SQLITE_POOL_SIZE``).
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(f"invalid database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A pool as deep as the threads that use it at once (anyio's 40 worker threads, the group
        # commit): SQLAlchemy's default keeps 5 and opens and closes every connection above that —
        # under load ≈ 8 % of a node's CPU went to opening SQLite connections and their PRAGMAs.
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "isolation_level": None},
            poolclass=QueuePool,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
            pool_use_lifo=True,  # reuse the most recent: the rest stay idle, their page caches unfilled
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _GROUPS[engine] = _GroupCommit()
        return engine
    if backend != "postgresql":
        raise ConfigurationError(f"unsupported database {backend!r}: use sqlite or postgresql+psycopg")
    pool = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": 0}
    if schema is None:
        return create_engine(parsed, **pool)
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigurationError(f"invalid PostgreSQL schema name {schema!r}: use [a-z_][a-z0-9_]*")
    # set by the server as each session starts: no statement, no round trip per new connection
    # (after any server options the URL gives itself, e.g. ``?options=-c statement_timeout=5000``)
    options = " ".join(filter(None, [str(parsed.query.get("options", "")), f"-c search_path={schema}"]))
    engine = create_engine(parsed, connect_args={"options": options}, **pool)

    def _create_schema(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        cursor.close()
        dbapi_connection.commit()

    # once per engine, before SQLAlchemy reads the server's defaults (the current schema among them)
    event.listen(engine, "first_connect", _create_schema, insert=True)
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
