"""Lifecycle: a ``kind`` (COD | CANCELLATION) on stored messages, and the node's lifecycle states."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from singlewindow.storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hub_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="COD"))
        batch_op.drop_constraint("uq_hub_messages_certificate_id", type_="unique")
        batch_op.create_unique_constraint("uq_hub_messages_kind_certificate_id", ["kind", "certificate_id"])

    with op.batch_alter_table("node_inbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="COD"))

    with op.batch_alter_table("node_outbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="COD"))
        batch_op.drop_constraint("pk_node_outbound", type_="primary")
        batch_op.create_primary_key("pk_node_outbound", ["kind", "certificate_id"])

    op.create_table(
        "node_lifecycle",
        sa.Column("certificate_id", sa.String(length=20), nullable=False),
        sa.Column("lifecycle", sa.String(length=16), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("replaced_by", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_node_lifecycle")),
    )


def downgrade() -> None:
    op.drop_table("node_lifecycle")
    with op.batch_alter_table("node_outbound", schema=None) as batch_op:
        batch_op.drop_constraint("pk_node_outbound", type_="primary")
        batch_op.create_primary_key("pk_node_outbound", ["certificate_id"])
        batch_op.drop_column("kind")
    with op.batch_alter_table("node_inbound", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("hub_messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_hub_messages_kind_certificate_id", type_="unique")
        batch_op.create_unique_constraint("uq_hub_messages_certificate_id", ["certificate_id"])
        batch_op.drop_column("kind")
