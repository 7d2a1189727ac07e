"""CLI commands: ``hub serve``, ``hub replay``, ``node serve`` and ``submit``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from singlewindow.errors import SinglewindowError

Host = Annotated[str | None, typer.Option(help="Interface to listen on [default: 127.0.0.1]")]
Port = Annotated[int | None, typer.Option(help="Port to listen on [default: 8000]")]
Database = Annotated[
    str | None, typer.Option("--database", help="SQLAlchemy URL (sqlite:///… or postgresql+psycopg://…)")
]
Pki = Annotated[Path | None, typer.Option("--pki", help="Federation directory from `singlewindow pki init`")]


def _fail(exc: SinglewindowError) -> typer.Exit:
    for item in exc.problems:
        typer.echo(f"error: {item.code}: {item.message}", err=True)
    return typer.Exit(code=exc.exit_code)


def _serve(app: Any, *, host: str, port: int) -> None:
    import uvicorn

    # our own JSON logs carry the requests; uvicorn's config would replace the logging setup
    uvicorn.run(app, host=host, port=port, log_config=None, timeout_graceful_shutdown=5)


def hub_serve(host: Host = None, port: Port = None, database: Database = None, pki: Pki = None) -> None:
    """Run the routing hub (settings from SINGLEWINDOW_HUB_*; options override them)."""
    from singlewindow.config import HubSettings, load_settings
    from singlewindow.hub import create_app
    from singlewindow.logging import configure_logging

    try:
        settings = load_settings(HubSettings, host=host, port=port, database_url=database, pki=pki)
    except SinglewindowError as exc:
        raise _fail(exc) from None
    configure_logging(level=settings.log_level, json=settings.log_json, service="hub")
    _serve(create_app(settings), host=settings.host, port=settings.port)


def hub_replay(
    delivery: Annotated[str, typer.Argument(help="Hub delivery number of a FailedDelivery")],
    database: Database = None,
    pki: Pki = None,
) -> None:
    """Re-queue a failed delivery with a fresh retry budget."""
    from singlewindow.config import HubSettings, load_settings
    from singlewindow.storage import HubStore, make_engine, migrate, utcnow

    try:
        settings = load_settings(HubSettings, database_url=database, pki=pki)
    except SinglewindowError as exc:
        raise _fail(exc) from None
    engine = make_engine(url=settings.url, schema=settings.database_schema)
    migrate(engine=engine)
    message = HubStore(engine=engine).replay(delivery=delivery, now=utcnow())
    engine.dispose()
    if message is None:
        typer.echo(f"error: delivery.not_found: no FailedDelivery {delivery}", err=True)
        raise typer.Exit(code=1)
    typer.echo(json.dumps({"delivery": message.delivery, "state": message.state.value}))


def node_serve(
    country: Annotated[str | None, typer.Option(help="ISO country code of this node, e.g. AR")] = None,
    host: Host = None,
    port: Port = None,
    database: Database = None,
    pki: Pki = None,
    hub_url: Annotated[str | None, typer.Option("--hub-url", help="Base URL of the hub")] = None,
) -> None:
    """Run a country node (settings from SINGLEWINDOW_NODE_*; options override them)."""
    from singlewindow.config import NodeSettings, load_settings
    from singlewindow.logging import configure_logging
    from singlewindow.node import create_app

    try:
        settings = load_settings(
            NodeSettings,
            country=country,
            host=host,
            port=port,
            database_url=database,
            pki=pki,
            hub_url=hub_url,
        )
    except SinglewindowError as exc:
        raise _fail(exc) from None
    configure_logging(level=settings.log_level, json=settings.log_json, service=f"node-{settings.country}")
    _serve(create_app(settings), host=settings.host, port=settings.port)


def submit(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="COD XML or JSON fields")],
    node: Annotated[str, typer.Option("--node", help="Base URL of the exporting node")],
    token: Annotated[str, typer.Option("--token", envvar="SINGLEWINDOW_TOKEN", help="Customs bearer token")],
) -> None:
    """Submit a certificate to a node; exit 0 when taken, 1 when refused, 2 when the node is unreachable."""
    import httpx

    body = file.read_bytes()
    kind = "application/json" if body.lstrip().startswith(b"{") else "application/xml"
    try:
        answer = httpx.post(
            f"{node.rstrip('/')}/api/v1/certificates",
            content=body,
            headers={"authorization": f"Bearer {token}", "content-type": kind},
            timeout=60.0,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach {node}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    sys.stdout.write(answer.text + "\n")
    if not answer.is_success:
        raise typer.Exit(code=1 if answer.status_code < 500 else 2)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    hub = typer.Typer(help="The routing hub.", no_args_is_help=True)
    hub.command("serve")(hub_serve)
    hub.command("replay")(hub_replay)
    node = typer.Typer(help="A country node.", no_args_is_help=True)
    node.command("serve")(node_serve)
    app.add_typer(hub, name="hub")
    app.add_typer(node, name="node")
    app.command("submit")(submit)
