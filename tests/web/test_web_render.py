"""Tests of rendering the result section as a pure function of report, form, status, trail and language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lxml import html
from web.parties import EXPORTER_CONTACT, IMPORTER_CONTACT, NO_EXPORTER_FAX, contact_rows

from singlewindow.cod.generate import example_certificate, example_certification, fit_entity
from singlewindow.cod.model import Certificate
from singlewindow.cod.schemas import SchemaRegistry
from singlewindow.cod.xml import to_bytes
from singlewindow.node.web.form import form_from_xml
from singlewindow.node.web.i18n import Language
from singlewindow.node.web.model import LifecycleState, TrailEvent
from singlewindow.node.web.render import anchor_name, format_date, render_result, step_label
from singlewindow.node.web.sections import render_form_sections
from singlewindow.node.web.verdict import Holding
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
    holding: Holding = "same",
    **extra: Any,
) -> html.HtmlElement:
    markup = render_result(
        report=report,
        form=form_from_xml(data),
        status=status or LifecycleState(),
        trail=TRAIL,
        language=language,
        verify_url=URL,
        holding=holding,
        **extra,
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
        ("2018-09-14T09:24:33.2592964-03:00", "2018-09-14 12:24 UTC+00:00"),
        ("2018-09-12T00:00:00", "2018-09-12"),
        ("2026-11-26T00:00:00-03:00", "2026-11-26"),
        ("2025-01-02T10:00:00Z", "2025-01-02 10:00 UTC+00:00"),
        ("2025-01-02T10:00:00", "2025-01-02 10:00"),
        ("tomorrow", "tomorrow"),
        (datetime(2025, 3, 14, 13, 30, tzinfo=UTC), "2025-03-14 13:30 UTC+00:00"),
        (datetime(2025, 3, 14, 10, 30, tzinfo=timezone(timedelta(hours=-3))), "2025-03-14 13:30 UTC+00:00"),
        (None, ""),
    ],
)
def test_dates_are_shown_for_people(value: str | datetime | None, expected: str) -> None:
    """Every time shows in one zone (UTC by default) with its offset; days and unknown text pass through."""
    assert format_date(value) == expected


def test_times_follow_the_configured_zone() -> None:
    """With a local display zone, times from any offset are converted to it and name its offset."""
    zone = timezone(timedelta(hours=-3))
    assert format_date("2025-01-02T10:00:00Z", zone=zone) == "2025-01-02 07:00 UTC-03:00"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("CN=AR Root CA,O=Ministerio de Economia,C=AR", "AR Root CA (Ministerio de Economia)"),
        ("CN=BR Root CA,C=BR", "BR Root CA"),
        ("O=Camara", "Camara"),
        ("not a name", "not a name"),
    ],
)
def test_trust_anchors_have_readable_names(subject: str, expected: str) -> None:
    """A trust anchor is named by its common name and organisation, not its raw RFC 4514 subject."""
    assert anchor_name(subject) == expected


def test_node_statuses_and_unknown_steps_have_labels() -> None:
    """The node's own statuses have labels in every language, and an unknown step shows as written."""
    assert step_label("received", language="es") == "Recibido y verificado por este nodo"
    assert step_label("submitted", language="pt") == "Apresentado pela aduana"
    assert step_label("PendingDelivery", language="en") == "PendingDelivery"


def test_other_bytes_under_a_held_id_are_not_the_certificate(
    sample_xml: bytes, make_report: ReportFactory
) -> None:
    """A validly signed file that differs from the one held is NOT the certificate, never GENUINE."""
    page = _render(sample_xml, make_report(sample_xml), holding="differs")
    (banner,) = page.find_class("verdict")
    assert banner.get("data-verdict") == "not_held"
    assert "NOT THE CERTIFICATE HELD HERE" in banner.text_content() and "GENUINE" not in banner.text_content()
    assert "differs from the copy this node received" in banner.text_content()
    assert not page.xpath("//div[@class='qr-image']")


def test_a_file_that_never_came_here_has_an_unknown_status(
    sample_xml: bytes, make_report: ReportFactory
) -> None:
    """Valid signatures on a certificate this node never received say the status is unknown here."""
    page = _render(sample_xml, make_report(sample_xml), holding="none")
    (banner,) = page.find_class("verdict")
    assert banner.get("data-verdict") == "unknown"
    assert (
        "STATUS UNKNOWN HERE" in banner.text_content()
        and "in force" not in banner.text_content().split("whether")[0]
    )


