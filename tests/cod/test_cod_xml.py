"""Certificate ⇄ XML: shape of each stage, lossless round trips, determinism, reading back."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from singlewindow.cod import (
    DSIG_NS,
    SOAP_NS,
    Certificate,
    add_certification,
    detect_stage,
    from_element,
    read_cod_ver,
    sample_certificate,
    to_bytes,
    to_element,
)
from singlewindow.errors import InvalidDocument, UnusableInput

Parse = Callable[[bytes], etree._Element]
WHEN = datetime(2024, 5, 17, 13, 45, 12, tzinfo=UTC)
COMBOS = [(f, v) for f in ("FormR252", "FormA18") for v in ("2.0.0", "4.1.0")]


def _cert(form: str = "FormA18", cod_ver: str = "2.0.0", **kw: Any) -> Certificate:
    return sample_certificate(form=form, cod_ver=cod_ver, when=WHEN, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("form", "cod_ver"), COMBOS)
def test_json_xml_json_is_lossless(form: str, cod_ver: str, xml_parse: Parse) -> None:
    """JSON → model → complete XML → model → JSON gives back the same JSON for every form and version."""
    for seed in range(8):
        original = _cert(form, cod_ver, seed=seed, goods=1 + seed % 4).model_dump(mode="json")
        cert = Certificate.model_validate(json.loads(json.dumps(original)))
        back = from_element(xml_parse(to_bytes(cert, stage="complete")))
        assert back.model_dump(mode="json") == original


@pytest.mark.parametrize(("form", "cod_ver"), COMBOS)
def test_request_stage_reads_back_without_eh(form: str, cod_ver: str, xml_parse: Parse) -> None:
    """A request carries the COD only: reading it back gives the certificate minus eh and certification."""
    cert = _cert(form, cod_ver)
    back = from_element(xml_parse(to_bytes(cert, stage="request")))
    assert back == cert.model_copy(update={"eh": None, "certification": None})


def test_stage_shapes(xml_parse: Parse) -> None:
    """request and exporter_signed stop at COD; complete adds EH and CertificationEH after CODExporter."""
    cert = _cert()
    for stage in ("request", "exporter_signed"):
        root = xml_parse(to_bytes(cert, stage=stage))  # type: ignore[arg-type]
        assert root.tag == f"{{{SOAP_NS}}}Envelope"
        codeh = root.find(f"{{{SOAP_NS}}}CertOrigin/CODEH")
        assert codeh is not None and codeh.get("id") == "CODEH"
        assert [c.tag for c in codeh] == ["CODExporter"]
        assert [c.tag for c in codeh[0]] == ["COD"]
        assert codeh[0][0].get("id") == "COD"
    root = xml_parse(to_bytes(cert, stage="complete"))
    codeh = root.find(f"{{{SOAP_NS}}}CertOrigin/CODEH")
    assert codeh is not None
    assert [c.tag for c in codeh] == ["CODExporter", "EH", "CertificationEH"]
    assert codeh.findtext("CertificationEH/CertificateID") == "AR001A18240000000100"
    assert root.nsmap == {"ns1": SOAP_NS}
    namespaced = [el.tag for el in root.iter() if isinstance(el.tag, str) and el.tag.startswith("{")]
    assert namespaced == [f"{{{SOAP_NS}}}Envelope", f"{{{SOAP_NS}}}CertOrigin"]


def test_bytes_are_utf8_without_bom_with_declaration_and_deterministic() -> None:
    """Serialisation starts with the XML declaration (no BOM) and is byte-identical across calls."""
    cert = _cert(exporter_country="BR", importer_country="AR", seed=3)
    data = to_bytes(cert, stage="complete")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "São Paulo".encode() in data or "ç".encode() in data or "ã".encode() in data
    assert data == to_bytes(Certificate.model_validate(cert.model_dump(mode="json")), stage="complete")


def test_complete_stage_needs_eh_and_certification() -> None:
    """Building the complete stage without the EH's data is refused."""
    cert = _cert().model_copy(update={"certification": None})
    with pytest.raises(ValueError, match="eh and certification"):
        to_element(cert, stage="complete")


def test_add_certification_turns_a_request_into_complete(xml_parse: Parse) -> None:
    """add_certification inserts EH + CertificationEH after CODExporter, leaving COD untouched."""
    cert = _cert(form="FormR252", cod_ver="4.1.0")
    root = to_element(cert, stage="request")
    cod_before = etree.tostring(root.find(f"{{{SOAP_NS}}}CertOrigin/CODEH/CODExporter/COD"))
    add_certification(root, cert)
    assert detect_stage(root) == "complete"
    assert etree.tostring(root.find(f"{{{SOAP_NS}}}CertOrigin/CODEH/CODExporter/COD")) == cod_before
    assert from_element(root) == cert
    with pytest.raises(ValueError, match="already"):
        add_certification(root, cert)


