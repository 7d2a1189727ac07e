"""The ASGI app of a simulated service, built from its package's ``create_app(settings)``."""

from __future__ import annotations

import importlib
from typing import Any

from singlewindow.config import HubSettings, NodeSettings


def build_app(*, kind: str, settings: HubSettings | NodeSettings) -> Any:
    """The hub's or a node's ASGI app; processes run the same through ``singlewindow hub|node serve``."""
    module = importlib.import_module(f"singlewindow.{kind}.app")
    return module.create_app(settings)
