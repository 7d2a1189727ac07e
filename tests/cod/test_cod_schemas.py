"""SchemaRegistry over the official ALADI XSDs: every produced document validates at each stage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from singlewindow.cod import (
    SchemaRegistry,
    default_schema_dirs,
    derive_stage,
    sample_certificate,
    to_bytes,
    xmldsig_schema_path,
)

Parse = Callable[[bytes], etree._Element]
Sign = Callable[..., etree._Element]
COMBOS = [(f, v) for f in ("FormR252", "FormA18") for v in ("2.0.0", "4.1.0")]
COUNTRIES = [("AR", "BR"), ("BR", "UY"), ("UY", "PY"), ("PY", "AR"), ("CL", "MX")]


def test_registry_loads_files_aliases_and_derivations(registry: SchemaRegistry) -> None:
    """Every official version gets all three stages: from files, the 1.8.0 alias, or derived."""
    for version in ("1.8.0", "1.8.2", "1.8.3", "2.0.0", "4.1.0"):
        for stage in ("request", "exporter_signed", "complete"):
            assert registry.schema(version, stage) is not None, (version, stage)
    assert registry.origin("1.8.2", "request") == "cod_ver_1.8.2_exporter_unsigned.xsd"
    assert registry.origin("1.8.0", "request") == "cod_ver_1.8.2_exporter_unsigned.xsd (alias of 1.8.0)"
    assert registry.origin("4.1.0", "exporter_signed") == "derived from cod_ver_4.1.0.xsd"
    assert registry.schema("1.8.0", "request") is registry.schema("1.8.2", "request")  # compiled once


@pytest.mark.parametrize(("form", "cod_ver"), COMBOS)
@pytest.mark.parametrize("stage", ["request", "exporter_signed", "complete"])
def test_every_sample_validates_against_the_official_xsd(
    form: str, cod_ver: str, stage: str, registry: SchemaRegistry, xml_parse: Parse, with_placeholders: Sign
) -> None:
    """Samples of every form, version, country pair and size validate at each stage."""
    for seed, (exporter, importer) in enumerate(COUNTRIES * 2):
        cert = sample_certificate(
            form=form,  # type: ignore[arg-type]
            cod_ver=cod_ver,
            exporter_country=exporter,
            importer_country=importer,
            number=seed + 1,
            goods=1 + seed % 5,
            seed=seed,
            when=datetime(2024, 1 + seed, 10, 12, tzinfo=UTC) if seed < 12 else None,
        )
        root = with_placeholders(xml_parse(to_bytes(cert, stage=stage)), stage=stage)  # type: ignore[arg-type]
        assert registry.validate(root, stage=stage) == [], (seed, exporter)  # type: ignore[arg-type]


def test_samples_default_to_now_and_vary(registry: SchemaRegistry, xml_parse: Parse) -> None:
    """Without ``when`` the certificate is dated now; different seeds give different documents."""
    cert = sample_certificate()
    assert cert.certification is not None and cert.eh is not None
    age = datetime.now(UTC) - cert.certification.date
    assert 0 <= age.total_seconds() < 60
    assert cert.declaration.date < cert.certification.date
    assert str(cert.certification.certificate_id).startswith(f"AR001A18{cert.certification.date:%y}")
    when = datetime(2024, 2, 2, tzinfo=UTC)
    docs = {to_bytes(sample_certificate(seed=s, when=when), stage="complete") for s in range(10)}
    assert len(docs) == 10
    assert to_bytes(sample_certificate(seed=4, when=when), stage="request") == to_bytes(
        sample_certificate(seed=4, when=when), stage="request"
    )


def test_real_sample_is_accepted_as_request(
    aladi_dir: Path, registry: SchemaRegistry, xml_parse: Parse
) -> None:
    """The published A14-FormA18-unsigned.xml (CODVer 1.8.0, BOM) validates at the request stage."""
    data = (aladi_dir / "A14-FormA18-unsigned.xml").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    root = xml_parse(data)
    assert registry.validate(root, stage="request") == []
    problems = registry.validate(root, stage="complete")
    assert problems and {p.code for p in problems} == {"schema.invalid"}


def test_invalid_document_reports_schema_invalid_with_message_and_path(
    registry: SchemaRegistry, xml_parse: Parse
) -> None:
    """A bad tariff code gives schema.invalid naming the element, the pattern failure and where it is."""
    cert = sample_certificate(when=datetime(2024, 3, 3, tzinfo=UTC))
    data = to_bytes(cert, stage="request")
    code = cert.goods[0].item_code.encode()
    root = xml_parse(data.replace(b"<GoodsItemCode>" + code, b"<GoodsItemCode>84A8", 1))
    (found,) = registry.validate(root, stage="request")
    assert found.code == "schema.invalid"
    assert "GoodsItemCode" in found.message and "line " in found.message
    assert found.path.endswith("/GoodsList/Goods/GoodsItemCode") or "GoodsItemCode" in found.path


def test_missing_element_is_reported(registry: SchemaRegistry, xml_parse: Parse) -> None:
    """A FormA18 request without Transport is schema.invalid at the Importer's parent."""
    root = xml_parse(to_bytes(sample_certificate(when=datetime(2024, 3, 3, tzinfo=UTC)), stage="request"))
    transport = root.find(".//Transport")
    assert transport is not None
    transport.getparent().remove(transport)  # type: ignore[union-attr]
    problems = registry.validate(root, stage="request")
    assert [p.code for p in problems] == ["schema.invalid"]
    assert "Transport" in problems[0].message


