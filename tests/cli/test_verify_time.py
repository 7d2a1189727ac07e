"""Offline ``verify`` has no trusted time: it refuses dates in its future and says the time is claimed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.cod import sample_certificate, to_bytes
from singlewindow.pki import Federation
from singlewindow.verification import complete_and_sign

runner = CliRunner()


def _signed(federation: Federation, folder: Path, when: datetime) -> Path:
    cert = sample_certificate(number=41, when=when)
    target = folder / "cod.xml"
    target.write_bytes(
        complete_and_sign(to_bytes(cert, stage="request"), federation=federation, country="AR", now=when)
    )
    return target


@pytest.fixture
def schemas(aladi_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The official XSDs configured for verification."""
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))


@pytest.mark.usefixtures("schemas")
def test_verify_says_the_signing_time_is_claimed(federation: Federation, tmp_path: Path) -> None:
    """A genuine COD: VALID, and each signing time is shown as claimed by the signer."""
    target = _signed(federation, tmp_path, datetime.now(UTC) - timedelta(hours=1))
    result = runner.invoke(app, ["verify", str(target), "--trust", str(federation.trust_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.count("claimed by the signer") == 2


@pytest.mark.usefixtures("schemas")
def test_verify_refuses_a_certificate_dated_in_the_future(federation: Federation, tmp_path: Path) -> None:
    """Dated two days ahead: INVALID, exit 1, time.future."""
    target = _signed(federation, tmp_path, datetime.now(UTC) + timedelta(days=2))
    result = runner.invoke(app, ["verify", str(target), "--trust", str(federation.trust_dir)])
    assert result.exit_code == 1, result.output
    assert "INVALID" in result.output and "time.future" in result.output
