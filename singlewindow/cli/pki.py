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
from singlewindow.pki.issue import DEFAULT_HUB_URL, init_federation

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
        str,
        typer.Option(
            "--algorithm",
            help="Key algorithm of CAs, signers and the trust list: rsa (RSA 2048) or ec (P-256).",
        ),
    ] = "rsa",
    transport_algorithm: Annotated[
        str,
        typer.Option(
            "--transport-algorithm",
            help="Key algorithm of the hub's and nodes' own keys (requests, receipts): ec (P-256) or rsa.",
        ),
    ] = "ec",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing federation in DIR.")] = False,
    hub_url: Annotated[
        str,
        typer.Option(
            "--hub-url", help="The hub's public URL: CRL distribution points name its /api/v1/crls/CC."
        ),
    ] = DEFAULT_HUB_URL,
    node_signers: Annotated[
        bool,
        typer.Option(
            "--node-signers/--no-node-signers",
            help="Integration mode: give each node its own entity's official and exporter to sign with.",
        ),
    ] = True,
) -> None:
    """Generate one home per party in DIR: operator, hub, each country's CA, entity, exporter and node."""
    codes = parse_countries(countries)
    for value, hint in ((algorithm, "--algorithm"), (transport_algorithm, "--transport-algorithm")):
        if value not in ("rsa", "ec"):
            raise typer.BadParameter("expected 'rsa' or 'ec'", param_hint=hint)
    key_algorithm: Algorithm = "rsa" if algorithm == "rsa" else "ec"
    service_algorithm: Algorithm = "rsa" if transport_algorithm == "rsa" else "ec"
    try:
        federation = init_federation(
            directory,
            countries=codes,
            algorithm=key_algorithm,
            transport_algorithm=service_algorithm,
            overwrite=force,
            hub_url=hub_url,
            node_signers=node_signers,
        )
    except FileExistsError:
        message = f"{directory} already holds a federation (trustlist.json); use --force to replace it"
        raise fail(problem("config.invalid", message)) from None
    except OSError as exc:
        message = f"cannot write the federation to {directory}: {exc.strerror or 'not writable'}"
        raise fail(problem("config.invalid", message)) from None
    table = Table(title=f"federation in {federation.directory}", show_lines=False)
    table.add_column("what")
    table.add_column("where")
    table.add_row("trust list (signed)", str(federation.trustlist_path))
    table.add_row("trust anchors + CRLs", f"{federation.trust_dir}/")
    table.add_row("operator (offline)", f"{federation.directory / 'operator'}/")
    table.add_row("hub home", f"{federation.hub_home}/")
    for code in federation.countries:
        country = federation.country(code)
        table.add_row(
            f"{code} ({country.name})",
            f"{country.directory}/ (ca/, entities/001/, exporter/, node home node/)",
        )
    out = console()
    out.print(table)
    out.print(
        "Start each service with its own home only. Private keys (*.key) are mode 0600; never commit them."
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.add_typer(pki_app, name="pki")
