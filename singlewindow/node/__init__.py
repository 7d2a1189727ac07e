"""A country node: customs API, inbound deliveries with signed receipts, officials' verification."""

from singlewindow.node.app import NodeState, create_app
from singlewindow.node.outbound import Outbox

__all__ = ["NodeState", "Outbox", "create_app"]
