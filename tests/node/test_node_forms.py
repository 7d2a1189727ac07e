"""Every (form, CODVer) the configured XSDs define is issued, signed, verified and delivered."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from network.kit import LocalFederation, throwaway_database

from singlewindow.cod import SchemaRegistry, to_bytes
from singlewindow.cod.generate import example_certificate
from singlewindow.cod.layouts import FormLayout
from singlewindow.cod.samples import demo_exporter
from singlewindow.pki import Federation
from singlewindow.protocol.edge import Verify
from singlewindow.verification import complete_and_sign

pytestmark = pytest.mark.anyio
JSON = {"content-type": "application/json"}
XML = {"content-type": "application/xml"}
WHEN = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
XPATH = {
    "exporter": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/CODEH/CODExporter"
    "/*[local-name()='Signature']",
    "official": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/*[local-name()='Signature']",
}
# The done-when of issue 10: stage-1 requests of these pairs, posted as XML by customs at AR, reach BR.
DONE_WHEN = [
    ("4.1.0", "FormA14"),
    ("4.1.0", "FormA35"),
    ("4.1.0", "FormA36"),
    ("4.1.0", "FormA59"),
    ("2.0.0", "FormA6"),
    ("1.8.0", "FormA18"),
    ("1.8.2", "FormA18"),
    ("1.8.3", "FormA18"),
]


def _layouts() -> list[FormLayout]:
    import os

    default = Path(__file__).resolve().parents[3] / "shared" / "standards"
    root = Path(os.environ.get("SINGLEWINDOW_STANDARDS_DIR", str(default))) / "aladi-cod"
    return SchemaRegistry.load([root]).layouts() if root.is_dir() else []


PAIRS = [pytest.param(layout, id=f"{layout.form}@{layout.cod_ver}") for layout in _layouts()] or [
    pytest.param(None, marks=pytest.mark.skip(reason="official XSDs not found"))
]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """One event loop for the module, so the federation is built once."""
    return "asyncio"


@pytest.fixture(scope="module")
async def fed(
    federation: Federation, aladi_dir: Path, shared_verify: Verify, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LocalFederation]:
    """Hub + AR and BR in-process on SQLite, once for the module."""
    with throwaway_database("sqlite", tmp_path_factory.mktemp("forms-db")) as db:
        kit = LocalFederation(
            pki=federation, db=db, countries=["AR", "BR"], schema_dirs=str(aladi_dir), verify=shared_verify
        )
        async with kit.running() as running:
            yield running


@pytest.fixture(scope="module")
def registry(aladi_dir: Path) -> SchemaRegistry:
    """The official schemas."""
    return SchemaRegistry.load([aladi_dir])


def _xmlsec1_verifies(document: Path, role: str, anchor: Path) -> bool:
    argv = ["xmlsec1", "--verify", "--id-attr:id", "COD", "--id-attr:id", "CODEH"]
    argv += ["--trusted-pem", str(anchor), "--node-xpath", XPATH[role], str(document)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False).returncode == 0


@pytest.mark.parametrize("layout", PAIRS)
def test_every_pair_is_signed_valid_and_verified(
    layout: FormLayout,
    federation: Federation,
    registry: SchemaRegistry,
    shared_verify: Verify,
    tmp_path: Path,
) -> None:
    """A request generated from the XSD is completed and signed, valid against the XSD, verified twice."""
    request = to_bytes(example_certificate(layout, when=WHEN, full=True), stage="request")
    signed = complete_and_sign(request, federation=federation, country="AR", now=WHEN)
    root = etree.fromstring(signed, etree.XMLParser(resolve_entities=False, no_network=True))
    assert registry.validate(root, stage="complete") == []
    report = shared_verify(signed)
    assert report.valid, report.problems
    if shutil.which("xmlsec1") is None:
        pytest.skip("xmlsec1 is not installed")
    document = tmp_path / "cod.xml"
    document.write_bytes(signed)
    anchor = federation.country("AR").ca.cert_path
    assert _xmlsec1_verifies(document, "exporter", anchor)
    assert _xmlsec1_verifies(document, "official", anchor)


async def _post_and_settle(fed: LocalFederation, body: bytes, headers: dict[str, str]) -> dict[str, object]:
    async with fed.client("AR") as customs:
        answer = await customs.post("/api/v1/certificates", content=body, headers=headers)
    assert answer.status_code in (200, 202), answer.text
    await fed.settle(rounds=3)
    async with fed.client("AR") as customs:
        status = await customs.get(f"/api/v1/certificates/{answer.json()['certificate_id']}")
    result: dict[str, object] = status.json()
    return result


async def test_the_real_1_8_0_sample_flows_from_ar_to_br(fed: LocalFederation, aladi_dir: Path) -> None:
    """A14-FormA18-unsigned.xml (CODVer 1.8.0), posted as XML by customs at AR, is delivered to BR.

    Two values are adapted to the test federation: the declaration date is brought forward from
    2018 (its exporter certificate did not exist then; signatures are judged at the signing
    time), and the exporter is the one its exporter certificate names (the naming rule).
    """
    declared = (WHEN - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S")
    body = (aladi_dir / "A14-FormA18-unsigned.xml").read_bytes()
    assert body.count(b"2018-09-14T09:24:33.2592964-03:00") == 1
    body = body.replace(b"2018-09-14T09:24:33.2592964", declared.encode() + b".2592964")
    body = body.replace(b"IVECO ARGENTINA SA", demo_exporter("AR").encode())
    status = await _post_and_settle(fed, body, XML)
    assert status["status"] == "delivered"
    assert fed.node("BR").store.inbound_for(status["certificate_id"]) is not None


@pytest.mark.parametrize(("cod_ver", "form"), DONE_WHEN)
async def test_stage_one_xml_of_each_form_is_delivered(
    fed: LocalFederation, registry: SchemaRegistry, cod_ver: str, form: str
) -> None:
    """A stage-1 request of the form, posted as XML by customs at AR, is delivered to BR."""
    layout = registry.layout(cod_ver, form)
    assert layout is not None
    body = to_bytes(example_certificate(layout, when=WHEN), stage="request")
    status = await _post_and_settle(fed, body, XML)
    assert status["status"] == "delivered"


async def test_json_fields_of_a_form_specific_layout_are_delivered(
    fed: LocalFederation, registry: SchemaRegistry
) -> None:
    """Customs JSON for FormA33 at 4.1.0, with producers, is issued and delivered."""
    layout = registry.layout("4.1.0", "FormA33")
    assert layout is not None
    cert = example_certificate(layout, when=WHEN, full=True)
    status = await _post_and_settle(fed, cert.model_dump_json().encode(), JSON)
    assert status["status"] == "delivered"


async def test_unconfigured_version_is_a_400_naming_the_configured_ones(
    fed: LocalFederation, registry: SchemaRegistry
) -> None:
    """CODVer 4.1.1 without its XSD: 400 schema.unknown_version listing the configured versions."""
    layout = registry.layout("4.1.0", "FormA18")
    assert layout is not None
    data = example_certificate(layout, when=WHEN).model_dump(mode="json")
    data["cod_ver"] = "4.1.1"
    xml = to_bytes(example_certificate(layout, when=WHEN), stage="request").replace(b">4.1.0<", b">4.1.1<")
    async with fed.client("AR") as customs:
        for body, headers in ((json.dumps(data).encode(), JSON), (xml, XML)):
            answer = await customs.post("/api/v1/certificates", content=body, headers=headers)
            assert answer.status_code == 400
            (found,) = answer.json()["problems"]
            assert found["code"] == "schema.unknown_version"
            assert "1.8.0, 1.8.2, 1.8.3, 2.0.0, 4.1.0" in found["message"]


async def test_customs_json_is_strict(fed: LocalFederation, registry: SchemaRegistry) -> None:
    """`true` as an order number, or a number as a date: 400 input.invalid_fields naming the field."""
    layout = registry.layout("2.0.0", "FormA18")
    assert layout is not None
    data = example_certificate(layout, when=WHEN).model_dump(mode="json")
    cases = [("goods", 0, "order_no", True), ("declaration", None, "date", 1_700_000_000)]
    async with fed.client("AR") as customs:
        for part, index, name, value in cases:
            wrong = json.loads(json.dumps(data))
            target = wrong[part][index] if index is not None else wrong[part]
            target[name] = value
            answer = await customs.post(
                "/api/v1/certificates", content=json.dumps(wrong).encode(), headers=JSON
            )
            assert answer.status_code == 400
            (found,) = answer.json()["problems"]
            assert found["code"] == "input.invalid_fields"
            assert found["path"] == ".".join(str(p) for p in (part, index, name) if p is not None)


async def test_forms_api_lists_forms_versions_and_their_fields(fed: LocalFederation) -> None:
    """GET /api/v1/forms: every form with its CODVers, and each layout's fields with facets."""
    async with fed.client("AR") as customs:
        listing = (await customs.get("/api/v1/forms")).json()
        one = (await customs.get("/api/v1/forms", params={"form": "FormA33", "cod_ver": "4.1.0"})).json()
        missing = await customs.get("/api/v1/forms", params={"form": "FormA18", "cod_ver": "9.9.9"})
    async with fed.client("AR", role=None) as anonymous:
        assert (await anonymous.get("/api/v1/forms")).status_code == 401
    assert listing["versions"] == ["1.8.0", "1.8.2", "1.8.3", "2.0.0", "4.1.0"]
    by_form = {entry["form"]: entry["versions"] for entry in listing["forms"]}
    assert by_form["FormA18"] == ["1.8.0", "1.8.2", "1.8.3", "2.0.0", "4.1.0"]
    assert by_form["FormA67"] == ["4.1.0"]
    assert len(listing["layouts"]) == 13 + 13 + 14 + 15 + 16
    (layout,) = one["layouts"]
    fields = {field["path"]: field for field in layout["fields"]}
    assert fields["producers"]["kind"] == "list" and fields["producers"]["count"] == "ProducerQty"
    assert fields["producers[].confidenciality"]["enumeration"] == ["NO CONFIDENCIAL", "CONFIDENCIAL"]
    assert fields["exporter.business_name"]["max_length"] == 256
    assert fields["exporter.business_name"]["xml"] == "Exporter/ExporterBusinessName"
    assert missing.status_code == 404
    assert missing.json()["problems"][0]["code"] == "schema.unknown_version"
