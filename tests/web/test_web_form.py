"""Tests of reading the paper-form fields out of a COD document."""

from __future__ import annotations

from pathlib import Path

from singlewindow.node.web.form import CertificateForm, form_from_xml


def test_sample_certificate_fields(sample_xml: bytes) -> None:
    """Agreement, parties, goods with tariff codes, issuer and certificate date are all read."""
    form = form_from_xml(sample_xml)
    assert form.certificate_id == "AR001A18250000004300"
    assert (form.form, form.agreement_acronym, form.cod_ver) == ("FormA18", "A18", "2.0.0")
    assert form.exporter.country == "AR" and form.importer.country == "BR"
    assert len(form.goods) == 3 and all(line.tariff_code.count(".") == 2 for line in form.goods)
    assert all(line.origin_criterion for line in form.goods)
    assert form.issuer.entity_id == "001" and form.issuer.certificate_date.startswith("2025-03-14")


def test_official_aladi_sample_reads_like_the_paper_form(aladi_dir: Path) -> None:
    """The official ALADI A14 FormA18 sample shows its exporter, goods line and origin rule."""
    form = form_from_xml((aladi_dir / "A14-FormA18-unsigned.xml").read_bytes())
    assert form.exporter.name == "IVECO ARGENTINA SA"
    assert form.exporter.city == "Munro, Vicente López"
    assert form.goods[0].tariff_code == "8408.90.90"
    assert form.goods[0].value == "66810.500000"
    assert form.goods[0].origin_criterion.startswith("XXXVIII Protocolo Adicional")
    assert form.consignee is not None and form.consignee.city == "Piracicaba"
    assert form.currency == "DOLARES ESTADOUNIDENSES"
    assert form.certificate_id == ""  # an exporter's request: no certification yet


def test_non_xml_and_dtd_documents_give_an_empty_form() -> None:
    """Unreadable bytes or a document with a DTD yield an empty form instead of an error or an expansion."""
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><a><COD><CODVer>&x;</CODVer></COD></a>'
    assert form_from_xml(b"not xml") == CertificateForm()
    assert form_from_xml(bomb) == CertificateForm()
