"""Where each model field sits in the XML of each supported form and CODVer, and whether it is required.

A layout is data, read by the XML writer, the XML reader and the model validator alike, so the
three cannot drift apart. It transcribes the official XSDs (element order, minOccurs, and the
``maxOccurs="0"`` fields that a form forbids). Adding a form or a version means adding a layout.

The notable difference between versions: at CODVer 4.1.0, FormA18 follows the MERCOSUR origin
regime — a mandatory Subscriber, invoices and goods without count elements, goods with a mandatory
GoodsDeclarationDate and GoodsDeclarationNumber, a reduced Importer and Transport, no Consignee,
and a Declaration without DeclarationRequestNo. FormR252 only renames ExporterCityLocality to
ExporterCity; EH gains an optional EHComments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FormName = Literal["FormR252", "FormA18"]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A simple element holding the value of model attribute ``attr``."""

    tag: str
    attr: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    """A complex element holding the part in model attribute ``attr``."""

    tag: str
    attr: str
    children: tuple[Node, ...]
    required: bool = False


@dataclass(frozen=True, slots=True)
class Repeated:
    """A list element: optional count element, then one ``item_tag`` per item of ``attr`` (1..n)."""

    tag: str
    attr: str
    item_tag: str
    children: tuple[Node, ...]
    count_tag: str | None = None
    required: bool = True


Node = Leaf | Group | Repeated


@dataclass(frozen=True, slots=True)
class FormLayout:
    """The body of one form at one CODVer, and the EH section that goes with that CODVer."""

    cod_ver: str
    form: FormName
    body: tuple[Node, ...]
    eh: tuple[Node, ...]


def _req(tag: str, attr: str) -> Leaf:
    return Leaf(tag, attr, required=True)


def _opt(tag: str, attr: str) -> Leaf:
    return Leaf(tag, attr)


def _contact(prefix: str) -> tuple[Leaf, ...]:
    return (
        _opt(f"{prefix}Telephone", "telephone"),
        _opt(f"{prefix}Fax", "fax"),
        _opt(f"{prefix}Email", "email"),
        _opt(f"{prefix}URL", "url"),
    )


_DECLARATION = Group(
    "Declaration",
    "declaration",
    (
        _req("DeclarationDate", "date"),
        _opt("DeclarationRequestNo", "request_no"),
        _req("Affidavit", "affidavit"),
    ),
    required=True,
)

_CERTIFICATION: tuple[Node, ...] = (
    _opt("CertificateControlCode", "control_code"),
    _req("CertificateDate", "date"),
    _req("CertificateID", "certificate_id"),
)

_EH_200: tuple[Node, ...] = (
    _req("EHId", "id"),
    _req("EHCountry", "country"),
    _req("EHName", "name"),
    _req("EHAddress", "address"),
    _req("EHCityLocality", "city"),
    _opt("EHTelephone", "telephone"),
    _opt("EHFax", "fax"),
    _opt("EHEmail", "email"),
    _req("EHURL", "url"),
)
_EH_410: tuple[Node, ...] = (*_EH_200, _opt("EHComments", "comments"))


def _r252(city_tag: str, eh: tuple[Node, ...], cod_ver: str) -> FormLayout:
    body: tuple[Node, ...] = (
        Group(
            "Exporter",
            "exporter",
            (
                _req("ExporterCountry", "country"),
                _req("ExporterBusinessName", "business_name"),
                _opt("ExporterAddress", "address"),
                _opt(city_tag, "city"),
                *_contact("Exporter"),
            ),
            required=True,
        ),
        Repeated(
            "Invoices",
            "invoices",
            "Invoice",
            (_req("InvoiceOrderNo", "order_no"), _opt("InvoiceNo", "number"), _opt("InvoiceDate", "date")),
            count_tag="InvoiceQty",
        ),
        Repeated(
            "GoodsList",
            "goods",
            "Goods",
            (
                _req("GoodsOrderNo", "order_no"),
                _opt("GoodsInvoiceOrderNo", "invoice_order_no"),
                _req("GoodsItemCode", "item_code"),
                _req("GoodsItemName", "item_name"),
                _opt("GoodsItemWeightAmount", "weight_amount"),
                _opt("GoodsItemMeasureUnit", "measure_unit"),
                _req("GoodsItemOriginRules", "origin_rules"),
                _opt("GoodsDeclarationDate", "declaration_date"),
            ),
            count_tag="GoodsQty",
        ),
        Group(
            "Importer",
            "importer",
            (
                _req("ImporterCountry", "country"),
                _opt("ImporterBusinessName", "business_name"),
                _opt("ImporterAddress", "address"),
                _opt("ImporterCity", "city"),
                *_contact("Importer"),
            ),
            required=True,
        ),
        Group(
            "Comments",
            "comments",
            (
                _opt("GeneralComments", "general"),
                Group(
                    "Op3cComments",
                    "op3c",
                    (
                        _opt("Op3cStatement", "statement"),
                        _opt("Op3cBusinessName", "business_name"),
                        _opt("Op3cAddress", "address"),
                        _opt("Op3cCountry", "country"),
                    ),
                ),
            ),
        ),
        _DECLARATION,
    )
    return FormLayout(cod_ver=cod_ver, form="FormR252", body=body, eh=eh)


