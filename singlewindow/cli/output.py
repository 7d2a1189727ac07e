"""What every command prints: consoles that never cut lines, one error format, shared argument checks."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from singlewindow.cod.schemas import ENV_SCHEMA_DIRS, default_schema_dirs
from singlewindow.errors import Problem, problem
from singlewindow.pki.countries import check_country_code

#: wide enough that no line a command prints is ever wrapped when the output is a file or a pipe
_PLAIN_WIDTH = 10_000


def console(*, stderr: bool = False) -> Console:
    """A rich console: styled on a terminal; plain, complete lines (no colour, no wrap) otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr, soft_wrap=True, highlight=False)
    return Console(
        stderr=stderr,
        width=_PLAIN_WIDTH,
        soft_wrap=True,
        no_color=True,
        color_system=None,
        highlight=False,
        emoji=False,
    )


def error_lines(problems: Iterable[Problem]) -> list[str]:
    """Each problem as ``error CODE message (path)``, on one line, without empty parts."""
    lines = []
    for item in problems:
        message = " ".join(item.message.split()) or "no details"
        where = f" ({item.path})" if item.path and item.path != "/" else ""
        lines.append(f"error {item.code} {message}{where}")
    return lines


def fail(problems: Iterable[Problem] | Problem, *, exit_code: int = 2, as_json: bool = False) -> typer.Exit:
    """Print problems in the one error format (or as JSON on stdout) and return the Exit to raise."""
    items = [problems] if isinstance(problems, Problem) else list(problems)
    if as_json:
        payload = {"valid": False, "problems": [p.model_dump() for p in items]}
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        for line in error_lines(items):
            typer.echo(line, err=True)
    return typer.Exit(exit_code)


def read_input(path: Path, *, as_json: bool = False) -> bytes:
    """The bytes of an input file; ``input.not_found`` / ``input.empty`` and exit 2 when unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail(problem("input.not_found", f"no such file: {path}"), as_json=as_json) from None
    except IsADirectoryError:
        raise fail(problem("input.not_found", f"{path} is a folder, not a file"), as_json=as_json) from None
    except OSError as exc:
        message = f"cannot read {path}: {exc.strerror or 'unreadable'}"
        raise fail(problem("input.not_found", message), as_json=as_json) from None
    if not data.strip():
        raise fail(problem("input.empty", f"{path} is empty"), as_json=as_json)
    return data


def country(value: str, *, option: str = "--country") -> str:
    """A country code as every command takes it: case-insensitive, an ALADI member; else exit 2."""
    try:
        return check_country_code(value.strip().upper())
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def countries(value: str, *, option: str = "--countries") -> list[str]:
    """A comma-separated list of country codes, each checked like :func:`country`, no duplicates."""
    codes = [country(part, option=option) for part in value.split(",") if part.strip()]
    if not codes:
        raise typer.BadParameter("at least one country is required, e.g. AR,BR,UY", param_hint=option)
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise typer.BadParameter(f"duplicate country codes: {', '.join(duplicates)}", param_hint=option)
    return codes


def schema_problem() -> Problem | None:
    """Why no official COD XSD is configured (``config.schemas_missing``), or None when some is."""
    raw = os.environ.get(ENV_SCHEMA_DIRS, "")
    dirs = [Path(part) for part in raw.split(os.pathsep) if part.strip()]
    hint = (
        f"set {ENV_SCHEMA_DIRS} to the folder of the official ALADI XSDs (cod_ver_*.xsd), "
        "e.g. export SINGLEWINDOW_SCHEMA_DIRS=../shared/standards/aladi-cod"
    )
    if not dirs:
        return problem("config.schemas_missing", f"{ENV_SCHEMA_DIRS} is not set: {hint}")
    if any(d.is_dir() and any(d.glob("cod_ver_*.xsd")) for d in dirs):
        return None
    missing = [str(d) for d in dirs if not d.is_dir()]
    empty = [str(d) for d in dirs if d.is_dir()]
    found = []
    if missing:
        found.append(f"no such folder: {', '.join(missing)}")
    if empty:
        found.append(f"no cod_ver_*.xsd in {', '.join(empty)}")
    return problem("config.schemas_missing", f"{ENV_SCHEMA_DIRS}={raw}: {'; '.join(found)}; {hint}")


def require_schemas(*, as_json: bool = False) -> list[Path]:
    """The schema folders to use; exit 2 naming SINGLEWINDOW_SCHEMA_DIRS when none holds a COD XSD."""
    found = schema_problem()
    if found is not None:
        raise fail(found, as_json=as_json)
    return default_schema_dirs()


def echo_json(data: Any) -> None:
    """Print ``data`` as one line of JSON (UTF-8 characters kept)."""
    typer.echo(json.dumps(data, ensure_ascii=False))


def require_federation(directory: Path) -> None:
    """Exit 2 (``input.not_found``) when ``directory`` holds no federation made by ``pki init``."""
    if not (directory / "trustlist.json").is_file():
        message = (
            f"no federation in {directory} (no trustlist.json): "
            f"create one with `singlewindow pki init {directory} --countries AR,BR,UY`"
        )
        raise fail(problem("input.not_found", message))
