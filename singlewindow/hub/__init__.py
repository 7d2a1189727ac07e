"""The routing hub: authenticates nodes, verifies and routes documents, delivers them with receipts."""

from singlewindow.hub.app import HubState, create_app
from singlewindow.hub.directory import Directory
from singlewindow.hub.worker import DeliveryWorker, backoff

__all__ = ["DeliveryWorker", "Directory", "HubState", "backoff", "create_app"]
