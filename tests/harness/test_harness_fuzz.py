"""Schemathesis against the live hub and node OpenAPI: no generated request makes a service fail (5xx)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from singlewindow.harness import SimulatedFederation
from singlewindow.harness.federation import HUB


@pytest.fixture(scope="module")
def live(aladi_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedFederation]:
    """An in-process federation of two countries for the fuzzers."""
    federation = SimulatedFederation(
        countries=["AR", "BR"], workdir=tmp_path_factory.mktemp("fuzz"), schema_dirs=str(aladi_dir)
    )
    federation.start()
    yield federation
    federation.stop()


def _fuzz(*, schema_url: str, base_url: str, headers: dict[str, str]) -> list[str]:
    """Run every operation's generated cases; return the labels of the operations fuzzed."""
    schema = schemathesis.openapi.from_url(schema_url)
    labels: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            response = case.call_and_validate(base_url=base_url, headers=headers, checks=[not_a_server_error])
            calls.append(response.status_code)

        run()
    assert len(calls) >= 2 * len(labels), "the fuzzer must really have called the service"
    return labels


@pytest.mark.parametrize("role", ["customs", "official"])
def test_node_api_never_answers_5xx(live: SimulatedFederation, role: str) -> None:
    """Whatever a customs system or an official sends to a node, the node answers without a server error."""
    base = live.direct_url("AR")
    labels = _fuzz(
        schema_url=f"{base}/openapi.json",
        base_url=base,
        headers={"authorization": f"Bearer {live.tokens[role]}"},
    )
    assert "POST /api/v1/certificates" in labels


def test_hub_api_never_answers_5xx(live: SimulatedFederation) -> None:
    """Whatever anyone sends to the hub, it answers without a server error."""
    base = live.direct_url(HUB)
    labels = _fuzz(schema_url=f"{base}/openapi.json", base_url=base, headers={})
    assert "POST /api/v1/messages" in labels
