"""Initial tables of the hub and of a node."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from singlewindow.storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_tokens",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    op.create_table(
        "hub_messages",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("delivery", sa.String(length=40), nullable=False),
        sa.Column("certificate_id", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("sender", sa.String(length=2), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("receipt", sa.LargeBinary(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_messages")),
        sa.UniqueConstraint("certificate_id", name=op.f("uq_hub_messages_certificate_id")),
        sa.UniqueConstraint("delivery", name=op.f("uq_hub_messages_delivery")),
    )
    with op.batch_alter_table("hub_messages", schema=None) as batch_op:
        batch_op.create_index("ix_hub_messages_due", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "node_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("certificate_id", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_events")),
    )
    with op.batch_alter_table("node_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_node_events_certificate_id"), ["certificate_id"], unique=False)

    op.create_table(
        "node_inbound",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("delivery", sa.String(length=40), nullable=False),
        sa.Column("certificate_id", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_inbound")),
        sa.UniqueConstraint("delivery", name=op.f("uq_node_inbound_delivery")),
    )
    with op.batch_alter_table("node_inbound", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_node_inbound_certificate_id"), ["certificate_id"], unique=False)

    op.create_table(
        "node_outbound",
        sa.Column("certificate_id", sa.String(length=20), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivery", sa.String(length=40), nullable=True),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("receipt", sa.LargeBinary(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_node_outbound")),
    )
    with op.batch_alter_table("node_outbound", schema=None) as batch_op:
        batch_op.create_index("ix_node_outbound_status", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "hub_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["hub_messages.id"], name=op.f("fk_hub_events_message_id_hub_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_events")),
    )
    with op.batch_alter_table("hub_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_events_message_id"), ["message_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("hub_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_events_message_id"))

    op.drop_table("hub_events")
    with op.batch_alter_table("node_outbound", schema=None) as batch_op:
        batch_op.drop_index("ix_node_outbound_status")

    op.drop_table("node_outbound")
    with op.batch_alter_table("node_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_node_inbound_certificate_id"))

    op.drop_table("node_inbound")
    with op.batch_alter_table("node_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_node_events_certificate_id"))

    op.drop_table("node_events")
    with op.batch_alter_table("hub_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_hub_messages_due")

    op.drop_table("hub_messages")
    op.drop_table("api_tokens")
