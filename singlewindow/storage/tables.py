"""The tables of the hub and of a node (SQLAlchemy Core); Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from singlewindow.storage.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity
_Id = BigInteger().with_variant(Integer(), "sqlite")

#: what a stored message is: a certificate (COD) or a signed cancellation of one
COD = "COD"
CANCELLATION = "CANCELLATION"
KINDS = (COD, CANCELLATION)

#: one row per accepted document: the exact bytes, where it goes, and its delivery state and lease
hub_messages = Table(
    "hub_messages",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("delivery", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False, server_default=COD),
    Column("certificate_id", String(20), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("sender", String(2), nullable=False),
    Column("destination", String(2), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_until", UTCDateTime),
    Column("version", Integer, nullable=False, default=1),
    Column("accepted_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("receipt", LargeBinary),
    Column("last_error", Text),
    Index("ix_hub_messages_due", "state", "next_attempt_at"),
    UniqueConstraint("kind", "certificate_id", name="uq_hub_messages_kind_certificate_id"),
)

#: the trail of every message: acceptance, each attempt, the outcome, replays
hub_events = Table(
    "hub_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("message_id", _Id, ForeignKey("hub_messages.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("event", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

#: certificates this node sent (customs submissions) and what the hub said about them
node_outbound = Table(
    "node_outbound",
    metadata,
    Column("kind", String(16), nullable=False, server_default=COD),
    Column("certificate_id", String(20), nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("delivery", String(40)),
    Column("problems", Text),
    Column("receipt", LargeBinary),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_node_outbound_status", "status", "next_attempt_at"),
    PrimaryKeyConstraint("kind", "certificate_id", name="pk_node_outbound"),
)

#: certificates delivered to this node by the hub: exact bytes, our own report, our receipt
node_inbound = Table(
    "node_inbound",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("delivery", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False, server_default=COD),
    Column("certificate_id", String(20), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("report", Text, nullable=False),
    Column("receipt", LargeBinary, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    #: the hub's acceptance time the delivery carried: the document's trusted time
    Column("hub_accepted_at", UTCDateTime, nullable=True),
)

#: a node's trail per certificate, both directions
node_events = Table(
    "node_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("certificate_id", String(20), nullable=False, index=True),
    Column("direction", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

#: where each certificate known to a node stands: cancelled or rectified (absent: active)
node_lifecycle = Table(
    "node_lifecycle",
    metadata,
    Column("certificate_id", String(20), primary_key=True),
    Column("lifecycle", String(16), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("replaced_by", String(20)),
    Column("reason", Text, nullable=False, default=""),
)

#: API credentials; only the SHA-256 of each token is kept
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

#: the officials' page sessions: one row per signed-in browser, deleted at sign-out; a session whose
#: token is no longer among ``api_tokens`` is over (withdrawing a token ends its sessions)
node_sessions = Table(
    "node_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("country", String(2), nullable=False),
    Column("token_sha256", String(64), nullable=False, index=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