def test_request_stage_rejects_eh_and_signatures(
    registry: SchemaRegistry, xml_parse: Parse, with_placeholders: Sign
) -> None:
    """A complete document is not a valid request, and a request lacks what the complete stage needs."""
    cert = sample_certificate(cod_ver="4.1.0", when=datetime(2024, 3, 3, tzinfo=UTC))
    complete = with_placeholders(xml_parse(to_bytes(cert, stage="complete")), stage="complete")
    assert registry.validate(complete, stage="request")
    assert registry.validate(complete, stage="complete") == []
    request = xml_parse(to_bytes(cert, stage="request"))
    assert registry.validate(request, stage="complete")


def test_unknown_version(registry: SchemaRegistry, xml_parse: Parse) -> None:
    """A CODVer without schema gives schema.unknown_version, and so does a document with no CODVer."""
    data = to_bytes(sample_certificate(when=datetime(2024, 3, 3, tzinfo=UTC)), stage="request")
    (found,) = registry.validate(xml_parse(data.replace(b">2.0.0<", b">7.0.1<")), stage="request")
    assert found.code == "schema.unknown_version"
    assert "7.0.1" in found.message
    (found,) = registry.validate(xml_parse(data.replace(b"<CODVer>2.0.0</CODVer>", b"")), stage="request")
    assert found.code == "schema.unknown_version"


def test_official_files_are_untouched_and_derivation_is_in_memory(aladi_dir: Path) -> None:
    """Loading and deriving never write: the XSD bytes are unchanged, and a derived tree lacks EH."""
    path = aladi_dir / "cod_ver_2.0.0.xsd"
    before = path.read_bytes()
    SchemaRegistry.load([aladi_dir])
    assert path.read_bytes() == before
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    names = {el.get("name") for el in derive_stage(tree, "exporter_signed").iter()}
    assert "EH" not in names and "CertificationEH" not in names
    assert "EH" in {el.get("name") for el in tree.iter()}


def test_default_schema_dirs_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SINGLEWINDOW_SCHEMA_DIRS adds os.pathsep-separated directories after the repository's schemas/."""
    import os

    monkeypatch.setenv("SINGLEWINDOW_SCHEMA_DIRS", f"{tmp_path}{os.pathsep}{tmp_path / 'b'}")
    dirs = default_schema_dirs()
    assert dirs[-2:] == [tmp_path, tmp_path / "b"]
    assert xmldsig_schema_path().name == "xmldsig-core-schema.xsd"
    assert SchemaRegistry.load([tmp_path]).versions() == []
