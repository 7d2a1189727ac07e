"""Alembic environment: runs on the connection handed over by ``singlewindow.storage.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from singlewindow.storage.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    # plain `alembic -x url=…` use, e.g. by an operator migrating ahead of a rollout
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database as: alembic -x url=postgresql+psycopg://… upgrade head")
    with create_engine(url).connect() as own:
        _run(own)
        own.commit()
