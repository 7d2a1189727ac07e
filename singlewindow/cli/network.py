"""CLI commands: ``hub serve``, ``hub replay``, ``node serve`` and ``submit``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from singlewindow.cli.output import country as check_country
from singlewindow.cli.output import echo_json, error_lines, fail, read_input
from singlewindow.errors import Problem, SinglewindowError, problem

Host = Annotated[str | None, typer.Option(help="Interface to listen on [default: 127.0.0.1]")]
Port = Annotated[int | None, typer.Option(help="Port to listen on [default: 8000]")]
Database = Annotated[
    str | None, typer.Option("--database", help="SQLAlchemy URL (sqlite:///… or postgresql+psycopg://…)")
]
Pki = Annotated[
    Path | None, typer.Option("--pki", help="Federation directory from `singlewindow pki init` (development)")
]
Home = Annotated[Path | None, typer.Option("--home", help="This service's own home (see docs/TRUST.md)")]


def _fail(exc: SinglewindowError) -> typer.Exit:
    problems = [item.model_copy(update={"message": _plain_settings(item.message)}) for item in exc.problems]
    return fail(problems, exit_code=exc.exit_code)


def _plain_settings(message: str) -> str:
    """Settings errors name the service and the setting (option and variable), not the settings class."""
    for name, plain, prefix in (
        ("HubSettings", "hub settings", "SINGLEWINDOW_HUB_"),
        ("NodeSettings", "node settings", "SINGLEWINDOW_NODE_"),
    ):
        if name in message:
            message = message.replace(f"invalid {name}", f"invalid {plain}").replace(name, plain)
            for field in re.findall(r"(\w+): Field required", message):
                option = f"--{field.replace('_', '-')} or {prefix}{field.upper()}"
                message = message.replace(f"{field}: Field required", f"{field} is required ({option})")
    return message


def _serve(app: Any, *, host: str, port: int) -> None:
    import uvicorn

    from singlewindow.heap import settle

    settle()  # the app and everything it imported live as long as this process
    # our own JSON logs carry the requests; uvicorn's config would replace the logging setup
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=5)


def hub_serve(
    host: Host = None, port: Port = None, database: Database = None, pki: Pki = None, home: Home = None
) -> None:
    """Run the routing hub (settings from SINGLEWINDOW_HUB_*; options override them)."""
    from singlewindow.config import HubSettings, load_settings
    from singlewindow.hub import create_app
    from singlewindow.logging import configure_logging

    try:
        settings = load_settings(HubSettings, host=host, port=port, database_url=database, pki=pki, home=home)
    except SinglewindowError as exc:
        raise _fail(exc) from None
    configure_logging(level=settings.log_level, json=settings.log_json, service="hub")
    _serve(create_app(settings), host=settings.host, port=settings.port)


def hub_replay(
    delivery: Annotated[
        str, typer.Argument(metavar="DELIVERY", help="Hub delivery number of a failed delivery")
    ],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="The folder of `singlewindow up` / `make run` (its hub.db and pki/), e.g. .federation",
        ),
    ] = None,
    database: Database = None,
    pki: Pki = None,
    home: Home = None,
) -> None:
    """Re-queue a failed delivery with a fresh retry budget (exit 1 when there is no such failed delivery)."""
    from singlewindow.config import HubSettings, load_settings
    from singlewindow.storage import HubStore, make_engine, migrate, utcnow

    if directory is not None:
        if not (directory / "hub.db").is_file():
            message = f"no hub database in {directory} (expected {directory / 'hub.db'}: start it with `up`)"
            raise fail(problem("config.invalid", message))
        database = database or f"sqlite:///{(directory / 'hub.db').resolve()}"
        pki = pki or directory / "pki"
    try:
        settings = load_settings(HubSettings, database_url=database, pki=pki, home=home)
    except SinglewindowError as exc:
        raise _fail(exc) from None
    engine = make_engine(
        url=settings.url, schema=settings.database_schema, pool_size=settings.database_pool_size
    )
    migrate(engine=engine)
    replayed = HubStore(engine=engine).replay(delivery=delivery, now=utcnow())
    engine.dispose()
    if replayed is None:
        text = f"no failed delivery {delivery} in this hub (only failed deliveries can be replayed)"
        raise fail(problem("delivery.not_found", text), exit_code=1)
    echo_json({"delivery": replayed.delivery, "state": replayed.state.value})


def node_serve(
    country: Annotated[str | None, typer.Option(help="ISO country code of this node, e.g. AR")] = None,
    host: Host = None,
    port: Port = None,
    database: Database = None,
    pki: Pki = None,
    home: Home = None,
    hub_url: Annotated[str | None, typer.Option("--hub-url", help="Base URL of the hub")] = None,
) -> None:
    """Run a country node (settings from SINGLEWINDOW_NODE_*; options override them)."""
    from singlewindow.config import NodeSettings, load_settings
    from singlewindow.logging import configure_logging
    from singlewindow.node import create_app

    try:
        settings = load_settings(
            NodeSettings,
            country=check_country(country, option="--country") if country is not None else None,
            host=host,
            port=port,
            database_url=database,
            pki=pki,
            home=home,
            hub_url=hub_url,
        )
    except SinglewindowError as exc:
        raise _fail(exc) from None
    configure_logging(level=settings.log_level, json=settings.log_json, service=f"node-{settings.country}")
    _serve(create_app(settings), host=settings.host, port=settings.port)


def submit(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="JSON fields, or COD XML at stage 1 (request, unsigned) or 2 (signed by the exporter)",
        ),
    ],
    node: Annotated[str, typer.Option("--node", help="Base URL of the exporting node")],
    token: Annotated[str, typer.Option("--token", envvar="SINGLEWINDOW_TOKEN", help="Customs bearer token")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the node's whole answer as JSON.")] = False,
) -> None:
    """Submit a certificate to its exporting node, which adds the issuing entity and the official's signature.

    Exit 0 when taken, 1 when refused, 2 when the input is unusable or the node unreachable.
    """
    import httpx

    body = read_input(file)
    kind = "application/json" if body.lstrip().startswith(b"{") else "application/xml"
    try:
        answer = httpx.post(
            f"{node.rstrip('/')}/api/v1/certificates",
            content=body,
            headers={"authorization": f"Bearer {token}", "content-type": kind},
            timeout=60.0,
        )
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise fail(problem("config.invalid", f"cannot reach the node at {node}: {reason}")) from None
    try:
        data: Any = answer.json()
    except ValueError:
        data = None
    if as_json:
        echo_json(data if data is not None else {"http_status": answer.status_code, "body": answer.text})
    elif answer.is_success and isinstance(data, dict):
        typer.echo(
            f"{data.get('status', 'submitted')} {data.get('certificate_id', '?')}"
            f" sha256={data.get('sha256', '?')} status: {data.get('status_url', '?')}"
        )
    if not answer.is_success:
        problems = data.get("problems") if isinstance(data, dict) else None
        if not as_json:
            items = [
                Problem(
                    code=str(p.get("code", "")),
                    message=str(p.get("message", "")),
                    path=str(p.get("path", "")),
                )
                for p in problems or []
                if isinstance(p, dict)
            ] or [problem("config.invalid", f"the node answered HTTP {answer.status_code}")]
            for line in error_lines(items):
                typer.echo(line, err=True)
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