def test_not_genuine_result_has_no_paper_copy_qr(sample_xml: bytes, make_report: ReportFactory) -> None:
    """A NOT GENUINE result offers no "check a paper copy" QR code or address."""
    page = _render(sample_xml, make_report(sample_xml, problems=("signature.digest_mismatch",)))
    assert not page.xpath("//section[@class='qr']") and URL not in page.text_content()


def test_cancelled_banner_gives_the_reason(sample_xml: bytes, make_report: ReportFactory) -> None:
    """The CANCELLED banner carries the reason the issuing entity gave."""
    status = LifecycleState(lifecycle="cancelled", reason="issued in error")
    (banner,) = _render(sample_xml, make_report(sample_xml), status=status).find_class("verdict")
    assert "Reason given: issued in error" in " ".join(banner.text_content().split())


def test_result_names_the_file_and_when_and_where_it_was_checked(
    sample_xml: bytes, make_report: ReportFactory
) -> None:
    """The banner names the uploaded file, and which node checked it at what time (kept when printed)."""
    page = _render(
        sample_xml,
        make_report(sample_xml),
        file_name="<b>cert</b>.xml",
        checked_at=datetime(2025, 3, 14, 13, 30, tzinfo=UTC),
        checked_by="BR",
    )
    (banner,) = page.find_class("verdict")
    assert banner.find_class("file-name")[0].text_content() == "File checked: <b>cert</b>.xml"
    assert (
        banner.find_class("checked")[0].text_content() == "Checked by node BR at 2025-03-14 13:30 UTC+00:00"
    )


@pytest.mark.parametrize(
    ("language", "word"), [("es", "Firma heredada"), ("pt", "Assinatura legada"), ("en", "Legacy signature")]
)
def test_a_legacy_sha1_document_carries_a_short_notice(
    sample_xml: bytes, make_report: ReportFactory, language: Language, word: str
) -> None:
    """A document accepted under its issuer's SHA-1 policy says so on the page; others do not."""
    legacy = make_report(sample_xml).model_copy(update={"legacy_sha1": True})
    (notice,) = _render(sample_xml, legacy, language=language).find_class("legacy")
    assert word in notice.text_content()
    assert not _render(sample_xml, make_report(sample_xml), language=language).find_class("legacy")


def _box(page: html.HtmlElement, key: str) -> html.HtmlElement:
    (box,) = page.xpath(f"//section[@aria-labelledby='party-{key}']")
    return box


def _rows(element: html.HtmlElement) -> list[tuple[str, str]]:
    return [
        (field.find("dt").text_content(), field.find("dd").text_content())
        for field in element.find_class("field")
    ]


@pytest.mark.parametrize("name", ["FormA14@4.1.0", "FormA18@1.8.3"])
def test_each_party_box_shows_its_own_contact_details(
    form_requests: dict[str, bytes], make_report: ReportFactory, name: str
) -> None:
    """The exporter's and the importer's telephone, fax, e-mail and website are the last rows of each
    one's own box; a fax the exporter left out has no row, not an empty one."""
    data = form_requests[name]
    page = _render(data, make_report(data))
    exporter = {**EXPORTER_CONTACT, "fax": None} if name == NO_EXPORTER_FAX else EXPORTER_CONTACT
    for key, contact in (("exporter", exporter), ("importer", IMPORTER_CONTACT)):
        rows, expected = _rows(_box(page, key)), contact_rows(contact)
        assert rows[-len(expected) :] == expected, key
        assert all(value for _, value in rows), key
    if name == NO_EXPORTER_FAX:
        assert "Fax" not in dict(_rows(_box(page, "exporter")))


def test_contact_details_are_text_never_links(
    form_requests: dict[str, bytes], make_report: ReportFactory
) -> None:
    """A document's e-mail and website, even one carrying markup or a javascript: address, show as text:
    no link, no script, nothing that runs or navigates when an official clicks it."""
    data = form_requests["FormA14@4.1.0"]
    email = '"><a href="javascript:alert(1)">mail</a>'
    url = "javascript:alert(document.cookie)"
    hostile = data.replace(
        IMPORTER_CONTACT["email"].encode(), email.replace("&", "&amp;").replace("<", "&lt;").encode()
    ).replace(IMPORTER_CONTACT["url"].encode(), url.encode())
    page = _render(hostile, make_report(hostile, problems=("signature.digest_mismatch",)))
    rows = dict(_rows(_box(page, "importer")))
    assert rows["E-mail"] == email and rows["Website"] == url
    assert not page.xpath(
        "//div[@class='parties']//a | //script | //*[@href and contains(@href, 'javascript')]"
    )


