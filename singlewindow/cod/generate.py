"""Certificates generated from a derived layout alone: a valid request of ANY form at ANY configured CODVer.

Used to exercise every (form, CODVer) pair the configured XSDs define, and to fit the issuing
entity's data (EH) to the EH section of a version (EHLocality/EHCity at 1.8.x, EHCityLocality
from 2.0.0, EHComments at 4.1.x, and the URL pattern of each).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from singlewindow.cod.certificate_id import CertificateID
from singlewindow.cod.layouts import Facets, FormLayout, Group, Leaf, Node
from singlewindow.cod.model import Certificate
from singlewindow.cod.parts import EH
from singlewindow.cod.samples import demo_exporter
from singlewindow.cod.values import check, convert

# Realistic text by JSON name; anything else gets a generic phrase cut to the facets.
_TEXT = {
    "business_name": "Exportadora del Plata S.A.",
    "address": "Av. Corrientes 1234, piso 5",
    "city": "Buenos Aires",
    "locality": "San Nicolás",
    "tax_identification": "30-71234567-9",
    "submitter_name": "María José Fernández",
    "submitter_title": "Apoderada",
    "item_name": "Cueros curtidos de bovino, plena flor, sin dividir",
    "measure_unit": "KGM",
    "origin_rules": "Decisión CMC N° 01/09, Art. 3, literal c) — salto de partida",
    "number": "0001-00012345",
    "invoice_no": "0001-00012345",
    "port_of_loading": "Buenos Aires",
    "means": "Marítimo",
    "general": "Embarque parcial 1 de 4.",
    "affidavit": "Declaramos que las mercaderías cumplen las condiciones de origen del Acuerdo.",
    "comments": "Certificado emitido en forma digital.",
    "hs_version": "NCM 2022 (SA 2022)",
    "local_currency": "DOLARES ESTADOUNIDENSES",
    "name": "Cámara de Exportadores de la República Argentina",
    "telephone": "+54 11 4555-1234",
    "fax": "+54 11 4555-1235",
    "email": "comex@exportadora.com",
    "url": "http://www.exportadora.com.ar",
    "item_code": "4107.12.20",
}
_CANDIDATES = (
    "comex@exportadora.com",
    "+54 11 4555-1234",
    "http://www.exportadora.com.ar",
    "8408.90.90",
    "4107.12.20",
    "001",
    "PA",
)
_ALWAYS = frozenset({"exporter", "importer", "goods", "declaration"})
_IMPORTER_SIDE = ("importer", "consignee", "transport.country_destination")


def _string(path: str, attr: str, facets: Facets, *, exporter: str, importer: str) -> str:
    if facets.enumeration:
        wanted = importer if path.startswith(_IMPORTER_SIDE) else exporter
        return wanted if wanted in facets.enumeration else facets.enumeration[0]
    options = [_TEXT[attr]] if attr in _TEXT else []
    options += [*_CANDIDATES, "Texto de ejemplo"]
    for option in options:
        text = option
        if facets.max_length is not None:
            text = text[: facets.max_length].rstrip()
        if facets.min_length is not None and len(text) < facets.min_length:
            text = text.ljust(facets.min_length, "x")
        if check(text, facets) is None:
            return text
    raise ValueError(f"no example value for {path} (facets {facets})")


def example_value(path: str, facets: Facets, *, exporter: str, importer: str, when: datetime) -> Any:
    """A value of the facets' kind that fits them, realistic where the JSON name says what it is."""
    attr = path.rpartition(".")[2].removesuffix("[]")
    kind = facets.kind
    if kind == "integer":
        low = 1
        if facets.min_inclusive is not None:
            low = max(low, int(facets.min_inclusive))
        if facets.min_exclusive is not None:
            low = max(low, int(facets.min_exclusive) + 1)
        return low
    if kind == "decimal":
        value = (
            Decimal("1250.5")
            if (facets.fraction_digits or 0) >= 1 or facets.fraction_digits is None
            else Decimal(1250)
        )
        return value
    if kind == "dateTime":
        return when
    if kind == "date":
        return when.date()
    if kind == "boolean":
        return True
    return _string(path, attr, facets, exporter=exporter, importer=importer)


