"""What every command prints: one error format, plain complete lines, --version, readable answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.pki import Federation

runner = CliRunner()


def test_version_prints_the_installed_version() -> None:
    """``singlewindow --version`` prints ``singlewindow X.Y.Z`` and exits 0."""
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("singlewindow ") and result.output.strip().split()[1][0].isdigit()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["verify"], "error input.invalid_argument Missing argument 'FILE'."),
        (
            ["verify", "x.xml", "--trust", "t", "--nope"],
            "error input.invalid_argument No such option: --nope",
        ),
        (
            ["pki", "init", "d", "--countries", "AR,ZZ"],
            "error input.invalid_argument Invalid value for --countries",
        ),
        (["node", "serve", "--country", "zz"], "error input.invalid_argument Invalid value for --country"),
        (
            ["sign", "f.json", "--pki", "p", "--country", "XX"],
            "error input.invalid_argument Invalid value for --country",
        ),
    ],
)
def test_usage_errors_use_the_one_error_format(argv: list[str], expected: str) -> None:
    """A bad command line answers ``error input.invalid_argument …`` on one line (no box), exit 2."""
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert result.output.startswith(expected)
    assert "╭" not in result.output and len(result.output.strip().splitlines()) == 1


def test_help_shows_flags_without_bool_placeholders() -> None:
    """Flags such as --json and --force appear bare in --help, never as ``<bool>``."""
    for argv in (["verify", "--help"], ["pki", "init", "--help"], ["simulate", "--help"], ["up", "--help"]):
        result = runner.invoke(app, argv)
        assert result.exit_code == 0
        assert "<bool>" not in result.output, argv


def test_output_to_a_file_is_never_cut_at_80_columns(tmp_path: Path) -> None:
    """Piped output keeps long paths on one line, without box-drawing wrap or colour codes."""
    deep = tmp_path / ("a-very-long-folder-name-for-the-federation-" * 3) / "pki"
    result = runner.invoke(app, ["pki", "init", str(deep), "--countries", "ar,br"])
    assert result.exit_code == 0, result.output
    assert any(str(deep / "trustlist.json") in line for line in result.output.splitlines())
    assert "\x1b[" not in result.output


def test_hub_replay_reads_make_runs_folder(federation: Federation, tmp_path: Path) -> None:
    """``hub replay N --dir FOLDER`` uses FOLDER/hub.db and FOLDER/pki; no such failed delivery is exit 1."""
    from singlewindow.storage import make_engine, migrate

    folder = tmp_path / "fed"
    folder.mkdir()
    (folder / "pki").symlink_to(federation.directory)
    missing = runner.invoke(app, ["hub", "replay", "7", "--dir", str(folder)])
    assert missing.exit_code == 2 and missing.output.startswith("error config.invalid no hub database in")
    engine = make_engine(url=f"sqlite:///{folder / 'hub.db'}", schema=None)
    migrate(engine=engine)
    engine.dispose()
    result = runner.invoke(app, ["hub", "replay", "7", "--dir", str(folder)])
    assert result.exit_code == 1
    assert result.output.startswith("error delivery.not_found no failed delivery 7 in this hub")


def test_settings_errors_name_the_option_not_a_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``hub replay`` without a home or PKI names --home, --pki and their variables, never ``HubSettings``."""
    monkeypatch.delenv("SINGLEWINDOW_HUB_PKI", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["hub", "replay", "7"])
    assert result.exit_code == 2
    assert "HubSettings" not in result.output
    assert "(--home or SINGLEWINDOW_HUB_HOME)" in result.output
    assert "(--pki or SINGLEWINDOW_HUB_PKI)" in result.output


def _answer(status: int, body: dict[str, Any]) -> Any:
    def post(url: str, **_: Any) -> httpx.Response:
        return httpx.Response(status, json=body, request=httpx.Request("POST", url))

    return post


def test_submit_prints_one_readable_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A taken submission prints status, CertificateID, sha256 and the status URL on one line, exit 0."""
    body = {
        "certificate_id": "AR001A18260000430100",
        "status": "accepted",
        "sha256": "ab" * 32,
        "status_url": "http://127.0.0.1:8701/api/v1/certificates/AR001A18260000430100",
    }
    monkeypatch.setattr(httpx, "post", _answer(202, body))
    source = tmp_path / "fields.json"
    source.write_text("{}")
    result = runner.invoke(app, ["submit", str(source), "--node", "http://node", "--token", "t"])
    assert result.exit_code == 0
    assert result.output == (
        f"accepted AR001A18260000430100 sha256={'ab' * 32} status: {body['status_url']}\n"
    )
    as_json = runner.invoke(app, ["submit", str(source), "--node", "http://node", "--token", "t", "--json"])
    assert json.loads(as_json.output) == body


def test_submit_refusal_lists_problems_in_the_error_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused submission prints each problem as ``error CODE message (path)``, exit 1."""
    problems = [{"code": "schema.invalid", "message": "line 3: bad", "path": "/Envelope"}]
    monkeypatch.setattr(httpx, "post", _answer(422, {"problems": problems}))
    source = tmp_path / "fields.json"
    source.write_text("{}")
    result = runner.invoke(app, ["submit", str(source), "--node", "http://node", "--token", "t"])
    assert result.exit_code == 1
    assert result.output == "error schema.invalid line 3: bad (/Envelope)\n"


def test_submit_of_a_missing_file_is_input_not_found(tmp_path: Path) -> None:
    """``submit`` of a file that does not exist is ``error input.not_found``, exit 2, nothing sent."""
    result = runner.invoke(
        app, ["submit", str(tmp_path / "none.json"), "--node", "http://node", "--token", "t"]
    )
    assert result.exit_code == 2 and result.output.startswith("error input.not_found")
