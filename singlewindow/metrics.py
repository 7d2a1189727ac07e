"""Prometheus metrics of hub and node, each app with its own registry (several apps share a test process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _StateCollector(Collector):
    """Reads gauges from the database at scrape time, so every replica reports the shared truth."""

    def __init__(self, *, name: str, help_text: str, label: str, read: Callable[[], dict[str, int]]) -> None:
        self.name, self.help_text, self.label, self.read = name, help_text, label, read

    def collect(self):  # type: ignore[no-untyped-def]  # prometheus_client's own signature is untyped
        family = GaugeMetricFamily(self.name, self.help_text, labels=[self.label] if self.label else [])
        try:
            values = self.read()
        except Exception:  # a scrape must not fail because the database blinked; /healthz says so
            values = {}
        for key, value in values.items():
            family.add_metric([key] if self.label else [], value)
        yield family


class HubMetrics:
    """Accepted and rejected submissions, deliveries by state, queue depth and delivery latency."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.accepted = Counter(
            "singlewindow_hub_accepted", "Documents accepted by the hub", registry=self.registry
        )
        self.rejected = Counter(
            "singlewindow_hub_rejected",
            "Problems of refused submissions, by code",
            ["code"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "singlewindow_hub_delivery_outcomes",
            "Delivery attempts by resulting state",
            ["state"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "singlewindow_hub_delivery_latency_seconds",
            "From acceptance to a verified receipt",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
            registry=self.registry,
        )
        self.request_documents = Histogram(
            "singlewindow_hub_delivery_request_documents",
            "Documents carried by each delivery request to a node",
            buckets=(1, 2, 4, 8, 16),
            registry=self.registry,
        )

    def watch(self, *, states: Callable[[], dict[str, int]]) -> None:
        """Report messages by state and the queue depth from ``states`` at each scrape."""
        self.registry.register(
            _StateCollector(
                name="singlewindow_hub_messages", help_text="Messages by state", label="state", read=states
            )
        )
        self.registry.register(
            _StateCollector(
                name="singlewindow_hub_queue_depth",
                help_text="Messages waiting for delivery",
                label="",
                read=lambda: {"": states().get("PendingDelivery", 0)},
            )
        )

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)


class NodeMetrics:
    """Submissions, hub answers, deliveries received and verifications run by a node."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.submitted = Counter(
            "singlewindow_node_submissions",
            "Customs submissions by outcome",
            ["status"],
            registry=self.registry,
        )
        self.received = Counter(
            "singlewindow_node_received",
            "Deliveries from the hub by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.verified = Counter(
            "singlewindow_node_verifications",
            "Officials' verifications by result",
            ["valid"],
            registry=self.registry,
        )
        self.status = Gauge("singlewindow_node_up", "1 while the node serves", registry=self.registry)
        self.status.set(1)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
