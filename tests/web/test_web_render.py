"""Tests of rendering the result section as a pure function of report, form, status, trail and language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from lxml import html

from singlewindow.node.web.form import form_from_xml
from singlewindow.node.web.i18n import Language
from singlewindow.node.web.model import LifecycleState, TrailEvent
from singlewindow.node.web.render import format_date, render_result, step_label
from singlewindow.verification.report import VerificationReport

if TYPE_CHECKING:
    from conftest import ReportFactory

URL = "https://node-br.example/verify?certificate_id=AR001A18250000004300"
TRAIL = (
    TrailEvent(step="issued", at=datetime(2025, 3, 14, 13, 30, tzinfo=UTC)),
    TrailEvent(step="accepted", at=datetime(2025, 3, 14, 13, 31, tzinfo=UTC), detail="HUB-000123"),
    TrailEvent(step="delivered", at=datetime(2025, 3, 14, 13, 32, tzinfo=UTC)),
    TrailEvent(step="receipt", at=datetime(2025, 3, 14, 13, 32, tzinfo=UTC)),
)


def _render(
    data: bytes,
    report: VerificationReport,
    *,
    status: LifecycleState | None = None,
    language: Language = "en",
) -> html.HtmlElement:
    markup = render_result(
        report=report,
        form=form_from_xml(data),
        status=status or LifecycleState(),
        trail=TRAIL,
        language=language,
        verify_url=URL,
    )
    return html.fragment_fromstring(str(markup), create_parent="div")


@pytest.mark.parametrize(
    ("problems", "status", "kind", "word", "icon"),
    [
        ((), LifecycleState(), "genuine", "AUTÉNTICO", "✔"),
        (("signature.digest_mismatch",), LifecycleState(), "not_genuine", "NO AUTÉNTICO", "✖"),
        ((), LifecycleState(lifecycle="cancelled"), "cancelled", "ANULADO", "⊘"),
        (
            (),
            LifecycleState(lifecycle="rectified", replaced_by="AR001A18250000004301"),
            "rectified",
            "RECTIFICADO",
            "↻",
        ),
    ],
)
def test_banner_has_word_colour_class_and_icon(
    sample_xml: bytes,
    make_report: ReportFactory,
    problems: tuple[str, ...],
    status: LifecycleState,
    kind: str,
    word: str,
    icon: str,
) -> None:
    """Each verdict shows its word, its colour class and its icon together, so none is read alone."""
    page = _render(sample_xml, make_report(sample_xml, problems=problems), status=status, language="es")
    (banner,) = page.find_class("verdict")
    assert f"verdict-{kind}" in banner.classes and banner.get("role") == "status"
    assert banner.find_class("icon")[0].text_content() == icon
    assert word in banner.find_class("verdict-word")[0].text_content()


def test_not_genuine_lists_reasons_and_warns_content_is_unproven(
    sample_xml: bytes, make_report: ReportFactory
) -> None:
    """A tampered certificate's banner lists its reasons, and the form is marked as not proven."""
    page = _render(sample_xml, make_report(sample_xml, problems=("signature.digest_mismatch", "registry.05")))
    reasons = [li.text_content() for li in page.find_class("reasons")[0]]
    assert reasons == [
        "The content was changed after it was signed.",
        "The official's registry check failed: official disabled.",
    ]
    assert page.find_class("unproven")


def test_rectified_links_to_the_newer_certificate(sample_xml: bytes, make_report: ReportFactory) -> None:
    """A rectified certificate links to the verification page of the one that replaced it."""
    status = LifecycleState(lifecycle="rectified", replaced_by="AR001A18250000004301")
    page = _render(sample_xml, make_report(sample_xml), status=status)
    (link,) = page.find_class("newer")
    assert link.get("href") == "/verify?certificate_id=AR001A18250000004301"


def test_form_signatures_trail_and_qr_are_laid_out(sample_xml: bytes, make_report: ReportFactory) -> None:
    """The goods table, both signers with registry code, the four trail steps and a QR SVG all render."""
    page = _render(sample_xml, make_report(sample_xml), language="pt")
    goods_rows = page.xpath("//table[@class='goods']/tbody/tr")
    assert (
        len(goods_rows) == 3
        and goods_rows[0].xpath("td[@class='mono tariff']")[0].text_content().count(".") == 2
    )
    signatures = page.find_class("signature")
    assert [s.find("h3").text_content() for s in signatures] == [
        "Exportador",
        "Funcionário da entidade emissora",
    ]
    assert "00 válido: funcionário habilitado" in signatures[1].text_content()
    steps = [
        li.find_class("step-name")[0].text_content() for li in page.xpath("//section[@class='trail']//li")
    ]
    assert steps == ["Emitido", "Aceito pelo hub", "Entregue a este nó", "Recibo assinado enviado"]
    assert page.xpath("//div[@class='qr-image']//path") and page.find_class("url")[0].text_content() == URL


def test_document_text_is_escaped(sample_xml: bytes, make_report: ReportFactory) -> None:
    """Markup inside a document's fields is shown as text and never becomes part of the page."""
    hostile = sample_xml.replace(
        b"<GoodsItemName>", b"<GoodsItemName>&lt;script&gt;alert(1)&lt;/script&gt;", 1
    )
    page = _render(hostile, make_report(hostile, problems=("signature.digest_mismatch",)))
    assert not page.xpath("//script")
    assert "<script>alert(1)</script>" in page.xpath("//table[@class='goods']//td")[2].text_content()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-09-14T09:24:33.2592964-03:00", "2018-09-14 09:24 -03:00"),
        ("2018-09-12T00:00:00", "2018-09-12"),
        ("2026-11-26T00:00:00-03:00", "2026-11-26"),
        ("2025-01-02T10:00:00Z", "2025-01-02 10:00 UTC"),
        ("tomorrow", "tomorrow"),
        (datetime(2025, 3, 14, 13, 30, tzinfo=UTC), "2025-03-14 13:30 UTC"),
        (None, ""),
    ],
)
def test_dates_are_shown_for_people(value: str | datetime | None, expected: str) -> None:
    """XML and Python dates render as day, minutes and zone; unknown text passes through unchanged."""
    assert format_date(value) == expected


def test_node_statuses_and_unknown_steps_have_labels() -> None:
    """The node's own statuses have labels in every language, and an unknown step shows as written."""
    assert step_label("received", language="es") == "Recibido y verificado por este nodo"
    assert step_label("submitted", language="pt") == "Apresentado pela aduana"
    assert step_label("PendingDelivery", language="en") == "PendingDelivery"
