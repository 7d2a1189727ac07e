"""CLI command ``bench``: measure signing and verification speed on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def bench(
    documents: Annotated[int, typer.Option(min=1, max=100_000, help="How many documents")] = 200,
    goods: Annotated[int, typer.Option(min=1, max=200, help="Goods items per document")] = 10,
    algorithm: Annotated[str, typer.Option(help="rsa-sha256 or ecdsa-sha256")] = "rsa-sha256",
    json_file: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON")] = None,
) -> None:
    """Sign and fully verify generated CODs on one core, beside the naive path; print rates and the ratio."""
    from singlewindow.bench import run_bench
    from singlewindow.cli.output import fail, require_schemas
    from singlewindow.errors import problem

    if algorithm not in ("rsa-sha256", "ecdsa-sha256"):
        raise fail(problem("input.invalid_argument", "--algorithm must be rsa-sha256 or ecdsa-sha256"))
    require_schemas()  # the sample documents are built from the official XSDs' layouts
    try:
        report = run_bench(documents=documents, goods=goods, algorithm=algorithm)
    except RuntimeError as exc:  # e.g. a configured folder whose XSDs do not load: nothing would verify
        raise fail(problem("config.schemas_missing", str(exc))) from None
    table = Table(
        title=f"{documents} documents, {goods} goods each, {report.document_bytes} bytes, {algorithm}"
    )
    for column in ("operation", "count", "seconds", "per second", "per CPU second", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for m in report.measures:
        table.add_row(
            m.name,
            str(m.count),
            f"{m.seconds:.2f}",
            f"{m.per_second:.0f}",
            f"{m.per_cpu_second:.0f}",
            f"{m.p50_ms}",
            f"{m.p95_ms}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"full verification {report.verify_per_s:.0f}/s, naive path {report.naive_verify_per_s:.0f}/s: "
        f"{report.speedup:.1f}x faster (same documents, same run; load average {report.load_average})"
    )
    if json_file is not None:
        json_file.write_text(json.dumps(report.as_dict(), indent=2) + "\n")


def register(app: typer.Typer) -> None:
    """Add ``bench`` to the main app."""
    app.command("bench")(bench)
