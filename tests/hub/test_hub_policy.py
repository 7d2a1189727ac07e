"""What each member accepts (CODVer, forms) and its legacy SHA-1 sunset, from the signed trust list."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from attack_corpus import sha1_signed
from network.kit import WHEN, Database, LocalFederation, signed_cod

from singlewindow.pki import Federation
from singlewindow.pki.signed import next_version, sign_trustlist
from singlewindow.protocol import XML, SignatureAuth
from singlewindow.protocol.edge import Verify

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def own(federation: Federation, tmp_path_factory: pytest.TempPathFactory) -> Federation:
    """A copy of the session's PKI: the trust lists these tests sign never reach other tests' homes."""
    return Federation.load(shutil.copytree(federation.directory, tmp_path_factory.mktemp("policy") / "pki"))


@pytest.fixture
async def local(
    own: Federation, database: Database, aladi_dir: Path, shared_verify: Verify
) -> AsyncIterator[LocalFederation]:
    """Hub + AR, BR in-process over the copied PKI (same keys: the session's verifier still applies)."""
    kit = LocalFederation(
        pki=own, db=database, countries=["AR", "BR"], schema_dirs=str(aladi_dir), verify=shared_verify
    )
    async with kit.running() as fed:
        yield fed


def _offer(local: LocalFederation, **changes: dict[str, object]) -> None:
    """The operator signs a newer trust list with ``changes`` to members' entries; the hub adopts it."""
    trustlist = local.hub.keeper.current.trustlist
    countries = {
        code: entry.model_copy(update=changes.get(code, {})) for code, entry in trustlist.countries.items()
    }
    operator = local.pki.operator
    signed = sign_trustlist(
        trustlist=next_version(trustlist, countries=countries),
        key=operator.private_key,
        certificate=operator.certificate,
    )
    assert local.hub.keeper.offer(signed) is True
    for code in local.countries:  # as the nodes would fetch it within their trustlist_refresh
        assert local.node(code).keeper.offer(signed) is True


def _restore(local: LocalFederation) -> None:
    """The session's hub home keeps the last trust list: give it back the plain policy (no limits)."""
    plain = {"cod_versions": None, "forms": None, "sha1_until": None}
    _offer(local, **{code: plain for code in local.hub.keeper.current.trustlist.countries})


async def _post(local: LocalFederation, body: bytes) -> httpx.Response:
    auth = SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="AR")
    async with local.client("hub", role=None) as hub:
        return await hub.post("/api/v1/messages", content=body, headers={"content-type": XML}, auth=auth)


def _codes(answer: httpx.Response) -> list[str]:
    return [p["code"] for p in answer.json().get("problems", [])]


def _stored(local: LocalFederation) -> int:
    return sum(local.hub.store.counts().values())


@pytest.mark.parametrize(
    "policy", [{"cod_versions": ["4.1.0"]}, {"forms": ["FormR252"]}], ids=["version", "form"]
)
async def test_a_version_or_form_the_destination_does_not_accept_is_refused_unstored(
    local: LocalFederation, policy: dict[str, object]
) -> None:
    """BR taking only 4.1.0 (or FormR252): a 2.0.0 FormA18 COD gets 422 routing.version_not_accepted."""
    _offer(local, BR=policy)
    try:
        answer = await _post(local, signed_cod(local.pki))
    finally:
        _restore(local)
    assert answer.status_code == 422 and _codes(answer) == ["routing.version_not_accepted"], answer.text
    assert _stored(local) == 0


async def test_a_listed_version_is_accepted(local: LocalFederation) -> None:
    """BR accepting 2.0.0 and 4.1.0: the 2.0.0 COD is accepted, and not labelled legacy."""
    _offer(local, BR={"cod_versions": ["2.0.0", "4.1.0"], "forms": ["FormA18"]})
    try:
        answer = await _post(local, signed_cod(local.pki))
    finally:
        _restore(local)
    assert answer.status_code == 202, answer.text
    assert answer.json()["legacy_sha1"] is False


@pytest.fixture
async def judged(own: Federation, database: Database, aladi_dir: Path) -> AsyncIterator[LocalFederation]:
    """Hub + AR, BR whose verifiers are built from the trust list in force (not a shared verifier)."""
    if shutil.which("xmlsec1") is None:
        pytest.skip("xmlsec1 is not installed (needed to make SHA-1 signatures)")
    kit = LocalFederation(pki=own, db=database, countries=["AR", "BR"], schema_dirs=str(aladi_dir))
    async with kit.running() as fed:
        yield fed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sunset", "status"),
    [(timedelta(days=30), 202), (timedelta(days=-1), 422), (None, 422)],
    ids=["before-sunset", "after-sunset", "no-sunset"],
)
async def test_sha1_is_accepted_only_before_the_issuing_members_sunset(
    judged: LocalFederation, sunset: timedelta | None, status: int
) -> None:
    """AR's RSA-SHA1 COD: accepted and labelled legacy before AR's sunset; refused after it or without one."""
    until = datetime.now(UTC).date() + sunset if sunset is not None else None
    _offer(judged, AR={"sha1_until": until})
    try:
        document = sha1_signed(judged.pki, WHEN)
        answer = await _post(judged, document)
        again = await _post(judged, document)  # a repeat is answered from the earlier acceptance
        async with judged.client("BR", role="official") as node:  # a node's API answer too
            checked = (
                await node.post("/api/v1/verify", content=document, headers={"content-type": XML})
            ).json()
    finally:
        _restore(judged)
    assert answer.status_code == status, answer.text
    assert checked["valid"] is checked["legacy_sha1"] is (status == 202)
    assert again.status_code == status, again.text
    if status == 202:
        assert answer.json()["legacy_sha1"] is True
        assert again.json()["duplicate"] is True and again.json()["legacy_sha1"] is True
    else:
        assert "signature.algorithm_forbidden" in _codes(answer)
        assert _stored(judged) == 0