_A18_200 = FormLayout(
    cod_ver="2.0.0",
    form="FormA18",
    eh=_EH_200,
    body=(
        Group(
            "Exporter",
            "exporter",
            (
                _req("ExporterCountry", "country"),
                _req("ExporterBusinessName", "business_name"),
                _req("ExporterAddress", "address"),
                *_contact("Exporter"),
            ),
            required=True,
        ),
        Repeated(
            "Invoices",
            "invoices",
            "Invoice",
            (_req("InvoiceOrderNo", "order_no"), _req("InvoiceNo", "number"), _req("InvoiceDate", "date")),
            count_tag="InvoiceQty",
        ),
        Repeated(
            "GoodsList",
            "goods",
            "Goods",
            (
                _req("GoodsOrderNo", "order_no"),
                _opt("GoodsInvoiceOrderNo", "invoice_order_no"),
                _req("GoodsItemCode", "item_code"),
                _req("GoodsItemName", "item_name"),
                _req("GoodsItemWeightAmount", "weight_amount"),
                _req("GoodsItemMeasureUnit", "measure_unit"),
                _req("GoodsItemValue", "value"),
                _req("GoodsItemOriginRules", "origin_rules"),
                _opt("GoodsDeclarationDate", "declaration_date"),
            ),
            count_tag="GoodsQty",
        ),
        Group(
            "Importer",
            "importer",
            (
                _req("ImporterCountry", "country"),
                _req("ImporterBusinessName", "business_name"),
                _req("ImporterAddress", "address"),
                _opt("ImporterCity", "city"),
                *_contact("Importer"),
            ),
            required=True,
        ),
        Group(
            "Consignee",
            "consignee",
            (
                _opt("ConsigneeCountry", "country"),
                _opt("ConsigneeBusinessName", "business_name"),
                _opt("ConsigneeAddress", "address"),
                _opt("ConsigneeCity", "city"),
            ),
        ),
        Group(
            "Transport",
            "transport",
            (
                _req("TransportPortOfLoading", "port_of_loading"),
                _req("TransportMeans", "means"),
                _req("TransportCountryDestination", "country_destination"),
            ),
            required=True,
        ),
        Group(
            "Comments",
            "comments",
            (
                _opt("GeneralComments", "general"),
                _opt("PACComments", "pac"),
                Group(
                    "ThirdOpComments",
                    "third_operator",
                    (
                        _opt("ThirdOpStatement", "statement"),
                        _opt("ThirdOpCountry", "country"),
                        _opt("ThirdOpBusinessName", "business_name"),
                        _opt("ThirdOpAddress", "address"),
                        _opt("ThirdOpInvoiceNo", "invoice_no"),
                        _opt("ThirdOpInvoiceDate", "invoice_date"),
                    ),
                ),
                _opt("HSVer", "hs_version"),
            ),
        ),
        _DECLARATION,
    ),
)

_A18_410 = FormLayout(
    cod_ver="4.1.0",
    form="FormA18",
    eh=_EH_410,
    body=(
        Group(
            "Exporter",
            "exporter",
            (
                _req("ExporterCountry", "country"),
                _req("ExporterBusinessName", "business_name"),
                _req("ExporterAddress", "address"),
                _req("ExporterCity", "city"),
                _req("ExporterTelephone", "telephone"),
                _req("ExporterEmail", "email"),
            ),
            required=True,
        ),
        Group(
            "Subscriber", "subscriber", (_req("SubscriberSubmitterName", "submitter_name"),), required=True
        ),
        Repeated(
            "Invoices", "invoices", "Invoice", (_req("InvoiceNo", "number"), _req("InvoiceDate", "date"))
        ),
        Repeated(
            "GoodsList",
            "goods",
            "Goods",
            (
                _req("GoodsOrderNo", "order_no"),
                _req("GoodsItemCode", "item_code"),
                _req("GoodsItemName", "item_name"),
                _req("GoodsItemWeightAmount", "weight_amount"),
                _req("GoodsItemMeasureUnit", "measure_unit"),
                _req("GoodsItemValue", "value"),
                _req("GoodsItemOriginRules", "origin_rules"),
                _req("GoodsDeclarationDate", "declaration_date"),
                _req("GoodsDeclarationNumber", "declaration_number"),
            ),
        ),
        Group(
            "Importer",
            "importer",
            (
                _req("ImporterCountry", "country"),
                _req("ImporterBusinessName", "business_name"),
                _req("ImporterAddress", "address"),
                _req("ImporterCity", "city"),
            ),
            required=True,
        ),
        Group("Transport", "transport", (_req("TransportPortOfLoading", "port_of_loading"),), required=True),
        Group(
            "Comments",
            "comments",
            (
                _opt("GeneralComments", "general"),
                _opt("PACComments", "pac"),
                Group(
                    "ThirdOpComments",
                    "third_operator",
                    (
                        _opt("ThirdOpStatement", "statement"),
                        _opt("ThirdOpCountry", "country"),
                        _opt("ThirdOpBusinessName", "business_name"),
                        _opt("ThirdOpAddress", "address"),
                        _opt("ThirdOpCity", "city"),
                    ),
                ),
                _opt("HSVer", "hs_version"),
            ),
        ),
        Group(
            "Declaration",
            "declaration",
            (_req("DeclarationDate", "date"), _req("Affidavit", "affidavit")),
            required=True,
        ),
    ),
)

#: Every supported (CODVer, form).
LAYOUTS: dict[tuple[str, str], FormLayout] = {
    (lay.cod_ver, lay.form): lay
    for lay in (
        _r252("ExporterCityLocality", _EH_200, "2.0.0"),
        _r252("ExporterCity", _EH_410, "4.1.0"),
        _A18_200,
        _A18_410,
    )
}
CERTIFICATION: tuple[Node, ...] = _CERTIFICATION


def layout_for(cod_ver: str, form: str) -> FormLayout:
    """The layout of ``form`` at ``cod_ver``; KeyError naming what is supported otherwise."""
    try:
        return LAYOUTS[(cod_ver, form)]
    except KeyError:
        supported = ", ".join(f"{f}@{v}" for v, f in sorted(LAYOUTS))
        raise KeyError(f"no model for {form} at CODVer {cod_ver} (supported: {supported})") from None
