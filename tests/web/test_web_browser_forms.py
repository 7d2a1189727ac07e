"""Browser tests of each form's own sections: the real 1.8.0 sample and forms of other CODVers, as read."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from web.browsing import look_up, overflow, playwright_or_skip, shot, signed_in_context
from web.parties import CONTACT_LABELS, EXPORTER_CONTACT, IMPORTER_CONTACT, NO_EXPORTER_FAX, contact_rows

from singlewindow.cod.samples import demo_exporter

playwright_api = playwright_or_skip()
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect

#: a time as the page writes every time: in one zone, with its offset
AT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\+00:00$")
AFFIDAVIT = "Declaramos que las mercaderías cumplen las condiciones de origen del Acuerdo."
OPERATOR = {"Business name": "Exportadora del Plata S.A.", "Address": "Av. Corrientes 1234, piso 5"}
# The FOB value is the goods table's value column, not a further detail.
GOODS = ("No.", "Invoice (order no.)", "Declaration date"), [("1", "1", AT)]
DECLARATION = [("Request number", "1"), ("Affidavit", AFFIDAVIT)]

# What an official reads in each document's own sections, in order: key, title, label/value rows,
# and for a table its columns and lines. Derived from the official XSD of the form's CODVer.
SECTIONS: dict[
    str, list[tuple[str, str, list[tuple[str, Any]], tuple[tuple[str, ...], list[Any]] | None]]
] = {
    "sample": [
        ("goods_details", "Goods: further details", [], (("No.", "Declaration date"), [("1", "2018-09-12")])),
    ],
    "FormA14@4.1.0": [
        ("goods_details", "Goods: further details", [], GOODS),
        ("declaration", "Declaration", DECLARATION, None),
    ],
    "FormA59@4.1.0": [
        ("goods_details", "Goods: further details", [], GOODS),
        (
            "op3c",
            "Third-country operator",
            [
                ("Third-country invoicing", "Yes"),
                *OPERATOR.items(),
                ("Country", "co"),
                ("Invoice date", AT),
                ("Invoice number", "0001-00012345"),
            ],
            None,
        ),
        ("declaration", "Declaration", DECLARATION, None),
    ],
    "FormA6@2.0.0": [
        ("goods_details", "Goods: further details", [], GOODS),
        (
            "third_operator",
            "Third-country operator (ThirdOpComments)",
            [
                ("Third-country invoicing", "Yes"),
                ("Country", "co"),
                *OPERATOR.items(),
                ("Invoice number", "0001-00012345"),
                ("Invoice date", AT),
            ],
            None,
        ),
        (
            "op3c",
            "Third-country operator (Op3cComments)",
            [("Third-country invoicing", "Yes"), *OPERATOR.items(), ("Country", "co")],
            None,
        ),
        ("declaration", "Declaration", DECLARATION, None),
    ],
    "FormA18@1.8.3": [
        ("goods_details", "Goods: further details", [], GOODS),
        ("comments", "Comments", [("HS version", "NCM 2022 (SA 2022)")], None),
        ("pac_inputs", "Inputs (PAC)", [("No.", "1"), ("Comment", "comex@exportadora.com")], None),
        (
            "third_operator",
            "Third-country operator",
            [
                ("Third-country invoicing", "Yes"),
                ("Country", "co"),
                *OPERATOR.items(),
                ("Invoice number", "0001-00012345"),
                ("Invoice date", AT),
            ],
            None,
        ),
        ("declaration", "Declaration", [("Request number", "1")], None),
    ],
}

# The header and the exporter as the common part shows them (the 1.8.0 sample's are the published values).
HEADER = {
    "sample": ("A14 — ACE14 (Brasil)", "FormA18", "1.8.0"),
    "FormA14@4.1.0": ("A14 — Acuerdo de Complementación Económica N° 14", "FormA14", "4.1.0"),
    "FormA59@4.1.0": ("A59 — Acuerdo de Complementación Económica N° 59", "FormA59", "4.1.0"),
    "FormA6@2.0.0": ("A06 — Acuerdo de Complementación Económica N° 6", "FormA6", "2.0.0"),
    "FormA18@1.8.3": ("A18 — Acuerdo de Complementación Económica N° 18", "FormA18", "1.8.3"),
}
EXPORTER = {
    "sample": [
        ("Address", "Cnel Int.A.Avalos 2829-Ed.1;P4"),
        ("City", "Munro, Vicente López"),
        ("Country", "AR"),
    ],
    # FormA14 alone has a locality beside the city
    "FormA14@4.1.0": [
        ("Address", "Av. Corrientes 1234, piso 5"),
        ("City", "Buenos Aires"),
        ("Locality", "San Nicolás"),
        ("Country", "AR"),
        *contact_rows(EXPORTER_CONTACT),
    ],
    # FormA6 at 2.0.0 has one ExporterCityLocality
    "FormA6@2.0.0": [
        ("Address", "Av. Corrientes 1234, piso 5"),
        ("City", "Buenos Aires"),
        ("Country", "AR"),
        *contact_rows(EXPORTER_CONTACT),
    ],
    # this exporter gives no fax: no row for it
    "FormA18@1.8.3": [
        ("Address", "Av. Corrientes 1234, piso 5"),
        ("City", "Buenos Aires"),
        ("Country", "AR"),
        *contact_rows({**EXPORTER_CONTACT, "fax": None}),
    ],
}
DOCUMENTS = list(SECTIONS)


@pytest.fixture(scope="module")
def form_ids(form_documents: dict[str, bytes]) -> dict[str, str]:
    """The CertificateID of each document of another form or version the live node holds."""
    ids = {}
    for name, data in form_documents.items():
        found = re.search(rb"<CertificateID>([^<]+)</CertificateID>", data)
        assert found is not None, name
        ids[name] = found.group(1).decode()
    assert sorted(ids) == sorted(DOCUMENTS)
    return ids


def _expect_rows(box: Any, rows: list[tuple[str, Any]]) -> None:
    """The box's label/value rows are exactly ``rows``, in order."""
    expect(box.locator(".field dt")).to_have_text([name for name, _ in rows])
    expect(box.locator(".field dd")).to_have_text([value for _, value in rows])


