"""Reading the values a verification needs (countries, ids, signing dates) from a COD or CODEH element."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree


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


def _text(element: etree._Element | None, *steps: str) -> str | None:
    if element is None:
        return None
    found = _first(element, steps)
    return None if found is None else text_of(found)


def _form(cod: etree._Element) -> etree._Element | None:
    """The COD's one Form element (None when there are none or several)."""
    forms = [child for child in cod if isinstance(child.tag, str) and child.tag.startswith("Form")]
    return forms[0] if len(forms) == 1 else None


def _cod_values(cod: etree._Element, form: etree._Element | None) -> CODValues:
    return CODValues(
        cod_ver=_text(cod, "CODVer"),
        form=str(form.tag) if form is not None else None,
        exporter_country=_text(form, "Exporter", "ExporterCountry"),
        importer_country=_text(form, "Importer", "ImporterCountry"),
        declaration_date=_text(form, "Declaration", "DeclarationDate"),
    )


def cod_values(cod: etree._Element | None) -> CODValues:
    """Read a COD element (``None`` gives empty values)."""
    if cod is None:
        return CODValues()
    return _cod_values(cod, _form(cod))


def _codeh_values(codeh: etree._Element, cod: CODValues) -> CODEHValues:
    return CODEHValues(
        cod=cod,
        eh_id=_text(codeh, "EH", "EHId"),
        eh_country=_text(codeh, "EH", "EHCountry"),
        certificate_date=_text(codeh, "CertificationEH", "CertificateDate"),
        certificate_id=_text(codeh, "CertificationEH", "CertificateID"),
    )


def codeh_values(codeh: etree._Element | None) -> CODEHValues:
    """Read a CODEH element (``None`` gives empty values)."""
    if codeh is None:
        return CODEHValues()
    return _codeh_values(codeh, cod_values(_first(codeh, ("CODExporter", "COD"))))


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
    cod = _first(codeh, ("CODExporter", "COD"))
    if cod is None:
        return Claimed(_codeh_values(codeh, CODValues()))
    form = _form(cod)
    return Claimed(
        _codeh_values(codeh, _cod_values(cod, form)),
        form=form,
        exporter_name=_text(form, "Exporter", "ExporterBusinessName"),
    )


def parse_date(text: str | None) -> datetime | None:
    """An xs:dateTime as an aware UTC datetime (a value without offset is taken as UTC); None if unusable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
