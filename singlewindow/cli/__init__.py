"""The ``singlewindow`` command line: one typer app, one module per command group."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from singlewindow.cli import bench, documents, federation, harness, network, pki, up
from singlewindow.cli.output import error_lines
from singlewindow.errors import problem

# typer vendors click privately; its exception base is reached through the public BadParameter
_ClickException: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


class _PlainErrors(TyperGroup):
    """Usage errors in the one error format (``error input.invalid_argument …``), exit 2."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        if not standalone_mode:
            return super().main(*args, **kwargs)
        try:
            result = super().main(*args, **kwargs)
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        except _ClickException as exc:
            if type(exc).__name__ != "NoArgsIsHelpError":  # the help text was shown already
                ctx = getattr(exc, "ctx", None)
                command = ctx.command_path if ctx is not None else "singlewindow"
                message = f"{getattr(exc, 'format_message', exc.__str__)()} (see {command} --help)"
                for line in error_lines([problem("input.invalid_argument", message)]):
                    typer.echo(line, err=True)
            sys.exit(int(getattr(exc, "exit_code", 2)))
        sys.exit(result if isinstance(result, int) else 0)


def _version() -> str:
    try:
        return package_version("singlewindow")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"singlewindow {_version()}")
        raise typer.Exit(0)


app = typer.Typer(
    name="singlewindow",
    cls=_PlainErrors,
    help="Signed ALADI certificates of origin: PKI, signing, verification, hub and country nodes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # plain click help: no 80-column boxes when piped, and flags shown without a <bool> placeholder
    rich_markup_mode=None,
)


@app.callback()
def _root(
    _version_flag: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Signed ALADI certificates of origin: PKI, signing, verification, hub and country nodes."""


for _group in (pki, documents, network, up, harness, bench, federation):
    _group.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