def _fill(
    nodes: tuple[Node, ...], path: str, *, full: bool, exporter: str, importer: str, when: datetime
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in nodes:
        if not (node.required or full or (not path and node.attr in _ALWAYS)):
            continue
        here = f"{path}{node.attr}"
        if isinstance(node, Leaf):
            out[node.attr] = example_value(here, node.facets, exporter=exporter, importer=importer, when=when)
        elif isinstance(node, Group):
            out[node.attr] = _fill(
                node.children, f"{here}.", full=full, exporter=exporter, importer=importer, when=when
            )
        else:
            count = max(node.min_items, 1)
            if node.item is not None:
                out[node.attr] = [
                    example_value(f"{here}[]", node.item, exporter=exporter, importer=importer, when=when)
                ] * count
            else:
                item = _fill(
                    node.children, f"{here}[].", full=full, exporter=exporter, importer=importer, when=when
                )
                out[node.attr] = [item] * count
    return out


def example_certificate(
    layout: FormLayout,
    *,
    exporter_country: str = "AR",
    importer_country: str = "BR",
    when: datetime | None = None,
    full: bool = False,
    acronym: str | None = None,
) -> Certificate:
    """A request (no eh, no certification) of the layout's form: required fields, or all if ``full``."""
    moment = (when or datetime.now(UTC)).replace(microsecond=0)
    body = _fill(
        layout.body, "", full=full, exporter=exporter_country, importer=importer_country, when=moment
    )
    if isinstance(body.get("exporter"), dict) and "business_name" in body["exporter"]:
        # the exporter the country's demo PKI certifies, as the samples name it
        body["exporter"]["business_name"] = demo_exporter(exporter_country)
    digits = "".join(ch for ch in layout.form if ch.isdigit())
    data = {
        "cod_ver": layout.cod_ver,
        "submitter_type": "EXP",
        "agreement": {
            "name": f"Acuerdo de Complementación Económica N° {digits or '18'}",
            "acronym": acronym or _acronym(layout.form, digits),
        },
        "form": layout.form,
        **body,
    }
    return Certificate.model_validate(data)


def _acronym(form: str, digits: str) -> str:
    if form == "FormR252":
        return "R04"  # the regional preference agreement (PAR), certified under Resolution 252
    if digits and int(digits) < 100:
        return f"{form[4]}{int(digits):02d}"
    return "A18"


def fit_entity(
    layout: FormLayout,
    *,
    id: str,  # the EH's JSON name
    country: str,
    name: str,
    address: str,
    city: str,
    url: str,
    telephone: str | None = None,
    email: str | None = None,
    comments: str | None = None,
) -> EH:
    """The issuing entity's data laid out for the EH section of ``layout``'s CODVer, cut to its facets."""
    wanted: dict[str, Any] = {
        "id": id,
        "country": country,
        "name": name,
        "address": address,
        "city": city,
        "locality": city,
        "url": url,
        "telephone": telephone,
        "email": email,
        "comments": comments,
    }
    data: dict[str, Any] = {}
    for node in layout.eh:
        value = wanted.get(node.attr)
        if value is None or not isinstance(node, Leaf):
            continue
        if node.attr == "url" and check(value, node.facets) is not None:
            host = value.split("://", 1)[-1].removeprefix("www.")
            value = f"http://www.{host}"
        if isinstance(value, str) and node.facets.max_length is not None:
            value = value[: node.facets.max_length].rstrip()
        data[node.attr] = convert(value, node.facets)
    if "city" in data and "locality" in data:
        del data["locality"]  # 1.8.x carries both, optional: the city says it
    return EH.model_validate(data)


def example_certification(
    layout: FormLayout, cert: Certificate, *, eh_id: str, when: datetime
) -> dict[str, Any]:
    """CertificationEH data for ``cert`` (a composed CertificateID), as JSON."""
    certificate_id = CertificateID.compose(
        country=cert.exporter.country, eh_id=eh_id, acronym=cert.agreement.acronym, year=when.year, number=1
    )
    del layout
    return {"date": when.isoformat(), "certificate_id": str(certificate_id)}
