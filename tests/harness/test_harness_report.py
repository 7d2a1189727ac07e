"""The run report: percentiles, the verdict and the JSON keys integrators read."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from singlewindow.harness import Report, render
from singlewindow.harness.report import latency_of, percentile


def _report(*, lost: int = 0, duplicates: int = 0, accepted: int = 10, rejected: int = 0) -> Report:
    return Report(
        mode="in-process",
        countries=["AR", "BR"],
        certificates=10,
        submitted=10,
        accepted=accepted,
        rejected=rejected,
        rejected_by_code={"schema.invalid": rejected} if rejected else {},
        delivered=accepted - lost,
        lost=lost,
        duplicates=duplicates,
        latency_ms=latency_of(samples_ms=[float(n) for n in range(1, 101)]),
    )


def test_percentile_is_nearest_rank() -> None:
    """p50/p95/p99 of 1..100 are 50/95/99, and no samples give 0."""
    values = [float(n) for n in range(100, 0, -1)]
    assert [percentile(values=values, q=q) for q in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile(values=[], q=50) == 0.0


def test_verdict_fails_on_loss_or_duplicates() -> None:
    """A report is ok only with zero lost and zero duplicated."""
    assert _report().ok
    assert not _report(lost=1).ok
    assert not _report(duplicates=1).ok


def test_verdict_fails_when_nothing_was_accepted_or_legitimate_ones_rejected() -> None:
    """Nothing accepted (e.g. no schemas) or a legitimate certificate rejected is a FAIL, with the reason."""
    empty = _report(accepted=0, rejected=10)
    assert not empty.ok
    assert empty.failures[0] == "nothing was accepted"
    assert "10 legitimate rejected (schema.invalid ×10)" in empty.failures
    assert not _report(accepted=9, rejected=1).ok


def test_json_has_the_documented_keys(tmp_path: Path) -> None:
    """The JSON file carries submitted … duplicates and latency_ms.p50/p95/p99, plus ok."""
    path = tmp_path / "report.json"
    _report(lost=2, accepted=9, rejected=1).write_json(path=path)
    data = json.loads(path.read_text())
    for key in ("submitted", "accepted", "rejected", "delivered", "lost", "duplicates"):
        assert isinstance(data[key], int), key
    assert data["latency_ms"]["p50"] == 50.0
    assert data["latency_ms"]["p99"] == 99.0
    assert data["rejected_by_code"] == {"schema.invalid": 1}
    assert data["ok"] is False


def test_render_prints_counts_codes_and_verdict() -> None:
    """The human report shows every measure, the rejection codes and a FAIL verdict when lost."""
    console = Console(record=True, width=120)
    render(report=_report(lost=1, accepted=9, rejected=1), console=console)
    text = console.export_text()
    assert "schema.invalid" in text
    assert "lost" in text
    assert "FAIL: 1 legitimate rejected (schema.invalid ×1); 1 lost" in text


def test_package_exports_are_complete() -> None:
    """``singlewindow.harness.__all__`` names every public name the package imports, and nothing else."""
    import singlewindow.harness as harness

    public = {name for name in vars(harness) if not name.startswith("_")} - {
        "annotations", "assault", "attacks", "audit", "driver", "faults", "federation", "ports", "proxy",
        "report", "serve", "services", "simulate", "spec", "traffic",
    }  # fmt: skip
    public |= {"assault", "simulate"}  # functions that share their module's name
    assert set(harness.__all__) == public
    assert len(harness.__all__) == len(set(harness.__all__))
