"""Tests of ``singlewindow pki init``: output, exit codes, refusal to overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.pki import Federation

runner = CliRunner()


def test_init_writes_federation(tmp_path: Path) -> None:
    """``pki init`` writes a loadable federation and says where it is."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path / "f"), "--countries", "AR,BR"])
    assert result.exit_code == 0, result.output
    assert "trust list" in result.output
    assert Federation.load(tmp_path / "f").countries == ["AR", "BR"]


def test_init_ec(tmp_path: Path) -> None:
    """``--algorithm ec`` gives an EC federation."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path), "--countries", "UY", "--algorithm", "ec"])
    assert result.exit_code == 0, result.output
    assert isinstance(Federation.load(tmp_path).hub.private_key, ec.EllipticCurvePrivateKey)


@pytest.mark.parametrize("countries", ["AR,XX", "ARG", "AR,ar", ""])
def test_bad_country_codes_exit_2(tmp_path: Path, countries: str) -> None:
    """Invalid, non-ALADI, duplicate or empty country lists exit 2 and write nothing."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path / "f"), "--countries", countries])
    assert result.exit_code == 2
    assert not (tmp_path / "f").exists()


def test_country_codes_are_case_insensitive(tmp_path: Path) -> None:
    """``--countries ar,Br`` is read as AR and BR, like every other command reads country codes."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path / "f"), "--countries", "ar,Br"])
    assert result.exit_code == 0, result.output
    assert Federation.load(tmp_path / "f").countries == ["AR", "BR"]


def test_bad_algorithm_exit_2(tmp_path: Path) -> None:
    """An unknown algorithm exits 2."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path), "--countries", "AR", "--algorithm", "dsa"])
    assert result.exit_code == 2


def test_refuses_overwrite_without_force(tmp_path: Path) -> None:
    """A second init into the same directory exits 2 with a clear message; --force replaces it."""
    assert runner.invoke(app, ["pki", "init", str(tmp_path), "--countries", "AR"]).exit_code == 0
    before = (tmp_path / "AR" / "ca" / "root-ca.pem").read_bytes()
    refused = runner.invoke(app, ["pki", "init", str(tmp_path), "--countries", "AR"])
    assert refused.exit_code == 2
    assert "already holds a federation" in refused.output
    assert (tmp_path / "AR" / "ca" / "root-ca.pem").read_bytes() == before
    forced = runner.invoke(app, ["pki", "init", str(tmp_path), "--countries", "BR", "--force"])
    assert forced.exit_code == 0, forced.output
    assert Federation.load(tmp_path).countries == ["BR"]
