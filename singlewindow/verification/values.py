"""Reading the values a verification needs (countries, ids, signing dates) from a COD or CODEH element."""

from __future__ import annotations

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


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None:
        return None
    # itertext joins text split by comments, so a value reads the same as it was digested.
    return "".join(str(part) for part in found.itertext()).strip()


def cod_values(cod: etree._Element | None) -> CODValues:
    """Read a COD element (``None`` gives empty values)."""
    if cod is None:
        return CODValues()
    forms = [child for child in cod if isinstance(child.tag, str) and child.tag.startswith("Form")]
    form = forms[0] if len(forms) == 1 else None
    return CODValues(
        cod_ver=_text(cod, "CODVer"),
        form=str(form.tag) if form is not None else None,
        exporter_country=_text(form, "Exporter/ExporterCountry"),
        importer_country=_text(form, "Importer/ImporterCountry"),
        declaration_date=_text(form, "Declaration/DeclarationDate"),
    )


def codeh_values(codeh: etree._Element | None) -> CODEHValues:
    """Read a CODEH element (``None`` gives empty values)."""
    if codeh is None:
        return CODEHValues()
    return CODEHValues(
        cod=cod_values(codeh.find("CODExporter/COD")),
        eh_id=_text(codeh, "EH/EHId"),
        eh_country=_text(codeh, "EH/EHCountry"),
        certificate_date=_text(codeh, "CertificationEH/CertificateDate"),
        certificate_id=_text(codeh, "CertificationEH/CertificateID"),
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