@pytest.mark.parametrize(
    ("language", "address", "business_name", "comments", "fob"),
    [
        ("en", "Address", "Business name", "Comments", "FOB value"),
        ("es", "Dirección", "Razón social", "Observaciones", "Valor FOB"),
        ("pt", "Endereço", "Razão social", "Observações", "Valor FOB"),
    ],
)
def test_an_element_has_one_label_across_the_page(
    form_requests: dict[str, bytes],
    make_report: ReportFactory,
    language: Language,
    address: str,
    business_name: str,
    comments: str,
    fob: str,
) -> None:
    """One element, one label in each language: the address and business name in the party boxes and in
    the third-country operator's section, the comments at the form's foot and as their section's title,
    and FormA14's FOB value in the goods table (and only there: not again in the goods' further details)."""
    for name, operator in (("FormA18@1.8.3", "third_operator"), ("FormA59@4.1.0", "op3c")):
        data = form_requests[name]
        page = _render(
            data, make_report(data), language=language, sections=render_form_sections(data, language=language)
        )
        (section,) = page.xpath(f"//section[@data-section='{operator}']")
        for box in ("exporter", "importer", "operator"):
            labels = dict(_rows(section if box == "operator" else _box(page, box)))
            assert address in labels and business_name in labels, (name, box, list(labels))
    data = form_requests["FormA18@1.8.3"]
    page = _render(
        data, make_report(data), language=language, sections=render_form_sections(data, language=language)
    )
    assert comments in dict(_rows(page.find_class("footer-fields")[0]))
    assert page.xpath("//section[@data-section='comments']/h3")[0].text_content() == comments
    data = form_requests["FormA14@4.1.0"]
    page = _render(
        data, make_report(data), language=language, sections=render_form_sections(data, language=language)
    )
    goods = [th.text_content() for th in page.xpath("//table[@class='goods']//th")]
    details = [th.text_content() for th in page.xpath("//section[@data-section='goods_details']//th")]
    assert goods[5] == fob and details and fob not in details


#: the issuing entity's seat and contacts the generated complete documents carry
ISSUER = {
    "address": "Av. Leandro N. Alem 1067",
    "city": "Buenos Aires",
    "telephone": "+54 11 5219-4400",
    "email": "cod@cera.example.org",
    "url": "http://www.cera.example.org",  # the form 1.8.x XSDs want for EHURL
}


@pytest.mark.parametrize(("cod_ver", "form"), [("1.8.0", "FormA18"), ("4.1.0", "FormA14")])
def test_the_issuer_box_shows_its_city_and_contacts(
    aladi_dir: Path, make_report: ReportFactory, cod_ver: str, form: str
) -> None:
    """The issuing entity's city (EHCity at 1.8.x, EHCityLocality later), telephone, e-mail and website
    are shown in its box, the website as text like the parties' (no link)."""
    layout = SchemaRegistry.load([aladi_dir]).layout(cod_ver, form)
    assert layout is not None
    when = datetime(2025, 3, 14, 13, 30, tzinfo=UTC)
    cert = example_certificate(layout, when=when, full=True)
    eh = fit_entity(layout, id="001", country="AR", name="Cámara de Exportadores", **ISSUER)
    complete = Certificate.model_validate(
        {
            **cert.model_dump(mode="json"),
            "eh": eh.model_dump(mode="json", exclude_none=True),
            "certification": example_certification(layout, cert, eh_id="001", when=when),
        }
    )
    data = to_bytes(complete, stage="complete")
    assert (b"<EHCity>" in data) is cod_ver.startswith("1.8")
    page = _render(data, make_report(data))
    (box,) = page.xpath("//section[@aria-labelledby='issuer-heading']")
    rows = dict(_rows(box))
    assert rows["Address"] == ISSUER["address"] and rows["City"] == ISSUER["city"]
    assert rows["Telephone"] == ISSUER["telephone"] and rows["E-mail"] == ISSUER["email"]
    assert rows["Website"] == ISSUER["url"]
    assert not box.xpath(".//a")
