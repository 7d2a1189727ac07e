"""Storage: SQLAlchemy 2 tables and repositories for hub and node, on SQLite (WAL) or PostgreSQL."""

from singlewindow.storage.engine import check_database, make_engine, migrate
from singlewindow.storage.hub_store import Accepted, Event, HubStore, Message, new_delivery_number
from singlewindow.storage.node_store import (
    Inbound,
    Lifecycle,
    NodeEvent,
    NodeStore,
    Outbound,
    ReceivedCertificate,
    SentCertificate,
)
from singlewindow.storage.tables import CANCELLATION, COD, metadata
from singlewindow.storage.types import UTCDateTime, utcnow

__all__ = [
    "CANCELLATION",
    "COD",
    "Accepted",
    "Event",
    "HubStore",
    "Inbound",
    "Lifecycle",
    "Message",
    "NodeEvent",
    "NodeStore",
    "Outbound",
    "ReceivedCertificate",
    "SentCertificate",
    "UTCDateTime",
    "check_database",
    "make_engine",
    "metadata",
    "migrate",
    "new_delivery_number",
    "utcnow",
]
