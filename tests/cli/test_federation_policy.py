"""`singlewindow federation country policy`: what a member accepts and its SHA-1 sunset, signed sequence+1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.pki import Federation

runner = CliRunner()


@pytest.fixture
def pki(federation: Federation, tmp_path: Path) -> Path:
    """A copy of the session's PKI directory (no hub running: the command only signs and writes)."""
    return Path(shutil.copytree(federation.directory, tmp_path / "pki"))


def _trustlist(pki: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads((pki / "trustlist.json").read_text())["trustlist"]
    return document


def test_policy_signs_a_newer_trust_list_with_the_members_policy(pki: Path) -> None:
    """--accepts and --sha1-until land in BR's entry of a trust list one sequence newer."""
    before = _trustlist(pki)
    result = runner.invoke(
        app,
        [
            "federation",
            "country",
            "policy",
            "--dir",
            str(pki),
            "--country",
            "br",
            "--accepts",
            "4.1.0,2.0.0",
            "--sha1-until",
            "2027-06-30",
        ],
    )
    assert result.exit_code == 0, result.output
    after = _trustlist(pki)
    assert after["sequence"] == int(str(before["sequence"])) + 1
    entry = after["countries"]["BR"]  # type: ignore[index]
    assert entry["cod_versions"] == ["2.0.0", "4.1.0"] and entry["sha1_until"] == "2027-06-30"
    again = runner.invoke(
        app,
        [
            "federation",
            "country",
            "policy",
            "--dir",
            str(pki),
            "--country",
            "BR",
            "--accepts",
            "all",
            "--no-sha1",
        ],
    )
    assert again.exit_code == 0, again.output
    entry = _trustlist(pki)["countries"]["BR"]  # type: ignore[index]
    assert entry["cod_versions"] is None and entry["sha1_until"] is None


@pytest.mark.parametrize(
    "flags",
    [
        ["--accepts", "4.1"],
        ["--sha1-until", "30/06/2027"],
        ["--forms", "A18"],
        [],
        ["--sha1-until", "2027-06-30", "--no-sha1"],
    ],
    ids=["bad-version", "bad-date", "bad-form", "nothing", "both"],
)
def test_bad_policy_input_is_refused_and_changes_nothing(pki: Path, flags: list[str]) -> None:
    """A malformed CODVer, date or form, or no change: a clear error, the trust list as it was."""
    before = (pki / "trustlist.json").read_bytes()
    result = runner.invoke(
        app, ["federation", "country", "policy", "--dir", str(pki), "--country", "BR", *flags]
    )
    assert result.exit_code != 0 and "config.invalid" in result.output
    assert (pki / "trustlist.json").read_bytes() == before


def _official(pki: Path, action: str, *extra: str) -> None:
    certificate = pki / "AR" / "entities" / "001" / "official-active.pem"
    argv = ["federation", "official", action, "--dir", str(pki), "--country", "AR"]
    result = runner.invoke(app, [*argv, "--certificate", str(certificate), *extra])
    assert result.exit_code == 0, result.output


def test_each_change_is_journalled_with_its_reason(pki: Path) -> None:
    """disable/enable/revoke journal the certificate, the new sequence and the reason given."""
    start = int(str(_trustlist(pki)["sequence"]))
    _official(pki, "disable", "--reason", "on leave until March")
    _official(pki, "enable")
    _official(pki, "revoke", "--reason", "superseded")
    journal = [json.loads(line) for line in (pki / "operator" / "journal.jsonl").read_text().splitlines()]
    assert [(entry["action"], entry["sequence"]) for entry in journal] == [
        ("official.disable", start + 1),
        ("official.enable", start + 2),
        ("official.revoke", start + 3),
    ]
    assert journal[0]["reason"] == "on leave until March" and "reason" not in journal[1]
    assert journal[2]["reason"] == "superseded"  # the RFC 5280 reason the CRL carries
    assert {entry["country"] for entry in journal} == {"AR"}
    assert journal[0]["serial_number"] == journal[2]["serial_number"]
    assert "AR" in str(journal[0]["subject"]) and journal[0]["hub"].startswith("no running hub")


def test_a_refused_change_is_not_journalled(pki: Path) -> None:
    """An unknown revocation reason changes nothing: no new trust list, no journal line."""
    before = _trustlist(pki)["sequence"]
    certificate = pki / "AR" / "entities" / "001" / "official-active.pem"
    argv = ["federation", "official", "revoke", "--dir", str(pki), "--country", "AR"]
    result = runner.invoke(app, [*argv, "--certificate", str(certificate), "--reason", "bored"])
    assert result.exit_code != 0 and "unknown revocation reason" in result.output
    assert _trustlist(pki)["sequence"] == before
    assert not (pki / "operator" / "journal.jsonl").exists()
