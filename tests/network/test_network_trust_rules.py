"""Real processes: time rules, role confusion and stage-3 intake between a hub and two nodes.

One federation of processes per database backend (hub, AR, BR), built once for the module. The
hub runs with ``max_certificate_age`` of seven days so the age rule can be shown with demo keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree
from network.kit import BACKENDS, throwaway_database
from network.processes import running_hub_and_nodes

from singlewindow.cod import CertificateID, sample_certificate, to_bytes, to_element
from singlewindow.harness.services import ProcessService
from singlewindow.pki import Federation, Identity
from singlewindow.protocol import XML, SignatureAuth
from singlewindow.verification import complete_and_sign
from singlewindow.xmlsec import serialize, sign_exporter, sign_official

pytestmark = pytest.mark.slow
ENV = "{http://www.w3.org/2001/12/soap-envelope}"
FORM = f"{ENV}CertOrigin/CODEH/CODExporter/COD/FormA18"
CERTIFIED = f"{ENV}CertOrigin/CODEH/CertificationEH/CertificateDate"
MAX_AGE = timedelta(days=7)


@dataclasses.dataclass
class Cluster:
    """The running processes and the customs and official tokens."""

    procs: dict[str, ProcessService]
    tokens: dict[str, str]

    def node(self, country: str, role: str = "customs") -> httpx.Client:
        """A client of a node with the role's token."""
        headers = {"authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=self.procs[country].url, headers=headers, timeout=60)


@pytest.fixture(scope="module", params=BACKENDS)
def cluster(
    request: pytest.FixtureRequest,
    federation: Federation,
    aladi_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """Hub, AR and BR as processes on one backend; every process is killed at the end."""
    root = tmp_path_factory.mktemp(f"trust-{request.param}")
    with (
        throwaway_database(request.param, root) as database,
        running_hub_and_nodes(
            pki=federation.directory,
            service_database=database.service,
            schema_dirs=str(aladi_dir),
            root=root,
            hub_env={"SINGLEWINDOW_HUB_MAX_CERTIFICATE_AGE": str(MAX_AGE.total_seconds())},
        ) as (procs, tokens),
    ):
        yield Cluster(procs=procs, tokens=tokens)


def _signed(
    federation: Federation,
    *,
    number: int,
    when: datetime,
    edit: Callable[[etree._Element], None] = lambda _root: None,
    exporter: Identity | None = None,
    official: Identity | None = None,
    year: int | None = None,
) -> bytes:
    """A complete AR→BR COD dated ``when``, changed by ``edit``, signed by the chosen AR identities."""
    pki = federation.country("AR")
    cert = sample_certificate(number=number, when=when)
    assert cert.certification is not None
    if year is not None:
        cid = dataclasses.replace(CertificateID.parse(str(cert.certification.certificate_id)), year=year)
        cert = cert.model_copy(
            update={"certification": cert.certification.model_copy(update={"certificate_id": cid})}
        )
    root = to_element(cert, stage="complete")
    edit(root)
    first, last = exporter or pki.exporter, official or pki.official
    sign_exporter(root, key=first.private_key, certificate=first.certificate)
    sign_official(root, key=last.private_key, certificate=last.certificate)
    return bytes(serialize(root))


def _set(path: str, moment: Callable[[etree._Element], datetime]) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        element = root.find(path)
        assert element is not None, path
        element.text = moment(root).isoformat()

    return edit


def _date(root: etree._Element, path: str) -> datetime:
    return datetime.fromisoformat(root.findtext(path) or "")


def _to_hub(cluster: Cluster, federation: Federation, body: bytes) -> httpx.Response:
    """POST straight to the hub, signed with AR's node key (what a node would send)."""
    auth = SignatureAuth(key=federation.country("AR").node.private_key, keyid="AR")
    return httpx.post(
        f"{cluster.procs['hub'].url}/api/v1/messages",
        content=body,
        headers={"content-type": XML},
        auth=auth,
        timeout=60,
    )


def _codes(answer: httpx.Response) -> set[str]:
    return {p["code"] for p in answer.json()["problems"]}


def _hub_holds(cluster: Cluster, federation: Federation, body: bytes) -> bool:
    """Whether the hub accepted these bytes: a repeat answers 202 duplicate, anything else is a refusal."""
    answer = _to_hub(cluster, federation, body)
    return answer.status_code == 202 and answer.json()["duplicate"] is True


NOW = datetime.now(UTC).replace(microsecond=0)
HOUR_AGO = NOW - timedelta(hours=1)
Build = Callable[[Federation, int], bytes]


def _other_exporter(root: etree._Element) -> None:
    for element in root.iter("ExporterBusinessName"):
        element.text = "Otra Empresa S.R.L."


def _declared(root: etree._Element) -> datetime:
    return _date(root, f"{FORM}/Declaration/DeclarationDate")


CASES: dict[str, tuple[str, Build]] = {
    "future": (
        "time.future",
        lambda f, n: _signed(
            f, number=n, when=HOUR_AGO, edit=_set(CERTIFIED, lambda _r: NOW + timedelta(days=1))
        ),
    ),
    "before_declaration": (
        "time.before_declaration",
        lambda f, n: _signed(
            f, number=n, when=HOUR_AGO, edit=_set(CERTIFIED, lambda r: _declared(r) - timedelta(hours=1))
        ),
    ),
    "before_invoice": (
        "time.before_invoice",
        lambda f, n: _signed(
            f,
            number=n,
            when=HOUR_AGO,
            edit=_set(
                f"{FORM}/Invoices/Invoice/InvoiceDate", lambda r: _date(r, CERTIFIED) + timedelta(hours=1)
            ),
        ),
    ),
    "year": (
        "time.year_mismatch",
        lambda f, n: _signed(f, number=n, when=HOUR_AGO, year=(HOUR_AGO.year - 1) % 100),
    ),
    "too_old": ("time.too_old", lambda f, n: _signed(f, number=n, when=NOW - MAX_AGE - timedelta(hours=2))),
    "revoked_back_dated": (
        "time.signer_invalid_at_acceptance",
        lambda f, n: _signed(
            f, number=n, when=NOW - timedelta(days=6), official=f.country("AR").revoked_official
        ),
    ),
    "official_as_exporter": (
        "role.exporter_required",
        lambda f, n: _signed(f, number=n, when=HOUR_AGO, exporter=f.country("AR").official),
    ),
    "node_as_official": (
        "role.transport_key_in_document",
        lambda f, n: _signed(f, number=n, when=HOUR_AGO, official=f.country("AR").node),
    ),
    "another_exporter": (
        "role.exporter_mismatch",
        lambda f, n: _signed(f, number=n, when=HOUR_AGO, edit=_other_exporter),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_hub_process_refuses_and_never_delivers(
    cluster: Cluster, federation: Federation, case: str
) -> None:
    """Each time rule and role confusion, sent with AR's node key: 422 with its own code, nothing stored."""
    code, build = CASES[case]
    document = build(federation, 100 + list(CASES).index(case))
    answer = _to_hub(cluster, federation, document)
    assert answer.status_code == 422, answer.text
    assert code in _codes(answer)
    assert not _hub_holds(cluster, federation, document)


def test_a_platform_signed_cod_travels_byte_for_byte(cluster: Cluster, federation: Federation) -> None:
    """Stage 3 posted to AR: 202; BR holds the same SHA-256 and shows the hub's acceptance time."""
    document = complete_and_sign(
        to_bytes(sample_certificate(number=90, when=NOW - timedelta(hours=1)), stage="request"),
        federation=federation,
        country="AR",
        now=NOW - timedelta(hours=1),
    )
    with cluster.node("AR") as customs:
        answer = customs.post("/api/v1/certificates", content=document, headers={"content-type": XML})
    assert answer.status_code == 202, answer.text
    certificate_id = answer.json()["certificate_id"]
    assert answer.json()["sha256"] == hashlib.sha256(document).hexdigest()
    deadline = time.monotonic() + 60
    status: dict[str, object] = {}
    with cluster.node("BR", role="official") as official:
        while time.monotonic() < deadline:
            reply = official.get(f"/api/v1/certificates/{certificate_id}")
            if reply.status_code == 200:
                status = reply.json()
                break
            time.sleep(0.3)
    assert status.get("sha256") == hashlib.sha256(document).hexdigest(), status
    assert status.get("hub_accepted_at")


def test_a_role_confused_platform_cod_is_refused_by_the_node(
    cluster: Cluster, federation: Federation
) -> None:
    """Stage 3 with #COD signed by the official: the AR node refuses it itself (422); the hub never has it."""
    pki = federation.country("AR")
    document = _signed(federation, number=91, when=NOW - timedelta(hours=1), exporter=pki.official)
    with cluster.node("AR") as customs:
        answer = customs.post("/api/v1/certificates", content=document, headers={"content-type": XML})
    assert answer.status_code == 422 and "role.exporter_required" in _codes(answer), answer.text
    assert not _hub_holds(cluster, federation, document)
