"""docker-compose.yml without Docker: service commands and environments are accepted by CLI and settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from singlewindow.cli import app
from singlewindow.config import HubSettings, NodeSettings, load_settings
from singlewindow.pki import Federation

ROOT = Path(__file__).resolve().parents[2]
_VAR = re.compile(r"\$\{(\w+)(?::\?[^}]*)?\}")
VALUES = {
    **{f"CUSTOMS_TOKEN_{c}": f"customs-{c}-" + "c" * 24 for c in ("AR", "BR", "UY")},
    **{f"OFFICIAL_TOKEN_{c}": f"official-{c}-" + "o" * 24 for c in ("AR", "BR", "UY")},
    "ALADI_XSD_DIR": "/standards",
}


def _compose() -> dict[str, Any]:
    text = _VAR.sub(lambda m: VALUES[m.group(1)], (ROOT / "docker-compose.yml").read_text())
    return dict(yaml.safe_load(text))


def _parse(argv: list[str]) -> None:
    """Resolve argv to a command and parse its options the way the real CLI would, without running it."""
    group: Any = typer.main.get_command(app)
    ctx = group.make_context("singlewindow", list(argv), resilient_parsing=False)
    while argv and hasattr(group, "get_command"):
        name, group, argv = group.resolve_command(ctx, argv)
        ctx = group.make_context(name, list(argv), parent=ctx)


@pytest.fixture
def services() -> dict[str, Any]:
    return dict(_compose()["services"])


def test_every_service_has_a_health_check_and_waits_for_healthy_dependencies(
    services: dict[str, Any],
) -> None:
    """Hub and nodes: health check, depends_on healthy; the hub waits for the database."""
    assert {"postgres", "hub", "node-ar", "node-br", "node-uy"} <= set(services)
    for name in ("postgres", "hub", "node-ar", "node-br", "node-uy"):
        assert services[name]["healthcheck"]["test"]
    for name in ("hub", "node-ar", "node-br", "node-uy"):
        conditions = {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}
        assert conditions["postgres"] == "service_healthy"
    assert services["node-ar"]["depends_on"]["hub"]["condition"] == "service_healthy"


def test_commands_and_environments_are_accepted(services: dict[str, Any], federation: Federation) -> None:
    """Every command parses with the real CLI; every environment builds valid settings."""
    for name in ("hub", "node-ar", "node-br", "node-uy"):
        service = services[name]
        _parse(service["command"])
        env = {key: str(value) for key, value in service["environment"].items()}
        homes = {"/home/hub": str(federation.hub_home)}
        if name != "hub":
            homes["/home/node"] = str(federation.country(name[-2:].upper()).node_home)
        env = {key: homes.get(value, value) for key, value in env.items()}
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            if name == "hub":
                settings: HubSettings | NodeSettings = load_settings(HubSettings)
            else:
                country = service["command"][service["command"].index("--country") + 1]
                settings = load_settings(NodeSettings, country=country)
        assert settings.url.startswith("postgresql+psycopg://")
        assert settings.port == 8000
    _parse(services["pki"]["command"][0].split("|| singlewindow ")[1].split(";")[0].split())


def test_each_service_mounts_only_its_own_home(services: dict[str, Any]) -> None:
    """Hub and nodes each mount one home volume of their own (plus the read-only XSDs), nothing shared."""
    mounted: dict[str, list[str]] = {}
    for name in ("hub", "node-ar", "node-br", "node-uy"):
        volumes = [str(v) for v in services[name]["volumes"] if not str(v).startswith("/standards")]
        homes = [v.split(":")[0] for v in volumes if ":/standards" not in v]
        assert len(homes) == 1, f"{name} mounts {homes}"
        mounted[name] = homes
    assert len({homes[0] for homes in mounted.values()}) == 4
    assert "operator" not in {homes[0] for homes in mounted.values()}


def test_each_node_has_its_own_tokens(services: dict[str, Any]) -> None:
    """No two nodes accept the same customs or official token."""
    tokens = [
        services[name]["environment"]["SINGLEWINDOW_NODE_TOKENS"]
        for name in ("node-ar", "node-br", "node-uy")
    ]
    assert len(set(tokens)) == 3
    assert all(f"customs-{c}" in t for c, t in zip(("AR", "BR", "UY"), tokens, strict=True))
