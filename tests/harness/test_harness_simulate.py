"""Whole simulated federations: traffic under real faults ends with nothing lost and nothing duplicated."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.cli.harness import register
from singlewindow.harness import parse_faults, simulate

if not any(c.name == "simulate" for c in app.registered_commands):
    register(app)  # until singlewindow/cli/__init__.py lists the harness group

_POSTGRES = os.environ.get("SINGLEWINDOW_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def _schemas(aladi_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The services validate against the official XSDs (skips where the standards are absent)."""
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))


# An in-process kill stops the service's event loop at once (``ThreadService.kill``): a connection
# attempt anyio had created as the loop went away is never run, and Python reports its coroutine
# when it is collected. A killed process abandons its work the same way; nothing else is filtered.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <coroutine object connect_tcp.<locals>.try_connect"
    ":pytest.PytestUnraisableExceptionWarning"
)
def test_in_process_run_survives_proxy_faults_and_duplicates(tmp_path: Path) -> None:
    """Failing, dropping, slow and held proxies plus resubmissions still deliver everything exactly once."""
    report = simulate(
        countries=3,
        certificates=60,
        concurrency=8,
        faults=parse_faults(
            "fail:hub=10%,drop:BR=5%,slow:AR=30ms,pause:UY@30%~1s,kill:BR@50%~0.5s,duplicate=25%"
        ),
        workdir=tmp_path,
        seed=11,
        drain_s=60,
    )
    assert report.submitted == 60
    assert report.rejected == 0, report.rejected_by_code
    assert report.delivered == report.accepted == 60, report.lost_ids
    assert (report.lost, report.duplicates) == (0, 0)
    assert report.duplicate_submissions > 0
    assert report.proxies["hub"]["failed"] > 0
    assert [e.detail for e in report.faults if e.fault.startswith("kill")] == [
        "killed BR (server thread stopped)",
        "BR restarted and healthy",
    ]
    assert report.latency_ms.p50 > 0


@pytest.mark.slow
def test_soak_processes_with_a_node_and_the_hub_killed(tmp_path: Path) -> None:
    """5 countries × 1,000 as processes (PostgreSQL when configured), a node and the hub SIGKILLed: 0 lost."""
    report = simulate(
        countries=5,
        certificates=1000,
        concurrency=24,
        faults=parse_faults("kill:BR@30%,kill:hub@60%,duplicate=5%"),
        processes=True,
        database_url=_POSTGRES,
        workdir=tmp_path,
        seed=3,
        drain_s=150,
    )
    kills = [e.detail for e in report.faults if e.detail.startswith("killed")]
    assert len(kills) == 2 and all("SIGKILL pid" in k for k in kills)
    assert report.submitted == 1000
    assert report.rejected == 0, report.rejected_by_code
    assert report.delivered == 1000, report.lost_ids
    assert (report.lost, report.duplicates) == (0, 0), (report.lost_ids, report.duplicate_ids)


def test_cli_reports_and_writes_json(tmp_path: Path) -> None:
    """`singlewindow simulate` prints a plain verdict, writes the JSON keys and exits 0 when all arrived."""
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--countries",
            "2",
            "--certificates",
            "8",
            "--faults",
            "duplicate=50%",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "nothing lost, nothing duplicated" in result.output
    # no warnings of the services (session secret) and no colour codes in captured output
    assert "session_secret_unset" not in result.output and "\x1b[" not in result.output
    data = json.loads(out.read_text())
    assert data["ok"] is True and data["failures"] == []
    assert {"submitted", "accepted", "rejected", "delivered", "lost", "duplicates", "latency_ms"} <= set(data)
    assert set(data["latency_ms"]) >= {"p50", "p95", "p99"}
    assert data["delivered"] == 8


def test_cli_presigned_open_loop_run_routes_everything(tmp_path: Path) -> None:
    """`--presigned --rate` posts signed CODs on a schedule, unproxied; all delivered, new JSON keys."""
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            *("simulate", "--countries", "2", "--certificates", "10"),
            *("--presigned", "--rate", "20", "--seed", "4", "--json", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "20/s open loop" in result.output
    assert "presigned (routing only)" in result.output
    data = json.loads(out.read_text())
    assert (data["delivered"], data["lost"], data["rejected"]) == (10, 0, 0)
    assert data["presigned"] is True
    assert data["proxied"] is False
    assert data["rate_per_s"] == 20
    assert data["submit_latency_ms"]["p50"] > 0
    assert data["latency_ms"]["p99"] >= data["latency_ms"]["p50"] > 0
    assert isinstance(data["late_sends"], int)
    assert data["rss_mb"]["harness"] and data["rss_every_s"] > 0
    assert data["cpu_s"]["harness"] >= 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--countries", "14"], "between 2 and 13"),
        (["--faults", "explode:hub"], "unknown fault kind"),
        (["--attacks", "--countries", "2"], "at least 3 countries"),
        (["--rate", "0"], "positive number of certificates per second"),
    ],
)
def test_cli_refuses_bad_arguments_with_exit_2(args: list[str], message: str) -> None:
    """Too many countries, a bad SPEC or attacks on two countries exit 2 with the reason."""
    result = CliRunner().invoke(app, ["simulate", "--certificates", "1", *args])
    assert result.exit_code == 2
    assert message in result.output
