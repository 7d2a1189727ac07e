"""Officials' page sessions held by the node, so sign-out and token withdrawal end them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from singlewindow.storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_node_sessions")),
    )
    op.create_index(op.f("ix_node_sessions_token_sha256"), "node_sessions", ["token_sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_node_sessions_token_sha256"), table_name="node_sessions")
    op.drop_table("node_sessions")
