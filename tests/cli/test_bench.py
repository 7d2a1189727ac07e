"""``singlewindow bench``: it signs and fully verifies real documents, and refuses to measure nonsense."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.bench import run_bench
from singlewindow.cli import app


def test_bench_measures_signing_and_full_verification(aladi_dir: Path, tmp_path: Path) -> None:
    """A small run reports signing, full verification and the naive path, their rates and the ratio."""
    report = run_bench(documents=3, goods=2, schema_dirs=[aladi_dir], workdir=tmp_path)
    names = [m.name for m in report.measures]
    assert names == [
        "sign (exporter + official)",
        "verify_document (full)",
        "naive (lxml parse + XSD + signxml x2)",
    ]
    assert all(m.count == 3 and m.per_second > 0 and m.p95_ms >= m.p50_ms > 0 for m in report.measures)
    assert report.document_bytes > 1000
    assert report.verify_per_s == report.measures[1].per_second
    assert report.naive_verify_per_s == report.measures[2].per_second
    assert report.speedup == round(report.verify_per_s / report.naive_verify_per_s, 2)


def test_bench_cli_writes_json(aladi_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench --json FILE` exits 0, prints both rates and the ratio, and writes them as JSON."""
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["bench", "--documents", "2", "--goods", "1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "naive path" in result.output and "faster" in result.output
    data = json.loads(out.read_text())
    assert [m["count"] for m in data["measures"]] == [2, 2, 2]
    assert data["verify_per_s"] > 0 and data["naive_verify_per_s"] > 0 and data["speedup"] > 0


def test_bench_without_official_schemas_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the official XSDs nothing verifies: bench says so and exits 2 instead of timing failures."""
    monkeypatch.delenv("SINGLEWINDOW_SCHEMA_DIRS", raising=False)
    result = CliRunner().invoke(app, ["bench", "--documents", "1"])
    assert result.exit_code == 2
    assert "SINGLEWINDOW_SCHEMA_DIRS" in result.output
