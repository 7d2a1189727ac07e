"""Planned traffic: varied, realistic, valid, deterministic, with rectifications and skewed clocks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from lxml import etree

from singlewindow.cod import (
    Certificate,
    CertificateID,
    SchemaRegistry,
    default_schema_dirs,
    detect_stage,
    from_element,
)
from singlewindow.harness import pick_countries, plan_traffic
from singlewindow.harness.traffic import presign
from singlewindow.pki import Federation

DS = "http://www.w3.org/2000/09/xmldsig#"


def test_traffic_is_varied() -> None:
    """Both forms, both CODVer, both body kinds, many routes, small and large goods lists."""
    shipments = plan_traffic(countries=["AR", "BR", "UY", "PY"], certificates=300, seed=7)
    assert {s.form for s in shipments} == {"FormA18", "FormR252"}
    assert {s.cod_ver for s in shipments} == {"2.0.0", "4.1.0"}
    assert {s.body_kind for s in shipments} == {"json", "xml"}
    assert len({(s.exporter, s.importer) for s in shipments}) >= 10
    assert all(s.exporter != s.importer for s in shipments)
    assert min(s.goods for s in shipments) == 1
    assert max(s.goods for s in shipments) > 40
    assert all(1 <= s.goods <= 200 for s in shipments)


def test_traffic_is_deterministic() -> None:
    """The same seed plans the same routes, forms and numbers."""
    one = plan_traffic(countries=["AR", "BR"], certificates=30, seed=3, base_number=1000)
    two = plan_traffic(countries=["AR", "BR"], certificates=30, seed=3, base_number=1000)
    assert [(s.exporter, s.form, s.goods, s.certificate_id) for s in one] == [
        (s.exporter, s.form, s.goods, s.certificate_id) for s in two
    ]


def test_rectifications_follow_their_original() -> None:
    """A rectification re-issues an earlier JSON certificate with the rectification digits 01."""
    shipments = plan_traffic(countries=["AR", "BR"], certificates=200, seed=1, rectify_share=0.2)
    rectified = [s for s in shipments if s.rectifies is not None]
    assert rectified
    for shipment in rectified:
        original = shipments[shipment.rectifies or 0]
        assert original.index < shipment.index
        new, old = (
            CertificateID.parse(shipment.certificate_id or ""),
            CertificateID.parse(original.certificate_id or ""),
        )
        assert new.base == old.base
        assert (old.rectification, new.rectification) == (0, 1)


def test_bodies_validate_against_the_profile_schema() -> None:
    """Every JSON body is a valid Certificate and every XML body a COD request that reads back."""
    registry = SchemaRegistry.load(default_schema_dirs())
    for shipment in plan_traffic(countries=["AR", "BR", "UY"], certificates=40, seed=2):
        if shipment.body_kind == "json":
            cert = Certificate.model_validate_json(shipment.body)
            assert cert.exporter.country == shipment.exporter
        else:
            root = etree.fromstring(shipment.body)
            # where the official XSDs are configured the request must validate against them
            problems = registry.validate(root, stage="request")
            assert [p for p in problems if p.code == "schema.invalid"] == []
            assert from_element(root).importer.country == shipment.importer


def test_skewed_clock_shifts_certificate_dates() -> None:
    """A skewed exporter's certificates carry dates that far from now."""
    (shipment,) = [
        s
        for s in plan_traffic(countries=["AR", "BR"], certificates=20, seed=4, skew_s={"AR": 86400.0})
        if s.body_kind == "json" and s.exporter == "AR"
    ][:1]
    cert = Certificate.model_validate_json(shipment.body)
    assert cert.certification is not None
    assert (cert.certification.date - datetime.now(UTC)).total_seconds() > 80000


def test_more_than_thirteen_countries_is_refused() -> None:
    """Only the 13 ALADI members can issue CODs, so 14 countries is a clear error."""
    assert len(pick_countries(count=13)) == 13
    with pytest.raises(ValueError, match="between 2 and 13"):
        pick_countries(count=14)


def test_presigned_shipments_are_complete_cods_signed_by_both_parties(federation: Federation) -> None:
    """--presigned traffic: every body is stage-3 COD XML with both signatures and its CertificateID named."""
    planned = plan_traffic(countries=["AR", "BR"], certificates=6, seed=5, base_number=4000)
    shipments = presign(shipments=planned, federation=federation)
    assert [s.index for s in shipments] == [s.index for s in planned]
    for before, after in zip(planned, shipments, strict=True):
        assert after.body_kind == "xml" and after.content_type == "application/xml"
        root = etree.fromstring(after.body)
        assert detect_stage(root) == "complete"
        assert len(root.findall(f".//{{{DS}}}Signature")) == 2
        certification = from_element(root).certification
        assert certification is not None and str(certification.certificate_id) == after.certificate_id
        if before.certificate_id is not None:
            assert after.certificate_id == before.certificate_id


def test_presigned_requests_never_take_a_certificate_id_of_the_run(federation: Federation) -> None:
    """A JSON shipment names the CertificateID a request would get: the request is numbered with the next."""
    request, named = plan_traffic(countries=["AR", "BR"], certificates=2, seed=5, xml_share=1.0)
    alone = presign(shipments=[request], federation=federation)[0].certificate_id
    assert alone is not None
    cert = Certificate.model_validate_json(
        plan_traffic(countries=["AR", "BR"], certificates=1, seed=6, xml_share=0.0)[0].body
    )
    assert cert.certification is not None
    cert = cert.model_copy(
        update={"certification": cert.certification.model_copy(update={"certificate_id": alone})}
    )
    holder = dataclasses.replace(
        named, body=cert.model_dump_json().encode(), body_kind="json", certificate_id=alone
    )
    holder = dataclasses.replace(holder, exporter=cert.exporter.country, importer=cert.importer.country)
    signed = presign(shipments=[holder, request], federation=federation)
    given = CertificateID.parse(str(signed[1].certificate_id))
    assert signed[0].certificate_id == alone != signed[1].certificate_id
    assert given.number == f"{(int(CertificateID.parse(alone).number) + 1) % 100_000_000:08d}"


def test_presigning_in_two_processes_numbers_every_request_once(federation: Federation) -> None:
    """Parts signed in two processes: the same request in both parts gets the next number the second
    time, as in one process; every document is complete, both-signed, and verifies."""
    planned = plan_traffic(countries=["AR", "BR"], certificates=5, seed=8, xml_share=1.0)
    twice = [*planned[:3], dataclasses.replace(planned[0], index=5), *planned[3:]]  # parts of 3
    alone = presign(shipments=twice, federation=federation)
    parallel = presign(shipments=twice, federation=federation, workers=2)
    assert [s.index for s in parallel] == [s.index for s in twice]
    assert [s.certificate_id for s in parallel] == [s.certificate_id for s in alone]
    ids = [str(s.certificate_id) for s in parallel]
    assert len(set(ids)) == len(ids)
    first, again = CertificateID.parse(ids[0]), CertificateID.parse(ids[3])
    assert int(again.number) == int(first.number) + 1
    for shipment in parallel:
        root = etree.fromstring(shipment.body)
        assert detect_stage(root) == "complete"
        assert len(root.findall(f".//{{{DS}}}Signature")) == 2
