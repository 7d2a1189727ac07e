"""CLI commands: pki (generate a demo federation PKI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from singlewindow.cli.output import console, fail
from singlewindow.cli.output import countries as parse_countries
from singlewindow.errors import problem
from singlewindow.pki.files import Algorithm
from singlewindow.pki.issue import init_federation

pki_app = typer.Typer(name="pki", help="Federation PKI: demo CAs, certificates, CRLs and trust list.")


@pki_app.command("init")
def init(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write the federation (created if missing).")
    ],
    countries: Annotated[
        str, typer.Option("--countries", help="Comma-separated ALADI country codes, e.g. AR,BR,UY.")
    ],
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="Key algorithm: rsa (RSA 2048) or ec (P-256).")
    ] = "rsa",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing federation in DIR.")] = False,
) -> None:
    """Generate root CAs, CRLs, nodes, exporters, officials, a hub and trustlist.json in DIR."""
    codes = parse_countries(countries)
    if algorithm not in ("rsa", "ec"):
        raise typer.BadParameter("expected 'rsa' or 'ec'", param_hint="--algorithm")
    key_algorithm: Algorithm = "rsa" if algorithm == "rsa" else "ec"
    try:
        federation = init_federation(directory, countries=codes, algorithm=key_algorithm, overwrite=force)
    except FileExistsError:
        message = f"{directory} already holds a federation (trustlist.json); use --force to replace it"
        raise fail(problem("config.invalid", message)) from None
    except OSError as exc:
        message = f"cannot write the federation to {directory}: {exc.strerror or 'not writable'}"
        raise fail(problem("config.invalid", message)) from None
    table = Table(title=f"federation in {federation.directory}", show_lines=False)
    table.add_column("what")
    table.add_column("where")
    table.add_row("trust list", str(federation.trustlist_path))
    table.add_row("trust anchors + CRLs", f"{federation.trust_dir}/")
    table.add_row("hub", str(federation.hub.cert_path))
    for code in federation.countries:
        country = federation.country(code)
        table.add_row(
            f"{code} ({country.name})", f"{country.directory}/ (root CA, node, exporter, entity 001)"
        )
    out = console()
    out.print(table)
    out.print("Private keys (*.key) are mode 0600; never commit them.")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.add_typer(pki_app, name="pki")
