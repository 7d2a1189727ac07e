"""Trusted time: the hub's acceptance time a delivery carried, kept with the node's inbound copy."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from singlewindow.storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("node_inbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hub_accepted_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("node_inbound", schema=None) as batch_op:
        batch_op.drop_column("hub_accepted_at")
