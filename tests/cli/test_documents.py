"""The ``sign`` and ``verify`` commands: output files, exit codes 0/1/2 and JSON output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.cod import sample_certificate, to_bytes
from singlewindow.cod.samples import demo_official
from singlewindow.pki import Federation
from singlewindow.xmlsec import parse_xml, serialize, sign_exporter

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, aladi_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current directory, with the official XSDs configured for verification."""
    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", str(aladi_dir))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _request() -> bytes:
    cert = sample_certificate()
    return cert.model_copy(update={"eh": None, "certification": None}).model_dump_json().encode()


def _sign(federation: Federation, source: Path, *extra: str) -> Path:
    result = runner.invoke(
        app, ["sign", str(source), "--pki", str(federation.directory), "--country", "AR", *extra]
    )
    assert result.exit_code == 0, result.output
    written = re.search(r"-> (\S+)", result.output)
    assert written is not None
    return Path(written.group(1))


def test_sign_from_json_writes_certificate_id_file_that_verifies(
    federation: Federation, workdir: Path
) -> None:
    """``sign`` on JSON fields writes ./<CertificateID>.xml, and ``verify`` accepts it with exit 0."""
    source = workdir / "fields.json"
    source.write_bytes(_request())
    target = _sign(federation, source)
    certificate_id = parse_xml(target.read_bytes()).findtext(".//CertificationEH/CertificateID")
    assert target == workdir / f"{certificate_id}.xml"
    result = runner.invoke(app, ["verify", str(target), "--trust", str(federation.trust_dir)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and demo_official("AR") in result.output


def test_sign_from_request_xml(federation: Federation, workdir: Path) -> None:
    """``sign`` on a stage-1 COD request adds both signatures and writes where ``--out`` says."""
    source = workdir / "request.xml"
    source.write_bytes(to_bytes(sample_certificate(), stage="request"))
    target = _sign(federation, source, "--out", str(workdir / "out.xml"), "--algorithm", "rsa-sha256")
    assert target == workdir / "out.xml"
    assert target.read_bytes().count(b"<ds:Signature ") == 2
    result = runner.invoke(app, ["verify", str(target), "--trust", str(federation.trust_dir), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["valid"] is True


def test_sign_refuses_an_algorithm_the_keys_cannot_make(federation: Federation, workdir: Path) -> None:
    """Asking for ECDSA with the RSA federation's keys exits 2 and writes nothing."""
    source = workdir / "fields.json"
    source.write_bytes(_request())
    argv = [
        "sign",
        str(source),
        "--pki",
        str(federation.directory),
        "--country",
        "AR",
        "--algorithm",
        "ecdsa-sha256",
    ]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert list(workdir.glob("AR*.xml")) == []


def test_sign_keeps_the_exporter_signature_byte_for_byte(federation: Federation, workdir: Path) -> None:
    """``sign`` on an exporter-signed COD keeps its signature bytes and adds only the official's."""
    ar = federation.country("AR")
    root = parse_xml(to_bytes(sample_certificate(), stage="request"))
    sign_exporter(root, key=ar.exporter.private_key, certificate=ar.exporter.certificate)
    stage2 = serialize(root)
    exporter_signature = etree.tostring(
        root.find(".//CODExporter/{http://www.w3.org/2000/09/xmldsig#}Signature")
    )
    source = workdir / "stage2.xml"
    source.write_bytes(stage2)
    data = _sign(federation, source, "--out", "complete.xml").read_bytes()
    assert exporter_signature.split(b">", 1)[1] in data
    cod = stage2[stage2.index(b"<COD ") : stage2.index(b"</CODExporter>")]
    assert cod in data


def test_verify_tampered_exits_1_with_json_report(federation: Federation, workdir: Path) -> None:
    """A tampered COD exits 1; ``--json`` prints the full report with its problems."""
    source = workdir / "fields.json"
    source.write_bytes(_request())
    target = _sign(federation, source)
    target.write_bytes(target.read_bytes().replace(b"<EHName>", b"<EHName>Falsa ", 1))
    result = runner.invoke(
        app,
        [
            "verify",
            str(target),
            "--trust",
            str(federation.trust_dir),
            "--registry",
            str(federation.trustlist_path),
            "--json",
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["valid"] is False and report["signers"][1]["registry_code"] == "00"
    assert {p["code"] for p in report["problems"]} == {"signature.digest_mismatch"}
    human = runner.invoke(app, ["verify", str(target), "--trust", str(federation.trust_dir)])
    assert human.exit_code == 1 and "INVALID" in human.output and "signature.digest_mismatch" in human.output


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (None, "input.not_found"),
        (b"", "input.empty"),
        (b"not xml", "input.not_xml"),
        (b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>', "input.entity_forbidden"),
    ],
)
def test_verify_unusable_input_exits_2(
    content: bytes | None, code: str, federation: Federation, workdir: Path
) -> None:
    """A missing or empty file, non-XML and unsafe XML exit 2 with ``{"valid": false, "problems": [...]}``."""
    target = workdir / "input.xml"
    if content is not None:
        target.write_bytes(content)
    result = runner.invoke(app, ["verify", str(target), "--trust", str(federation.trust_dir), "--json"])
    assert result.exit_code == 2, result.output
    payload = json.loads(result.output)
    assert payload["valid"] is False and code in {p["code"] for p in payload["problems"]}


def test_verify_with_an_empty_trust_dir_exits_2(federation: Federation, workdir: Path) -> None:
    """An empty trust directory is a configuration error: exit 2."""
    source = workdir / "fields.json"
    source.write_bytes(_request())
    target = _sign(federation, source)
    empty = workdir / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["verify", str(target), "--trust", str(empty)])
    assert result.exit_code == 2
