"""Reading the values a verification needs (countries, ids, signing dates) from a COD or CODEH element."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from lxml import etree

from singlewindow.xmlsec.xpath import ThreadXPath


@dataclass(frozen=True)
class CODValues:
    """Values of the exporter's COD element (what the exporter signs)."""

    cod_ver: str | None = None
    form: str | None = None
    exporter_country: str | None = None
    importer_country: str | None = None
    declaration_date: str | None = None


@dataclass(frozen=True)
class CODEHValues:
    """Values of the CODEH element (what the official signs): the COD's plus EH and certification."""

    cod: CODValues = CODValues()
    eh_id: str | None = None
    eh_country: str | None = None
    certificate_date: str | None = None
    certificate_id: str | None = None


def _first(element: etree._Element, steps: tuple[str, ...]) -> etree._Element | None:
    """What ``element.find("/".join(steps))`` finds, by tag-filtered child iteration (no path parsing)."""
    head, rest = steps[0], steps[1:]
    for child in element.iterchildren(head):
        found = _first(child, rest) if rest else child
        if found is not None:
            return found
    return None


def every(element: etree._Element, *steps: str) -> Iterator[etree._Element]:
    """What ``element.iterfind("/".join(steps))`` yields, by tag-filtered child iteration."""
    head, rest = steps[0], steps[1:]
    for child in element.iterchildren(head):
        if rest:
            yield from every(child, *rest)
        else:
            yield child


def text_of(element: etree._Element) -> str:
    """The element's text value, stripped (``itertext`` joins text split by comments)."""
    if not len(element):  # no child node at all: the text is the whole value
        return (element.text or "").strip()
    # itertext joins text split by comments, so a value reads the same as it was digested.
    return "".join(str(part) for part in element.itertext()).strip()


# Each reader below is one compiled XPath union of child paths (elements without namespace, as
# ``find`` of those paths). A union comes back in document order, so the first element of each name
# is what ``find`` of its path gives: every name below is reached by one path only.
_CODEH_PATHS = ThreadXPath(
    "EH/EHId | EH/EHCountry | CertificationEH/CertificateDate | CertificationEH/CertificateID"
    " | CODExporter/COD"
)
#: CODVer, and every child whose tag (no namespace) starts with "Form"
_COD_PATHS = ThreadXPath("CODVer | *[namespace-uri() = '' and starts-with(local-name(), 'Form')]")
_FORM_PATHS = ThreadXPath(
    "Exporter/ExporterCountry | Exporter/ExporterBusinessName | Importer/ImporterCountry"
    " | Declaration/DeclarationDate"
)


def select(path: ThreadXPath, element: etree._Element) -> list[etree._Element]:
    """What a compiled XPath that selects elements only selects from ``element``, in document order."""
    return cast(list[etree._Element], path(element))


def _firsts(path: ThreadXPath, element: etree._Element) -> dict[str, etree._Element]:
    """The first element of each tag the union ``path`` selects from ``element``."""
    first: dict[str, etree._Element] = {}
    for node in select(path, element):
        tag = str(node.tag)
        if tag not in first:
            first[tag] = node
    return first


def _texts(first: dict[str, etree._Element], *tags: str) -> list[str | None]:
    return [text_of(first[tag]) if tag in first else None for tag in tags]


def _cod_parts(cod: etree._Element) -> tuple[str | None, etree._Element | None]:
    """The COD's CODVer text and its one Form element (None when there are none or several)."""
    cod_ver, forms = None, []
    for node in select(_COD_PATHS, cod):
        if node.tag == "CODVer":
            if cod_ver is None:
                cod_ver = text_of(node)
        else:
            forms.append(node)
    return cod_ver, (forms[0] if len(forms) == 1 else None)


def _read_cod(cod: etree._Element) -> tuple[CODValues, etree._Element | None, str | None]:
    """The COD's values, its Form and the exporter's declared name."""
    cod_ver, form = _cod_parts(cod)
    if form is None:
        return CODValues(cod_ver=cod_ver), None, None
    country, name, importer, declared = _texts(
        _firsts(_FORM_PATHS, form),
        "ExporterCountry",
        "ExporterBusinessName",
        "ImporterCountry",
        "DeclarationDate",
    )
    values = CODValues(
        cod_ver=cod_ver,
        form=str(form.tag),
        exporter_country=country,
        importer_country=importer,
        declaration_date=declared,
    )
    return values, form, name


def cod_values(cod: etree._Element | None) -> CODValues:
    """Read a COD element (``None`` gives empty values)."""
    if cod is None:
        return CODValues()
    return _read_cod(cod)[0]


def _read_codeh(codeh: etree._Element) -> tuple[CODEHValues, etree._Element | None, str | None]:
    first = _firsts(_CODEH_PATHS, codeh)
    eh_id, eh_country, certificate_date, certificate_id = _texts(
        first, "EHId", "EHCountry", "CertificateDate", "CertificateID"
    )
    cod = first.get("COD")
    values, form, name = _read_cod(cod) if cod is not None else (CODValues(), None, None)
    return (
        CODEHValues(
            cod=values,
            eh_id=eh_id,
            eh_country=eh_country,
            certificate_date=certificate_date,
            certificate_id=certificate_id,
        ),
        form,
        name,
    )


def codeh_values(codeh: etree._Element | None) -> CODEHValues:
    """Read a CODEH element (``None`` gives empty values)."""
    if codeh is None:
        return CODEHValues()
    return _read_codeh(codeh)[0]


@dataclass(frozen=True)
class Claimed:
    """What a CODEH claims before any signature is verified: its values, its Form, the exporter's name."""

    values: CODEHValues
    form: etree._Element | None = None
    exporter_name: str | None = None


def read_claimed(codeh: etree._Element | None) -> Claimed:
    """Read a CODEH element once for the pipeline (``None`` gives empty values)."""
    if codeh is None:
        return Claimed(CODEHValues())
    return Claimed(*_read_codeh(codeh))


def parse_date(text: str | None) -> datetime | None:
    """An xs:dateTime as an aware UTC datetime (a value without offset is taken as UTC); None if unusable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
