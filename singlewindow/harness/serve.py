"""Process entry point of a simulated service: ``python -m singlewindow.harness.serve hub|node``."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from singlewindow.config import HubSettings, NodeSettings, load_settings
from singlewindow.logging import configure_logging


def build_app(*, kind: str, settings: HubSettings | NodeSettings) -> Any:
    """The service's ASGI app from its package's ``create_app(settings)``."""
    module = importlib.import_module(f"singlewindow.{kind}.app")
    return module.create_app(settings)


def main(argv: list[str]) -> int:
    """Serve the hub or a node configured from SINGLEWINDOW_HUB_* / SINGLEWINDOW_NODE_* variables."""
    import uvicorn

    if len(argv) != 1 or argv[0] not in ("hub", "node"):
        print("usage: python -m singlewindow.harness.serve hub|node", file=sys.stderr)
        return 2
    kind = argv[0]
    settings: HubSettings | NodeSettings = (
        load_settings(HubSettings) if kind == "hub" else load_settings(NodeSettings)
    )
    service = "hub" if isinstance(settings, HubSettings) else f"node-{settings.country}"
    configure_logging(level=settings.log_level, json=settings.log_json, service=service)
    uvicorn.run(
        build_app(kind=kind, settings=settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
