"""Every attack of the documents issue, sent by the legitimate AR node through the hub, is refused.

Each is refused with its own status and problem code, nothing is stored, nothing is queued, and
nothing reaches the importing node; afterwards the hub still accepts a legitimate document.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from attack_corpus import ATTACKS, FIFTY_MB, Attack, signed
from lxml import etree
from network.kit import BACKENDS, WHEN, Database, LocalFederation, Switch, throwaway_database
from parsing_guard import forbid_xml_parsing

from singlewindow.pki import Federation
from singlewindow.protocol import XML, SignatureAuth, sign_request
from singlewindow.protocol.edge import Verify

pytestmark = pytest.mark.anyio

MESSAGES = "/api/v1/messages"


class RecordingSwitch(Switch):
    """The test kit's in-process router, remembering the host of every request that crosses it."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Record the host, then dispatch as usual."""
        self.hosts.append(request.url.host)
        return await super().handle_async_request(request)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """One event loop for the module, so the federation below is built once per backend."""
    return "asyncio"


@pytest.fixture(scope="module", params=BACKENDS)
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """The module's database, on SQLite and (when configured) on PostgreSQL."""
    with throwaway_database(request.param, tmp_path_factory.mktemp("attacks")) as db:
        yield db


@pytest.fixture(scope="module")
async def fed(
    federation: Federation, module_database: Database, aladi_dir: Path, shared_verify: Verify
) -> AsyncIterator[LocalFederation]:
    """The hub with AR (sender) and BR (importer) in-process over a recording switch, once per backend.

    Shared by the module's tests: each attack is refused and leaves nothing behind (each test checks
    that), and the one test that stores a legitimate document runs last.
    """
    kit = LocalFederation(
        pki=federation,
        db=module_database,
        countries=["AR", "BR"],
        schema_dirs=str(aladi_dir),
        verify=shared_verify,
        switch=RecordingSwitch(),
    )
    async with kit.running() as running:
        yield running


Documents = Callable[[Attack], bytes]


@pytest.fixture(scope="session")
def legitimate(federation: Federation) -> tuple[bytes, str]:
    """The legitimate AR→BR COD every attack is made from, and its CertificateID."""
    data = signed(federation, WHEN)
    certificate_id = etree.fromstring(data).findtext(".//CertificationEH/CertificateID")
    assert certificate_id
    return data, certificate_id


@pytest.fixture(scope="session")
def documents(federation: Federation) -> Documents:
    """Each attack's bytes, built once per session (signing is the slow part)."""
    built: dict[str, bytes] = {}

    def get(attack: Attack) -> bytes:
        if attack.needs and shutil.which(attack.needs) is None:
            pytest.skip(f"{attack.needs} is not installed")
        if attack.name not in built:
            built[attack.name] = attack.build(federation, WHEN)
        return built[attack.name]

    return get


def _ar(fed: LocalFederation) -> SignatureAuth:
    return SignatureAuth(key=fed.pki.country("AR").node.private_key, keyid="AR")


async def _post(fed: LocalFederation, body: bytes) -> httpx.Response:
    async with fed.client("hub", role=None) as hub:
        return await hub.post(MESSAGES, content=body, headers={"content-type": XML}, auth=_ar(fed))


def _codes(answer: httpx.Response) -> list[str]:
    return [p["code"] for p in answer.json()["problems"]]


async def _assert_nothing_stored_or_forwarded(fed: LocalFederation, certificate_id: str) -> None:
    """No message row, nothing due for delivery, and a worker round sends nothing to any node."""
    assert sum(fed.hub.store.counts().values()) == 0
    assert fed.hub.store.by_certificate(certificate_id) is None
    switch = fed.switch
    assert isinstance(switch, RecordingSwitch)
    sent_before = len(switch.hosts)
    await fed.hub.worker.run_once()
    assert [host for host in switch.hosts[sent_before:] if host != "hub"] == []
    assert fed.node("BR").store.count_inbound() == 0


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
async def test_each_attack_is_refused_with_its_code_and_nothing_is_stored_or_forwarded(
    attack: Attack, fed: LocalFederation, documents: Documents, legitimate: tuple[bytes, str]
) -> None:
    """An attack document from the authenticated AR node gets its 4xx and code; nothing is stored or sent."""
    body = documents(attack)
    answer = await _post(fed, body)
    assert answer.status_code == attack.status, answer.text
    assert attack.code in _codes(answer), answer.text
    await _assert_nothing_stored_or_forwarded(fed, legitimate[1])


async def test_a_50_mb_body_is_refused_by_size_before_parsing(
    fed: LocalFederation, documents: Documents, legitimate: tuple[bytes, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed 50 MB request is answered 413 input.too_large before any XML parsing, nothing stored."""
    (attack,) = [a for a in ATTACKS if a.name == "fifty_mb_body"]
    body = documents(attack)
    async with fed.client("hub", role=None) as hub:
        request = hub.build_request("POST", MESSAGES, content=body, headers={"content-type": XML})
        request = next(_ar(fed).auth_flow(request))
        with monkeypatch.context() as patched:
            forbid_xml_parsing(patched)
            answer = await hub.send(request)
    assert answer.status_code == 413 and _codes(answer) == ["input.too_large"], answer.text
    await _assert_nothing_stored_or_forwarded(fed, legitimate[1])


async def test_a_50_mb_stream_without_declared_length_is_cut_off_at_the_limit(
    fed: LocalFederation, legitimate: tuple[bytes, str]
) -> None:
    """A signed 50 MB chunked body without Content-Length is refused 413 before the hub reads it all."""
    chunk = b"<" * (1024 * 1024)
    total = FIFTY_MB // len(chunk)
    url = f"http://hub{MESSAGES}"
    headers = sign_request(
        method="POST",
        url=url,
        body=chunk * total,
        headers={"content-type": XML},
        key=fed.pki.country("AR").node.private_key,
        keyid="AR",
        cover=(),
    )
    pulled = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(total):
            pulled += 1
            yield chunk

    async with fed.client("hub", role=None) as hub:
        answer = await hub.post(MESSAGES, content=stream(), headers={"content-type": XML, **headers})
    assert answer.status_code == 413 and _codes(answer) == ["input.too_large"], answer.text
    limit_chunks = fed.hub.settings.max_body_bytes // len(chunk)
    assert pulled <= limit_chunks + 2, f"the hub pulled {pulled} of {total} MB before refusing"
    await _assert_nothing_stored_or_forwarded(fed, legitimate[1])


async def test_after_every_attack_the_hub_still_accepts_a_legitimate_document(
    fed: LocalFederation, documents: Documents, legitimate: tuple[bytes, str]
) -> None:
    """All attacks in a row are refused, then the legitimate COD is accepted (202) and delivered to BR."""
    for attack in ATTACKS:
        if attack.needs and shutil.which(attack.needs) is None:
            continue
        answer = await _post(fed, documents(attack))
        assert 400 <= answer.status_code < 500 and attack.code in _codes(answer), (attack.name, answer.text)
    assert sum(fed.hub.store.counts().values()) == 0
    answer = await _post(fed, legitimate[0])
    assert answer.status_code == 202, answer.text
    assert answer.json()["certificate_id"] == legitimate[1]
    assert sum(fed.hub.store.counts().values()) == 1
    await fed.settle()
    assert fed.node("BR").store.count_inbound() == 1
    async with fed.client("hub", role=None) as hub:
        assert (await hub.get("/healthz")).status_code == 200
