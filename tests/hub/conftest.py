"""Fixtures: per-test databases and an in-process federation (shared with tests/network)."""

from __future__ import annotations

from network.kit import database, local, shared_verify

__all__ = ["database", "local", "shared_verify"]
