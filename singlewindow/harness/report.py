"""The verdict of a simulated run: counts, latency percentiles, throughput, as a table and as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table


class Latency(BaseModel):
    """Delivery latency percentiles in milliseconds (submission answered → receipt seen)."""

    model_config = ConfigDict(frozen=True)

    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    max: float = 0.0


class FaultEvent(BaseModel):
    """A fault that the run actually applied, and when (seconds after the start)."""

    model_config = ConfigDict(frozen=True)

    at_s: float
    fault: str
    detail: str = ""


class Report(BaseModel):
    """What happened in one run; ``ok`` is false when anything was lost or duplicated."""

    model_config = ConfigDict(frozen=True)

    mode: str
    countries: list[str]
    certificates: int
    submitted: int
    accepted: int
    rejected: int
    rejected_by_code: dict[str, int] = Field(default_factory=dict)
    delivered: int
    failed: int = 0
    lost: int
    duplicates: int
    duplicate_submissions: int = 0
    latency_ms: Latency = Field(default_factory=Latency)
    throughput_per_s: float = 0.0
    duration_s: float = 0.0
    faults: list[FaultEvent] = Field(default_factory=list)
    #: what each service's fault proxy did: connections, failed (503), dropped answers, refused
    proxies: dict[str, dict[str, int]] = Field(default_factory=dict)
    lost_ids: list[str] = Field(default_factory=list)
    duplicate_ids: list[str] = Field(default_factory=list)
    #: whether traffic went through the harness's fault proxies (only when a fault needs them)
    proxied: bool = True
    #: the CODs were complete and signed before the clock started (routing alone was measured)
    presigned: bool = False
    #: open-loop arrivals per second asked for (None: closed loop, ``concurrency`` in flight)
    rate_per_s: float | None = None
    #: customs POST (from its scheduled time under a rate) → the exporting node's answer
    submit_latency_ms: Latency = Field(default_factory=Latency)
    #: open-loop sends that left more than 10 ms after their scheduled time
    late_sends: int = 0
    #: resident memory of each service (MB), sampled every ``rss_every_s`` seconds of the run
    rss_mb: dict[str, list[float]] = Field(default_factory=dict)
    rss_every_s: float = 0.0
    #: CPU seconds (user + system) each process used during the run: the services with
    #: ``--processes`` and the harness itself (not meaningful for a service a kill fault restarted)
    cpu_s: dict[str, float] = Field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        """Why the run failed, in plain words; empty when it passed.

        Every certificate the harness sends is legitimate, so a rejection is a failure too, and so
        is a run where the hub accepted nothing (e.g. no schemas configured): "nothing lost" would
        then be true of nothing.
        """
        reasons = []
        if self.accepted == 0:
            reasons.append("nothing was accepted")
        if self.rejected:
            codes = ", ".join(f"{code} ×{count}" for code, count in sorted(self.rejected_by_code.items()))
            reasons.append(f"{self.rejected} legitimate rejected" + (f" ({codes})" if codes else ""))
        if self.lost:
            reasons.append(f"{self.lost} lost")
        if self.duplicates:
            reasons.append(f"{self.duplicates} duplicated")
        return reasons

    @property
    def ok(self) -> bool:
        """True when certificates were accepted, none rejected, none lost and none stored twice."""
        return not self.failures

    def write_json(self, *, path: Path) -> None:
        """Write the report as JSON (UTF-8, indented) to ``path``."""
        data = self.model_dump(mode="json")
        data["ok"] = self.ok
        data["failures"] = self.failures
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def percentile(*, values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_of(*, samples_ms: Sequence[float]) -> Latency:
    """Summarise latency samples (milliseconds) as p50/p95/p99/max, rounded to 0.1 ms."""
    return Latency(
        p50=round(percentile(values=samples_ms, q=50), 1),
        p95=round(percentile(values=samples_ms, q=95), 1),
        p99=round(percentile(values=samples_ms, q=99), 1),
        max=round(max(samples_ms, default=0.0), 1),
    )


def render(*, report: Report, console: Console) -> None:
    """Print the report as human-readable tables, ending with the verdict line."""
    table = Table(title=f"simulated federation ({report.mode}): {', '.join(report.countries)}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in (
        ("submitted", report.submitted),
        ("accepted", report.accepted),
        ("rejected", report.rejected),
        ("delivered", report.delivered),
        ("failed (kept for replay)", report.failed),
        ("lost", report.lost),
        ("duplicates delivered", report.duplicates),
        ("duplicate submissions sent", report.duplicate_submissions),
        (
            "latency p50 / p95 / p99 (ms)",
            f"{report.latency_ms.p50} / {report.latency_ms.p95} / {report.latency_ms.p99}",
        ),
        ("throughput (certificates/s)", f"{report.throughput_per_s:.1f}"),
        ("duration (s)", f"{report.duration_s:.1f}"),
    ):
        table.add_row(name, str(value))
    if report.presigned or report.rate_per_s is not None:
        table.add_row("presigned (routing only)", "yes" if report.presigned else "no")
        table.add_row(
            "arrivals", f"{report.rate_per_s:g}/s open loop" if report.rate_per_s else "closed loop"
        )
        table.add_row(
            "submit p50 / p99 (ms)", f"{report.submit_latency_ms.p50} / {report.submit_latency_ms.p99}"
        )
        if report.rate_per_s:
            table.add_row("late sends (> 10 ms)", str(report.late_sends))
    console.print(table)
    if report.cpu_s and report.delivered:
        cpu = Table(title="CPU used during the run")
        for column in ("process", "CPU s", "ms per delivered certificate"):
            cpu.add_column(column, justify="right" if column != "process" else "left")
        for name, seconds in report.cpu_s.items():
            cpu.add_row(name, f"{seconds:.1f}", f"{seconds / report.delivered * 1000:.1f}")
        console.print(cpu)
    if report.rss_mb:
        memory = Table(title=f"resident memory, MB (sampled every {report.rss_every_s:g} s)")
        for column in ("service", "first", "after warm-up", "peak", "last"):
            memory.add_column(column, justify="right" if column != "service" else "left")
        for name, samples in report.rss_mb.items():
            if samples:
                warm = samples[len(samples) // 5]
                memory.add_row(
                    name, f"{samples[0]:.0f}", f"{warm:.0f}", f"{max(samples):.0f}", f"{samples[-1]:.0f}"
                )
        console.print(memory)
    if report.rejected_by_code:
        codes = Table(title="rejected by code")
        codes.add_column("code")
        codes.add_column("count", justify="right")
        for code, count in sorted(report.rejected_by_code.items()):
            codes.add_row(code, str(count))
        console.print(codes)
    if report.faults:
        events = Table(title="faults applied")
        for column in ("at (s)", "fault", "detail"):
            events.add_column(column)
        for event in report.faults:
            events.add_row(f"{event.at_s:.1f}", event.fault, event.detail)
        console.print(events)
    for label, ids in (("lost", report.lost_ids), ("duplicated", report.duplicate_ids)):
        if ids:
            console.print(f"[red]{label}:[/red] {', '.join(ids[:20])}{' …' if len(ids) > 20 else ''}")
    verdict = (
        f"[green]OK[/green]: {report.accepted} accepted, {report.delivered} delivered, "
        "none rejected, nothing lost, nothing duplicated"
    )
    if not report.ok:
        verdict = f"[red]FAIL[/red]: {'; '.join(report.failures)}"
    console.print(verdict)
