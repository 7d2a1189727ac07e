"""CLI command ``up``: start the demo federation on loopback and send one certificate end to end."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

_console = Console()


def _show_status(status: dict[str, Any]) -> None:
    table = Table(title=f"Certificate {status.get('certificate_id', '?')}: {status.get('status', '?')}")
    table.add_column("when (UTC)")
    table.add_column("state")
    table.add_column("detail")
    for event in status.get("trail", []):
        table.add_row(str(event.get("at", "")), str(event.get("status", "")), str(event.get("detail") or ""))
    _console.print(table)
    receipt = status.get("receipt")
    if receipt:
        _console.print(f"signed receipt: {receipt}")
    for item in status.get("problems", []) or []:
        _console.print(f"[red]{item.get('code')}[/] {item.get('message')} ({item.get('path', '')})")


def up(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the PKI, databases, logs and federation.json live")
    ] = Path(".federation"),
    countries: Annotated[str, typer.Option(help="Comma-separated member countries")] = "AR,BR,UY",
    demo: Annotated[bool, typer.Option(help="Send one certificate from the first to the second")] = True,
) -> None:
    """Start the hub and one node per country as processes on loopback; run until Ctrl-C."""
    from singlewindow.demo import LocalFederation

    codes = tuple(code.strip().upper() for code in countries.split(",") if code.strip())
    if len(codes) < 2:
        typer.echo("error: --countries needs at least two members, e.g. AR,BR,UY", err=True)
        raise typer.Exit(code=2)
    federation = LocalFederation(directory=directory.resolve(), countries=codes)
    if not federation.schema_dirs:
        _console.print(
            "[yellow]warning:[/] SINGLEWINDOW_SCHEMA_DIRS is not set: without the official ALADI XSDs "
            "every certificate is refused with schema.unknown_version (make run sets it)."
        )
    try:
        created = federation.prepare()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    _console.print(f"PKI {'generated' if created else 'reused'} in {federation.pki}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        federation.start(on_started=lambda name, url: _console.print(f"  started {name:<4} {url}"))
        _console.print(f"federation.json (URLs and tokens): {federation.federation_file}")
        if demo:
            exporter, importer = codes[0], codes[1]
            _console.print(f"\nSending a demo certificate {exporter} → {importer} …")
            status = federation.send_demo_certificate(exporter=exporter, importer=importer)
            _show_status(status)
            certificate_id = status.get("certificate_id", "")
            _console.print(
                f"\nVerify it as an official of {importer}: "
                f"{federation.urls[importer]}/verify?certificate_id={certificate_id}\n"
                f"  (sign in with the official token of {importer} from federation.json)"
            )
        _console.print(
            f"OpenAPI docs: hub {federation.urls['hub']}/docs · "
            + " · ".join(f"{code} {federation.urls[code]}/docs" for code in codes)
        )
        _console.print(f"Logs: {federation.directory}/*.log — press Ctrl-C to stop.")
        while not stop.wait(0.5):
            for name, service in federation.services.items():
                if service.process is not None and service.process.poll() is not None:
                    _console.print(f"[red]{name} exited with {service.process.returncode}[/]; stopping")
                    stop.set()
    finally:
        _console.print("stopping …")
        federation.stop()
        _console.print("stopped.")


def register(app: typer.Typer) -> None:
    """Add ``up`` to the main app."""
    app.command("up")(up)
