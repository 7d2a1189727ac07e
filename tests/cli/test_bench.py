"""``singlewindow bench``: it signs and fully verifies real documents, and refuses to measure nonsense."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.bench import run_bench
from singlewindow.cli import app


def test_bench_measures_signing_and_full_verification(aladi_dir: Path, tmp_path: Path) -> None:
    """A small run reports both operations with their counts, rates and a document size."""
    report = run_bench(documents=3, goods=2, schema_dirs=[aladi_dir], workdir=tmp_path)
    names = [m.name for m in report.measures]
    assert names == ["sign (exporter + official)", "verify_document (full)"]
    assert all(m.count == 3 and m.per_second > 0 and m.p95_ms >= m.p50_ms > 0 for m in report.measures)
    assert report.document_bytes > 1000


def test_bench_cli_writes_json(aladi_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench --json FILE` exits 0 and writes the same measures as JSON."""
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["bench", "--documents", "2", "--goods", "1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [m["count"] for m in data["measures"]] == [2, 2]


def test_bench_without_official_schemas_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the official XSDs nothing verifies: bench says so and exits 2 instead of timing failures."""
    monkeypatch.delenv("SINGLEWINDOW_SCHEMA_DIRS", raising=False)
    result = CliRunner().invoke(app, ["bench", "--documents", "1"])
    assert result.exit_code == 2
    assert "SINGLEWINDOW_SCHEMA_DIRS" in result.output
