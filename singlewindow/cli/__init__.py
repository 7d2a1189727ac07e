"""The ``singlewindow`` command line: one typer app, one module per command group."""

from __future__ import annotations

import typer

from singlewindow.cli import bench, documents, harness, network, pki, up

app = typer.Typer(
    name="singlewindow",
    help="Signed ALADI certificates of origin: PKI, signing, verification, hub and country nodes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for _group in (pki, documents, network, up, harness, bench):
    _group.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
