"""Tests of ``singlewindow pki init``: output, exit codes, refusal to overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
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
    """``--algorithm ec`` gives P-256 document keys too."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path), "--countries", "UY", "--algorithm", "ec"])
    assert result.exit_code == 0, result.output
    uy = Federation.load(tmp_path).country("UY")
    assert isinstance(uy.official.private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(uy.root_ca.public_key(), ec.EllipticCurvePublicKey)


def test_documents_are_rsa_and_transport_keys_p256_by_default(tmp_path: Path) -> None:
    """Officials and exporters sign CODs with RSA 2048; the hub and nodes sign requests with P-256."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path), "--countries", "UY"])
    assert result.exit_code == 0, result.output
    federation = Federation.load(tmp_path)
    uy = federation.country("UY")
    assert isinstance(uy.official.private_key, rsa.RSAPrivateKey)
    assert isinstance(uy.exporter.private_key, rsa.RSAPrivateKey)
    assert isinstance(uy.node.private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(federation.hub.private_key, ec.EllipticCurvePrivateKey)


def test_transport_algorithm_rsa_gives_rsa_hub_and_node_keys(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["pki", "init", str(tmp_path), "--countries", "UY", "--transport-algorithm", "rsa"]
    )
    assert result.exit_code == 0, result.output
    federation = Federation.load(tmp_path)
    assert isinstance(federation.hub.private_key, rsa.RSAPrivateKey)
    assert isinstance(federation.country("UY").node.private_key, rsa.RSAPrivateKey)


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


@pytest.mark.parametrize("option", ["--algorithm", "--transport-algorithm"])
def test_bad_algorithm_exit_2(tmp_path: Path, option: str) -> None:
    """An unknown algorithm exits 2 and writes nothing."""
    result = runner.invoke(app, ["pki", "init", str(tmp_path / "f"), "--countries", "AR", option, "dsa"])
    assert result.exit_code == 2
    assert not (tmp_path / "f").exists()


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