def test_detect_stage_and_signatures_are_ignored(
    xml_parse: Parse, with_placeholders: Callable[..., etree._Element]
) -> None:
    """detect_stage follows signatures and EH; the reader skips ds:Signature wherever it sits."""
    cert = _cert(form="FormA18", cod_ver="4.1.0")
    assert detect_stage(xml_parse(to_bytes(cert, stage="request"))) == "request"
    signed = with_placeholders(xml_parse(to_bytes(cert, stage="request")), stage="exporter_signed")
    assert detect_stage(signed) == "exporter_signed"
    assert from_element(signed) == cert.model_copy(update={"eh": None, "certification": None})
    complete = with_placeholders(xml_parse(to_bytes(cert, stage="complete")), stage="complete")
    assert detect_stage(complete) == "complete"
    assert len(complete.findall(f".//{{{DSIG_NS}}}Signature")) == 2
    assert from_element(complete) == cert
    assert read_cod_ver(complete) == "4.1.0"


def test_not_a_cod_is_unusable(xml_parse: Parse) -> None:
    """A tree that is not a COD envelope raises UnusableInput with input.unknown_stage."""
    with pytest.raises(UnusableInput) as caught:
        detect_stage(xml_parse(b"<Envelope><CertOrigin/></Envelope>"))
    assert caught.value.problems[0].code == "input.unknown_stage"
    root = xml_parse(f'<ns1:Envelope xmlns:ns1="{SOAP_NS}"><ns1:CertOrigin/></ns1:Envelope>'.encode())
    with pytest.raises(UnusableInput, match="CODEH"):
        from_element(root)
    assert read_cod_ver(root) is None


def test_reader_reports_unknown_versions_and_unexpected_elements(xml_parse: Parse) -> None:
    """An unsupported CODVer is schema.unknown_version; a stray element is schema.invalid with its path."""
    data = to_bytes(_cert(), stage="request")
    with pytest.raises(InvalidDocument) as caught:
        from_element(xml_parse(data.replace(b"<CODVer>2.0.0<", b"<CODVer>9.9.9<")))
    assert caught.value.problems[0].code == "schema.unknown_version"
    with pytest.raises(InvalidDocument) as caught:
        from_element(xml_parse(data.replace(b"<Exporter>", b"<Exporter><Stray>x</Stray>")))
    (found,) = caught.value.problems
    assert found.code == "schema.invalid"
    assert found.path.endswith("/FormA18/Exporter/Stray")
    with pytest.raises(InvalidDocument) as caught:
        from_element(xml_parse(data.replace(b"<GoodsItemCode>", b"<GoodsItemCode>99")))
    assert caught.value.problems[0].code == "schema.invalid"
    assert "item_code" in caught.value.problems[0].path


def test_model_enforces_the_form_layout() -> None:
    """Fields a form does not carry are refused, and fields it requires must be present."""
    data = _cert(form="FormA18", cod_ver="4.1.0").model_dump(mode="json")
    data["consignee"] = {"country": "BR"}
    with pytest.raises(ValidationError, match=r"consignee is not used in FormA18 at CODVer 4\.1\.0"):
        Certificate.model_validate(data)
    data = _cert(form="FormA18", cod_ver="4.1.0").model_dump(mode="json")
    data["subscriber"] = None
    with pytest.raises(ValidationError, match="subscriber is required"):
        Certificate.model_validate(data)
    data["cod_ver"], data["form"] = "9.9.9", "FormA18"
    with pytest.raises(
        ValidationError, match=r"no model for FormA18 at CODVer '9\.9\.9' \(configured CODVer: 1\.8\.0, "
    ):
        Certificate.model_validate(data)


# ---------------------------------------------------------------- property-based round trip

_xml_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    min_size=1,
    max_size=40,
)
_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_datetimes = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=_offsets),
)
_weights = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999999999999.9999"), places=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    combo=st.sampled_from(COMBOS),
    seed=st.integers(0, 10_000),
    goods=st.integers(1, 5),
    name=_xml_text,
    address=_xml_text,
    comment=st.one_of(st.just(""), _xml_text),
    item_name=_xml_text,
    weight=_weights,
    declared=_datetimes,
)
def test_property_roundtrip_is_lossless(
    combo: tuple[str, str],
    seed: int,
    goods: int,
    name: str,
    address: str,
    comment: str,
    item_name: str,
    weight: Decimal,
    declared: datetime,
    xml_parse: Parse,
) -> None:
    """Arbitrary names, addresses, comments, weights and dates survive JSON → XML → JSON unchanged."""
    form, cod_ver = combo
    data = _cert(form, cod_ver, seed=seed, goods=goods).model_dump(mode="json")
    data["exporter"]["business_name"] = name
    data["importer"]["address"] = address
    data["comments"]["general"] = comment
    data["goods"][0]["item_name"] = item_name
    data["goods"][-1]["weight_amount"] = str(weight)
    data["declaration"]["date"] = declared.isoformat()
    try:
        cert = Certificate.model_validate(json.loads(json.dumps(data)))
    except ValidationError:
        assume(False)
        raise
    dumped = cert.model_dump(mode="json")
    back = from_element(xml_parse(to_bytes(cert, stage="complete")))
    assert back.model_dump(mode="json") == dumped
    assert to_bytes(back, stage="complete") == to_bytes(cert, stage="complete")
