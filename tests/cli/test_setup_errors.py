"""Set-up errors never look like forgeries: no schemas, no standards, bad fault SPECs refuse with exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.cod import sample_certificate
from singlewindow.pki import Federation

runner = CliRunner()


@pytest.fixture(scope="module")
def signed(federation: Federation, aladi_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A genuine signed COD, made once for the module with the official XSDs configured."""
    folder = tmp_path_factory.mktemp("signed")
    fields = folder / "fields.json"
    cert = sample_certificate().model_copy(update={"eh": None, "certification": None})
    fields.write_text(cert.model_dump_json())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))
        argv = ["sign", str(fields), "--pki", str(federation.directory), "--country", "ar"]
        result = runner.invoke(app, [*argv, "--out", str(folder / "cod.xml")])
    assert result.exit_code == 0, result.output
    return folder / "cod.xml"


def _no_schemas(monkeypatch: pytest.MonkeyPatch, setting: str | None) -> None:
    if setting is None:
        monkeypatch.delenv("SINGLEWINDOW_SCHEMA_DIRS", raising=False)
    else:
        monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", setting)


@pytest.mark.parametrize("setting", [None, "/nonexistent/schemas", "EMPTY"])
def test_verify_without_schemas_is_a_setup_error_not_invalid(
    setting: str | None, signed: Path, federation: Federation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A genuine COD with no XSD configured (unset, missing or empty folder) exits 2 naming the variable."""
    if setting == "EMPTY":
        setting = str(tmp_path)
    _no_schemas(monkeypatch, setting)
    result = runner.invoke(app, ["verify", str(signed), "--trust", str(federation.trust_dir)])
    assert result.exit_code == 2
    assert "INVALID" not in result.output
    assert result.output.startswith("error config.schemas_missing ")
    assert "SINGLEWINDOW_SCHEMA_DIRS" in result.output
    as_json = runner.invoke(app, ["verify", str(signed), "--trust", str(federation.trust_dir), "--json"])
    assert as_json.exit_code == 2
    assert json.loads(as_json.output)["problems"][0]["code"] == "config.schemas_missing"


def test_sign_without_schemas_refuses_and_writes_nothing(
    federation: Federation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sign`` with no XSD configured exits 2 with the same hint and writes no file."""
    _no_schemas(monkeypatch, None)
    monkeypatch.chdir(tmp_path)
    fields = tmp_path / "fields.json"
    fields.write_text(sample_certificate().model_dump_json(exclude={"eh", "certification"}))
    result = runner.invoke(app, ["sign", str(fields), "--pki", str(federation.directory), "--country", "AR"])
    assert result.exit_code == 2
    assert "error config.schemas_missing" in result.output and "SINGLEWINDOW_SCHEMA_DIRS" in result.output
    assert list(tmp_path.glob("*.xml")) == []


def test_verify_without_registry_says_so_and_shows_the_trust_anchor(
    signed: Path, federation: Federation, aladi_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --registry: "registry not checked" in text, a skipped check in JSON; the anchor is shown."""
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))
    text = runner.invoke(app, ["verify", str(signed), "--trust", str(federation.trust_dir)])
    assert text.exit_code == 0, text.output
    assert "registry not checked" in text.output
    assert "trust anchor: CN=AR Root CA" in text.output
    data = json.loads(
        runner.invoke(app, ["verify", str(signed), "--trust", str(federation.trust_dir), "--json"]).output
    )
    (registry,) = [c for c in data["checks"] if c["name"] == "registry.official"]
    assert registry["skipped"] is True and registry["ok"] is None
    checked = runner.invoke(
        app,
        [
            "verify",
            str(signed),
            "--trust",
            str(federation.trust_dir),
            "--registry",
            str(federation.trustlist_path),
        ],
    )
    assert checked.exit_code == 0 and "registry not checked" not in checked.output
    assert "registry 00" in checked.output


def test_a_tampered_file_shows_its_claimed_certificate_id(
    signed: Path, federation: Federation, aladi_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tampered COD prints INVALID with "claimed: <CertificateID>, not signed", exit 1."""
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))
    data = signed.read_bytes()
    claimed = re.search(rb"<CertificateID>([^<]+)</CertificateID>", data)
    assert claimed is not None
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(data.replace(b"<EHName>", b"<EHName>Falsa ", 1))
    result = runner.invoke(app, ["verify", str(tampered), "--trust", str(federation.trust_dir)])
    assert result.exit_code == 1
    assert f"INVALID (claimed: {claimed.group(1).decode()}, not signed)" in result.output


def test_a_missing_file_is_input_not_found(federation: Federation, aladi_dir: Path, tmp_path: Path) -> None:
    """``verify`` and ``sign`` on a file that does not exist answer ``error input.not_found``, exit 2."""
    missing = tmp_path / "nothing.xml"
    for argv in (
        ["verify", str(missing), "--trust", str(federation.trust_dir)],
        ["sign", str(missing), "--pki", str(federation.directory), "--country", "AR"],
    ):
        result = runner.invoke(app, argv)
        assert result.exit_code == 2
        assert result.output.startswith(f"error input.not_found no such file: {missing}")


def test_up_refuses_to_start_without_the_official_xsds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``up`` with a schema folder holding no XSD exits 2 naming the folder and how to set it."""
    empty = tmp_path / "aladi-cod"
    empty.mkdir()
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(empty))
    result = runner.invoke(app, ["up", "--dir", str(tmp_path / "fed")])
    assert result.exit_code == 2
    assert "error config.schemas_missing" in result.output
    assert str(empty) in result.output and "STANDARDS=" in result.output
    assert not (tmp_path / "fed").exists()


@pytest.mark.parametrize("folder", ["none", "empty"])
def test_make_run_refuses_without_the_standards_folder(folder: str, tmp_path: Path) -> None:
    """``make run`` with STANDARDS at a missing or XSD-less folder refuses, naming it and STANDARDS."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    repo = Path(__file__).resolve().parents[2]
    (tmp_path / "empty" / "aladi-cod").mkdir(parents=True)
    answer = subprocess.run(
        ["make", "-s", "-C", str(repo), "standards", f"STANDARDS={tmp_path / folder}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode != 0
    assert f"{tmp_path / folder}/aladi-cod" in answer.stderr and "make run STANDARDS=" in answer.stderr


def test_simulate_refuses_a_fault_at_a_country_outside_the_run(tmp_path: Path) -> None:
    """``--faults kill:MX`` with 3 countries exits 2 before anything starts (no work folder written)."""
    work = tmp_path / "work"
    result = runner.invoke(
        app, ["simulate", "--countries", "3", "--faults", "kill:MX@50%", "--workdir", str(work)]
    )
    assert result.exit_code == 2
    assert result.output.startswith(
        "error config.invalid fault 'kill:MX@50%~1s': MX is not a country of this run"
    )
    assert not work.exists()


def test_simulate_without_schemas_refuses_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``simulate`` without XSDs exits 2 with the schema hint instead of reporting "nothing lost"."""
    _no_schemas(monkeypatch, None)
    work = tmp_path / "work"
    result = runner.invoke(
        app, ["simulate", "--countries", "2", "--certificates", "2", "--workdir", str(work)]
    )
    assert result.exit_code == 2
    assert "error config.schemas_missing" in result.output and "nothing lost" not in result.output
    assert not work.exists()