def _expect_genuine_first(page: Page) -> None:
    """The result starts with the GENUINE verdict, above the certificate."""
    verdict = page.locator("#result > :first-child")
    expect(verdict).to_have_attribute("data-verdict", "genuine")
    expect(verdict.locator(".word")).to_have_text("GENUINE")
    banner, card = verdict.bounding_box(), page.locator(".certificate").bounding_box()
    assert banner is not None and card is not None and banner["y"] + banner["height"] <= card["y"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_form_shows_its_own_sections(page: Page, form_ids: dict[str, str], name: str) -> None:
    """Looking up a document of another form or CODVer shows GENUINE first, then the form's header, and
    exactly its own sections, labelled, with the values of the fields only that form has."""
    look_up(page, form_ids[name])
    _expect_genuine_first(page)
    expect(page.locator(".header-fields dd")).to_have_text(list(HEADER[name]))
    if name in EXPORTER:
        exporter = [("Business name", demo_exporter("AR")), *EXPORTER[name]]
        _expect_rows(page.locator("section[aria-labelledby='party-exporter']"), exporter)
    sections = page.locator(".certificate .form-section")
    expect(sections).to_have_count(len(SECTIONS[name]))
    expect(sections.locator("h3")).to_have_text([title for _, title, _, _ in SECTIONS[name]])
    for key, title, rows, table in SECTIONS[name]:
        section = page.get_by_role("region", name=title, exact=True).and_(sections)
        expect(section).to_have_attribute("data-section", key)
        _expect_rows(section, rows)
        if table is None:
            expect(section.locator("table")).to_have_count(0)
            continue
        columns, lines = table
        grid = page.get_by_role("table").and_(section.locator("table"))
        expect(grid.locator("thead th")).to_have_text(list(columns))
        expect(grid.locator("tbody tr")).to_have_count(len(lines))
        for row, line in zip(grid.locator("tbody tr").all(), lines, strict=True):
            expect(row.locator("td")).to_have_text(list(line))
    shot(page, f"form-{name.replace('@', '-')}")


def test_the_1_8_0_sample_shows_its_published_values(page: Page, form_ids: dict[str, str]) -> None:
    """The real sample's consignee, invoice, goods line, currency and transport read as published."""
    look_up(page, form_ids["sample"])
    _expect_rows(
        page.locator("section[aria-labelledby='party-consignee']"),
        [
            ("Business name", "CNH INDUSTRIAL BRASIL LTDA-Piracicaba"),
            ("Address", "RUA JOSE COELHO PRATTES JR 1020-Distrito Industrial Unileste"),
            ("City", "Piracicaba"),
            ("Country", "BR"),
        ],
    )
    expect(page.locator("table.invoices tbody td")).to_have_text(["0200-00002657", "2018-09-12"])
    cells = page.locator("table.goods tbody td")
    expect(cells.nth(1)).to_have_text("8408.90.90")
    expect(cells.nth(3)).to_have_text("4500.000000")
    expect(cells.nth(4)).to_have_text("UNIDADES")
    expect(cells.nth(5)).to_have_text("66810.500000")
    expect(cells.nth(6)).to_contain_text("ACE 14 - Titulo III - ARTICULO 16")
    _expect_rows(
        page.locator(".footer-fields"),
        [
            ("Currency", "DOLARES ESTADOUNIDENSES"),
            ("Transport", "Terrestre · CORDOBA · BR"),
            ("Comments", re.compile(r"^TRIGESIMO OCTAVO PROTOCOLO ADICIONAL .* N° ACE 14$")),
            ("Declaration date", AT),
        ],
    )


@pytest.mark.parametrize(
    ("language", "sample_titles", "a6_titles", "yes"),
    [
        (
            "es",
            ["Mercaderías: más datos"],
            ["Operador de un tercer país (ThirdOpComments)", "Operador de un tercer país (Op3cComments)"],
            "Sí",
        ),
        (
            "pt",
            ["Mercadorias: mais dados"],
            ["Operador de terceiro país (ThirdOpComments)", "Operador de terceiro país (Op3cComments)"],
            "Sim",
        ),
    ],
)
def test_sections_are_labelled_in_spanish_and_portuguese(
    page: Page,
    form_ids: dict[str, str],
    language: str,
    sample_titles: list[str],
    a6_titles: list[str],
    yes: str,
) -> None:
    """In Spanish and Portuguese the sections' titles, columns, labels and yes/no values are translated."""
    page.goto(f"/verify?certificate_id={form_ids['sample']}&lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".form-section h3")).to_have_text(sample_titles)
    date = {"es": "Fecha de la declaración", "pt": "Data da declaração"}[language]
    expect(page.locator(".form-section thead th")).to_have_text(["N.º", date])
    page.goto(f"/verify?certificate_id={form_ids['FormA6@2.0.0']}")
    operators = page.locator(".form-section").filter(has=page.locator("dd", has_text=yes))
    expect(operators.locator("h3")).to_have_text(a6_titles)
    statement = {"es": "Facturación por tercer país", "pt": "Faturamento por terceiro país"}[language]
    expect(operators.locator(".field").filter(has_text=statement).locator("dd")).to_have_text([yes, yes])
    declaration = {"es": "Declaración jurada", "pt": "Declaração juramentada"}[language]
    expect(page.locator(".form-section[data-section='declaration'] dt")).to_contain_text([declaration])
    shot(page, f"form-FormA6-2.0.0-{language}")


@pytest.fixture(scope="module")
def phone(browser: Browser, live_url: str, official_token: str) -> Iterator[Page]:
    """One signed-in tab the size of a phone (390 × 844) for the module."""
    tab = signed_in_context(
        browser, live_url, official_token, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    yield tab
    tab.context.close()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_phone_shows_the_verdict_first_and_scrolls_each_table(
    phone: Page, form_ids: dict[str, str], name: str
) -> None:
    """At 390 px the verdict is on the first screen above the forms, the page never scrolls sideways,
    and every table (the form's own ones too) scrolls inside its card when it is wider."""
    look_up(phone, form_ids[name])
    _expect_genuine_first(phone)
    banner, forms = phone.locator(".verdict").bounding_box(), phone.locator(".searches").bounding_box()
    assert banner is not None and forms is not None and banner["y"] < forms["y"] and banner["y"] < 844
    assert overflow(phone) <= 0
    card = phone.locator(".certificate").bounding_box()
    assert card is not None
    scrollers = phone.locator(".certificate .table-scroll")
    expect(scrollers.filter(has=phone.locator(".form-section-table"))).to_have_count(
        sum(table is not None for *_, table in SECTIONS[name])
    )
    wider = 0
    for scroller in scrollers.all():
        box = scroller.bounding_box()
        assert (
            box is not None and box["x"] >= card["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
        )
        assert scroller.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        if scroller.evaluate("e => e.scrollWidth > e.clientWidth"):
            wider += 1
            assert scroller.evaluate("e => { e.scrollLeft = 40; return e.scrollLeft }") > 0
    assert wider >= 1, "at 390 px at least the goods table is wider than its card"
    shot(phone, f"phone-form-{name.replace('@', '-')}")


def _expect_contact_rows(box: Any, contact: Mapping[str, str | None], language: str = "en") -> None:
    """The box's telephone, fax, e-mail and website rows are exactly those ``contact`` gives, in order."""
    names = "|".join(re.escape(label) for label in CONTACT_LABELS[language].values())
    fields = box.locator(".field").filter(has=box.page.locator("dt", has_text=re.compile(f"^({names})$")))
    rows = contact_rows(contact, language=language)
    expect(fields.locator("dt")).to_have_text([name for name, _ in rows])
    expect(fields.locator("dd")).to_have_text([value for _, value in rows])


@pytest.mark.parametrize("name", ["FormA14@4.1.0", "FormA18@1.8.3"])
def test_contact_details_show_in_their_party_box_as_text(
    page: Page, form_ids: dict[str, str], name: str
) -> None:
    """The exporter's and the importer's telephone, fax, e-mail and website show in each one's own box,
    as text and never as a link a forged document could plant; a fax the exporter left out has no row."""
    look_up(page, form_ids[name])
    exporter = page.locator("section[aria-labelledby='party-exporter']")
    importer = page.locator("section[aria-labelledby='party-importer']")
    given = {**EXPORTER_CONTACT, "fax": None} if name == NO_EXPORTER_FAX else EXPORTER_CONTACT
    for box, contact in ((exporter, given), (importer, IMPORTER_CONTACT)):
        _expect_contact_rows(box, contact)
    expect(page.locator(".parties a")).to_have_count(0)
    expect(page.locator(".certificate").get_by_role("link")).to_have_count(0)
    expect(importer.get_by_text(IMPORTER_CONTACT["url"], exact=True)).to_have_count(1)
    shot(page, f"contacts-{name.replace('@', '-')}")


@pytest.mark.parametrize(
    ("language", "words", "old"),
    [
        ("en", ("Business name", "Address", "Country", "Comments"), "Observations"),
        ("es", ("Razón social", "Dirección", "País", "Observaciones"), "Domicilio"),
        ("pt", ("Razão social", "Endereço", "País", "Observações"), "Identificação fiscal"),
    ],
)
def test_an_element_reads_the_same_in_every_part_of_the_page(
    page: Page, form_ids: dict[str, str], language: str, words: tuple[str, ...], old: str
) -> None:
    """In en, es and pt a business name, address and country are labelled alike in the party boxes and in
    the third-country operator's section, and the comments alike at the form's foot and as their section's
    title; the contact rows are translated too."""
    page.goto(f"/verify?certificate_id={form_ids['FormA18@1.8.3']}&lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    *party_words, comments = words
    operator = page.locator(".form-section[data-section='third_operator'] dt")
    for box in ("exporter", "importer", "consignee"):
        labels = page.locator(f"section[aria-labelledby='party-{box}'] dt")
        for word in party_words:
            exact = re.compile(f"^{re.escape(word)}$")
            expect(labels.filter(has_text=exact)).to_have_count(1)
            expect(operator.filter(has_text=exact)).to_have_count(1)
    expect(page.locator(".footer-fields dt").filter(has_text=re.compile(f"^{comments}$"))).to_have_count(1)
    expect(page.locator(".form-section[data-section='comments'] h3")).to_have_text(comments)
    expect(page.locator(".certificate")).not_to_contain_text(old)
    importer = page.locator("section[aria-labelledby='party-importer']")
    _expect_contact_rows(importer, IMPORTER_CONTACT, language)
    shot(page, f"labels-FormA18-1.8.3-{language}")
