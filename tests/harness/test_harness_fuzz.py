"""Schemathesis against the live hub and node OpenAPI: no generated request makes a service fail (5xx)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from singlewindow.harness import SimulatedFederation
from singlewindow.harness.federation import HUB
from singlewindow.pki import Federation
from singlewindow.protocol.httpsig import sign_request

#: generated cases per operation (raise it with SINGLEWINDOW_FUZZ_EXAMPLES for a longer hunt)
_EXAMPLES = int(os.environ.get("SINGLEWINDOW_FUZZ_EXAMPLES", "30"))
#: operations that read a raw body; their OpenAPI must declare it so the fuzzer generates bodies
BODIES = {
    "POST /api/v1/certificates": {"application/json", "application/xml"},
    "POST /api/v1/certificates/{certificate_id}/cancel": {"application/json"},
    "POST /api/v1/verify": {"application/xml"},
    "POST /api/v1/inbound": {"application/xml"},
    "POST /api/v1/inbound/batch": {"application/json"},
    "POST /api/v1/outcomes": {"application/json"},
    "POST /api/v1/messages": {"application/xml"},
    "POST /api/v1/messages/batch": {"application/json"},
}


class _NodeSignature(requests.auth.AuthBase):
    """Signs each fuzzed request (RFC 9421) with a node's federation key, so the hub reads past auth."""

    def __init__(self, *, pki: Path, country: str) -> None:
        self.key = Federation.load(pki).country(country).node.private_key
        self.country = country

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        request.headers.update(
            sign_request(
                method=request.method or "GET",
                url=str(request.url),
                body=data,
                headers=dict(request.headers),
                key=self.key,
                keyid=self.country,
                # over the content type too where there is one (the batch form requires it)
                cover=("content-type",) if "content-type" in {k.lower() for k in request.headers} else (),
            )
        )
        return request


@pytest.fixture(scope="module")
def live(aladi_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedFederation]:
    """An in-process federation of two countries for the fuzzers."""
    federation = SimulatedFederation(
        countries=["AR", "BR"], workdir=tmp_path_factory.mktemp("fuzz"), schema_dirs=str(aladi_dir)
    )
    federation.start()
    yield federation
    federation.stop()


def _fuzz(
    *, schema_url: str, base_url: str, headers: dict[str, str], auth: requests.auth.AuthBase | None = None
) -> dict[str, list[int]]:
    """Run every operation's generated cases; return each fuzzed operation's answers.

    Operations with a declared body are also asserted to have been sent generated bodies.
    """
    schema = schemathesis.openapi.from_url(schema_url)
    answers: dict[str, list[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        calls, bodies = _fuzz_operation(operation, base_url=base_url, headers=headers, auth=auth)
        answers[operation.label] = calls
        if operation.label in BODIES:
            assert bodies, f"{operation.label}: no generated body was sent"
    assert sum(map(len, answers.values())) >= 2 * len(answers), (
        "the fuzzer must really have called the service"
    )
    return answers


def _fuzz_operation(
    operation: Any, *, base_url: str, headers: dict[str, str], auth: requests.auth.AuthBase | None
) -> tuple[list[int], list[object]]:
    """One operation's generated cases: the statuses answered and the bodies sent."""
    calls: list[int] = []
    bodies: list[object] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        response = case.call_and_validate(
            base_url=base_url, headers=headers, checks=[not_a_server_error], auth=auth
        )
        calls.append(response.status_code)
        if case.body is not None:
            bodies.append(case.body)

    run()
    return calls, bodies


def test_raw_body_operations_declare_their_request_bodies(live: SimulatedFederation) -> None:
    """/openapi.json of hub and node documents the body (and its media types) of every raw-body operation."""
    declared: dict[str, set[str]] = {}
    for name in (HUB, "AR"):
        spec = httpx.get(f"{live.direct_url(name)}/openapi.json").json()
        for path, methods in spec["paths"].items():
            for method, operation in methods.items():
                content = operation.get("requestBody", {}).get("content", {})
                if content:
                    declared[f"{method.upper()} {path}"] = set(content)
    assert declared == BODIES


@pytest.mark.parametrize("role", ["customs", "official"])
def test_node_api_never_answers_5xx(live: SimulatedFederation, role: str) -> None:
    """Whatever a customs system or an official sends to a node, the node answers without a server error."""
    base = live.direct_url("AR")
    answers = _fuzz(
        schema_url=f"{base}/openapi.json",
        base_url=base,
        headers={"authorization": f"Bearer {live.tokens[role]}"},
    )
    assert "POST /api/v1/certificates" in answers


def test_hub_api_never_answers_5xx(live: SimulatedFederation) -> None:
    """Whatever anyone sends to the hub, it answers without a server error."""
    base = live.direct_url(HUB)
    answers = _fuzz(schema_url=f"{base}/openapi.json", base_url=base, headers={})
    assert "POST /api/v1/messages" in answers


def test_hub_api_never_answers_5xx_to_a_signed_member(live: SimulatedFederation) -> None:
    """Generated bodies signed by a member node get past authentication and still never make the hub fail."""
    base = live.direct_url(HUB)
    answers = _fuzz(
        schema_url=f"{base}/openapi.json",
        base_url=base,
        headers={},
        auth=_NodeSignature(pki=live.pki_dir, country="AR"),
    )
    # the signature was accepted: generated bodies were judged as documents, not refused as unsigned
    assert set(answers["POST /api/v1/messages"]) - {401}
