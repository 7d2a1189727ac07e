"""CLI command: simulate (a federation of simulated countries under traffic and faults)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from singlewindow.cli.output import console as make_console
from singlewindow.cli.output import fail, require_schemas
from singlewindow.errors import problem
from singlewindow.harness import SYNTAX, SpecError, parse_faults, render, simulate
from singlewindow.harness.assault import render_assault
from singlewindow.harness.federation import pick_countries
from singlewindow.harness.simulate import Progress as RunProgress
from singlewindow.harness.simulate import simulate_attacks
from singlewindow.harness.spec import check_targets


def simulate_command(
    countries: Annotated[int, typer.Option("--countries", help="How many countries (2-13).")] = 3,
    certificates: Annotated[int, typer.Option("--certificates", help="How many certificates to send.")] = 100,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Submissions in flight at once.")] = 16,
    faults: Annotated[
        str, typer.Option("--faults", help="Fault SPEC, e.g. kill:hub@50%,duplicate=10%.")
    ] = "",
    processes: Annotated[
        bool, typer.Option("--processes", help="Run hub and nodes as real processes (kill -9, SIGSTOP).")
    ] = False,
    database: Annotated[
        str | None,
        typer.Option("--database", help="PostgreSQL URL (one schema per service); SQLite if unset."),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the report as JSON here.")
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Keep PKI, databases and logs here (default: temporary).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the traffic and fault dice.")] = 0,
    drain: Annotated[
        float, typer.Option("--drain", help="Seconds to wait for deliveries to settle.")
    ] = 120.0,
    attacks: Annotated[
        bool, typer.Option("--attacks", help="Run the attack suite, --certificates legitimate alongside.")
    ] = False,
    presigned: Annotated[
        bool,
        typer.Option(
            "--presigned",
            help="Sign complete CODs before the clock starts and post them as issuing platforms do "
            "(measures routing alone).",
        ),
    ] = False,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            help="Open-loop arrivals: R certificates per second, latency counted from each scheduled send.",
        ),
    ] = None,
) -> None:
    """Start N simulated countries, drive M certificates under faults, and print the verdict.

    Exit 0 when certificates were accepted and delivered with none rejected, lost or duplicated;
    1 otherwise; 2 for bad arguments or set-up (no schemas), refused before anything starts.
    """
    try:
        fault_list = parse_faults(faults)
        check_targets(fault_list, countries=pick_countries(count=countries))
    except SpecError as exc:
        raise fail(problem("config.invalid", str(exc).split("\n\n", 1)[0] + " (see --help)")) from None
    except ValueError as exc:
        raise fail(problem("config.invalid", str(exc))) from None
    if rate is not None and not rate > 0:
        raise fail(
            problem("config.invalid", f"--rate {rate:g}: give a positive number of certificates per second")
        )
    require_schemas()  # without the XSDs every certificate would be refused: refuse before starting
    console = make_console()
    if attacks:
        _attacks(countries=countries, certificates=certificates, processes=processes, database=database)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        sent = bar.add_task("submitted", total=certificates)
        done = bar.add_task("settled", total=certificates)

        def show(progress: RunProgress) -> None:
            bar.update(sent, completed=progress.submitted)
            bar.update(done, completed=progress.settled)

        try:
            report = simulate(
                countries=countries,
                certificates=certificates,
                concurrency=concurrency,
                faults=fault_list,
                processes=processes,
                database_url=database,
                workdir=workdir,
                seed=seed,
                drain_s=drain,
                on_progress=show,
                presigned=presigned,
                rate=rate,
            )
        except ValueError as exc:
            raise fail(problem("config.invalid", str(exc))) from None
    render(report=report, console=console)
    if json_file is not None:
        report.write_json(path=json_file)
    raise typer.Exit(code=0 if report.ok else 1)


def _attacks(*, countries: int, certificates: int, processes: bool, database: str | None) -> None:
    console = make_console()
    try:
        with console.status("attacking the federation while legitimate traffic flows…"):
            report = simulate_attacks(
                countries=countries, legitimate=certificates, processes=processes, database_url=database
            )
    except ValueError as exc:
        raise fail(problem("config.invalid", str(exc))) from None
    render_assault(report=report, console=console)
    raise typer.Exit(code=0 if report.ok else 1)


simulate_command.__doc__ = (simulate_command.__doc__ or "") + "\n\nFault SPEC:\n\n" + SYNTAX


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the main app."""
    app.command("simulate")(simulate_command)
