"""The officials' page shows each form's own sections (producers, FOB values, …) in es/pt/en."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from singlewindow.cod import SchemaRegistry, to_bytes
from singlewindow.cod.generate import example_certificate
from singlewindow.node.web.form import form_from_xml
from singlewindow.node.web.sections import form_sections, render_form_sections

WHEN = datetime(2024, 5, 17, 13, 45, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry(aladi_dir: Path) -> SchemaRegistry:
    """The official schemas (their layouts feed the sections)."""
    return SchemaRegistry.load([aladi_dir])


def _document(registry: SchemaRegistry, cod_ver: str, form: str) -> bytes:
    layout = registry.layout(cod_ver, form)
    assert layout is not None
    return to_bytes(example_certificate(layout, when=WHEN, full=True), stage="request")


def test_producers_are_a_table_with_spanish_labels(registry: SchemaRegistry) -> None:
    """FormA33 at 4.1.0: a Productores table with its confidentiality column."""
    sections = {s.key: s for s in form_sections(_document(registry, "4.1.0", "FormA33"), language="es")}
    producers = sections["producers"]
    assert producers.title == "Productores"
    assert "Confidencialidad" in producers.columns and producers.lines


def test_fob_values_and_country_of_origin_are_shown(registry: SchemaRegistry) -> None:
    """FOB value per line of goods (FormA14) in the goods table's value column, not again among the goods'
    further details; the declared country of origin (FormA24); in Portuguese."""
    document = _document(registry, "4.1.0", "FormA14")
    goods = form_from_xml(document)
    assert goods.value_attr == "item_fob" and goods.goods and all(line.value for line in goods.goods)
    a14 = {s.key: s for s in form_sections(document, language="pt")}
    assert "Valor FOB" not in a14["goods_details"].columns
    a24 = {s.key: s for s in form_sections(_document(registry, "4.1.0", "FormA24"), language="pt")}
    assert ("País de origem", "AR") in a24["declaration"].rows


def test_representative_and_subscriber_render_as_html_in_english(registry: SchemaRegistry) -> None:
    """A form with a representative renders a labelled section; HTML is escaped."""
    layouts = [layout for layout in registry.layouts() if layout.find(layout.body, "representative")]
    assert layouts
    html = str(render_form_sections(_document(registry, layouts[0].cod_ver, layouts[0].form), language="en"))
    assert (
        'data-section="representative"' in html
        and '<h3 id="section-representative">Representative</h3>' in html
    )


def test_the_real_1_8_0_sample_and_unreadable_input(registry: SchemaRegistry, aladi_dir: Path) -> None:
    """The 1.8.0 sample shows no empty sections; a file that is not XML shows none."""
    sample = (aladi_dir / "A14-FormA18-unsigned.xml").read_bytes()
    assert all(s.rows or s.lines for s in form_sections(sample, language="es"))
    assert form_sections(b"not xml", language="es") == ()
    assert str(render_form_sections(b"not xml", language="es")) == ""
