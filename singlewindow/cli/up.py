"""CLI command ``up``: start the demo federation on loopback and send one certificate end to end."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from singlewindow.cli.output import console, error_lines, fail, schema_problem
from singlewindow.cli.output import countries as countries_option
from singlewindow.demo import DEFAULT_BASE_PORT
from singlewindow.errors import Problem, problem


def _show_status(status: dict[str, Any], *, out: Console) -> None:
    trail = status.get("trail") or []
    if "certificate_id" in status or trail:
        table = Table(title=f"Certificate {status.get('certificate_id', '?')}: {status.get('status', '?')}")
        table.add_column("when (UTC)")
        table.add_column("state")
        table.add_column("detail")
        for event in trail:
            table.add_row(
                str(event.get("at", "")), str(event.get("status", "")), str(event.get("detail") or "")
            )
        out.print(table)
    else:  # refused before it had a CertificateID: say so instead of "Certificate ?" and an empty trail
        out.print(f"The demo certificate was refused (HTTP {status.get('http_status', '?')}):")
    receipt = status.get("receipt")
    if receipt:
        out.print(f"signed receipt: {escape(json.dumps(receipt, ensure_ascii=False))}")
    answer = status.get("answer")
    problems = status.get("problems") or (answer.get("problems") if isinstance(answer, dict) else None) or []
    for line in error_lines(
        Problem(code=str(p.get("code", "")), message=str(p.get("message", "")), path=str(p.get("path", "")))
        for p in problems
        if isinstance(p, dict)
    ):
        out.print(escape(line))


def up(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the PKI, databases, logs and federation.json live")
    ] = Path(".federation"),
    countries: Annotated[str, typer.Option(help="Comma-separated member countries")] = "AR,BR,UY",
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Send one certificate from the first to the second")
    ] = True,
    base_port: Annotated[
        int,
        typer.Option(
            "--base-port",
            envvar="SINGLEWINDOW_BASE_PORT",
            help="The hub's port; the nodes take the next ones in order (0: free ports)",
        ),
    ] = DEFAULT_BASE_PORT,
) -> None:
    """Start the hub and one node per country as processes on loopback; run until Ctrl-C."""
    from singlewindow.demo import LocalFederation

    codes = tuple(countries_option(countries))
    if len(codes) < 2:
        raise typer.BadParameter("needs at least two members, e.g. AR,BR,UY", param_hint="--countries")
    missing = schema_problem()
    if missing is not None:
        # Without the official XSDs every certificate would be refused: refuse to start instead.
        hint = (
            "make run reads them from ../shared/standards/aladi-cod: "
            "run make run STANDARDS=/path/to/standards"
        )
        raise fail(missing.model_copy(update={"message": f"{missing.message} ({hint})"}))
    federation = LocalFederation(directory=directory.resolve(), countries=codes)
    busy = federation.busy_ports(base_port=base_port)
    if busy:
        message = (
            f"port {', '.join(map(str, busy))} already in use on 127.0.0.1 (another `up` running?): "
            "stop it, or choose other ports with --base-port N (or SINGLEWINDOW_BASE_PORT)"
        )
        raise fail(problem("config.invalid", message))
    try:
        # the hub publishes the CRLs the certificates' distribution points name
        created = federation.prepare(hub_url=f"http://127.0.0.1:{base_port}" if base_port else None)
    except ValueError as exc:
        raise fail(problem("config.invalid", str(exc))) from None
    _console = console()
    _console.print(f"PKI {'generated' if created else 'reused'} in {federation.pki}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        federation.start(
            base_port=base_port, on_started=lambda name, url: _console.print(f"  started {name:<4} {url}")
        )
        _console.print(f"federation.json (URLs and tokens): {federation.federation_file}")
        if demo:
            exporter, importer = codes[0], codes[1]
            _console.print(f"\nSending a demo certificate {exporter} → {importer} …")
            status = federation.send_demo_certificate(exporter=exporter, importer=importer)
            _show_status(status, out=_console)
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
