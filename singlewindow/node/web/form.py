"""The certificate laid out like the paper form: the fields an official reads, taken from the COD XML."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from singlewindow.errors import UnusableInput
from singlewindow.xmlsec import parse_xml


@dataclass(frozen=True, kw_only=True)
class Party:
    """An exporter, importer or consignee block of the form."""

    name: str = ""
    country: str = ""
    address: str = ""
    city: str = ""
    #: FormA14's locality, beside its city (forms with one ``CityLocality`` element show it as the city)
    locality: str = ""
    tax_id: str = ""
    # Contact details, shown as plain text: the document is untrusted, so never as links.
    telephone: str = ""
    fax: str = ""
    email: str = ""
    url: str = ""


@dataclass(frozen=True, kw_only=True)
class GoodsLine:
    """One line of the goods table."""

    order_no: str = ""
    tariff_code: str = ""
    description: str = ""
    quantity: str = ""
    unit: str = ""
    value: str = ""
    origin_criterion: str = ""
    invoice_no: str = ""


@dataclass(frozen=True, kw_only=True)
class Invoice:
    """One commercial invoice the certificate covers."""

    number: str = ""
    date: str = ""


@dataclass(frozen=True, kw_only=True)
class IssuingEntity:
    """The issuing entity (EH) and its certification block."""

    entity_id: str = ""
    country: str = ""
    name: str = ""
    address: str = ""
    #: EHCityLocality from 2.0.0; at 1.8.x EHCity, with EHLocality beside it
    city: str = ""
    locality: str = ""
    # Contact details, shown as plain text like the parties' (the document is untrusted).
    telephone: str = ""
    fax: str = ""
    email: str = ""
    url: str = ""
    #: EHComments (4.1.x)
    comments: str = ""
    certificate_date: str = ""
    control_code: str = ""


@dataclass(frozen=True, kw_only=True)
class CertificateForm:
    """Every field the page shows, as plain strings (empty when the document leaves it out)."""

    certificate_id: str = ""
    cod_ver: str = ""
    form: str = ""
    agreement_name: str = ""
    agreement_acronym: str = ""
    exporter: Party = Party()
    importer: Party = Party()
    consignee: Party | None = None
    invoices: tuple[Invoice, ...] = ()
    goods: tuple[GoodsLine, ...] = ()
    #: the layout name of the element the goods' value column shows (``item_fob``: GoodsItemFOB)
    value_attr: str = "value"
    currency: str = ""
    transport: str = ""
    comments: str = ""
    declaration_date: str = ""
    issuer: IssuingEntity = IssuingEntity()


def _text(parent: etree._Element | None, *names: str) -> str:
    """The whitespace-normalised text of the first present child among ``names``."""
    if parent is None:
        return ""
    for name in names:
        child = parent.find(name)
        if child is not None and child.text:
            return " ".join(child.text.split())
    return ""


def _party(element: etree._Element | None, prefix: str) -> Party:
    return Party(
        name=_text(element, f"{prefix}BusinessName"),
        country=_text(element, f"{prefix}Country"),
        address=_text(element, f"{prefix}Address"),
        city=_text(element, f"{prefix}City", f"{prefix}CityLocality"),
        locality=_text(element, f"{prefix}Locality"),
        tax_id=_text(element, f"{prefix}TaxIdentification"),
        telephone=_text(element, f"{prefix}Telephone"),
        fax=_text(element, f"{prefix}Fax"),
        email=_text(element, f"{prefix}Email"),
        url=_text(element, f"{prefix}URL"),
    )


def _goods(element: etree._Element) -> GoodsLine:
    return GoodsLine(
        order_no=_text(element, "GoodsOrderNo"),
        tariff_code=_text(element, "GoodsItemCode"),
        description=_text(element, "GoodsItemName"),
        quantity=_text(element, "GoodsItemWeightAmount"),
        unit=_text(element, "GoodsItemMeasureUnit"),
        value=_text(element, "GoodsItemValue", "GoodsItemFOB"),
        origin_criterion=_text(element, "GoodsItemOriginRules"),
        invoice_no=_text(element, "GoodsInvoiceOrderNo"),
    )


def _form_element(cod: etree._Element | None) -> etree._Element | None:
    if cod is None:
        return None
    for child in cod:
        if isinstance(child.tag, str) and child.tag.startswith("Form"):
            return child
    return None


def form_from_xml(data: bytes) -> CertificateForm:
    """Read the paper-form fields of a COD; a document that is not XML yields an empty form."""
    try:
        # The project's one hardened parser: no DTD, no entities, no network, size cap.
        root = parse_xml(data)
    except UnusableInput:
        return CertificateForm()
    # Signatures pin #COD and #CODEH; the verifier rejects duplicated ids, so the first is the signed one.
    cod = next(iter(root.iter("COD")), None)
    codeh = next(iter(root.iter("CODEH")), None)
    form = _form_element(cod)
    eh = codeh.find("EH") if codeh is not None else None
    certification = codeh.find("CertificationEH") if codeh is not None else None
    agreement = cod.find("Agreement") if cod is not None else None
    comments = form.find("Comments") if form is not None else None
    transport = form.find("Transport") if form is not None else None
    consignee = form.find("Consignee") if form is not None else None
    goods = tuple(form.iter("Goods")) if form is not None else ()
    # A form's goods carry either GoodsItemValue or GoodsItemFOB (never both, per the XSDs).
    fob = any(g.find("GoodsItemFOB") is not None for g in goods) and not any(
        g.find("GoodsItemValue") is not None for g in goods
    )
    return CertificateForm(
        certificate_id=_text(certification, "CertificateID"),
        cod_ver=_text(cod, "CODVer"),
        form=form.tag if form is not None else "",
        agreement_name=_text(agreement, "AgreementName"),
        agreement_acronym=_text(agreement, "AgreementAcronym"),
        exporter=_party(form.find("Exporter") if form is not None else None, "Exporter"),
        importer=_party(form.find("Importer") if form is not None else None, "Importer"),
        consignee=_party(consignee, "Consignee") if consignee is not None else None,
        invoices=tuple(
            Invoice(number=_text(i, "InvoiceNo"), date=_text(i, "InvoiceDate"))
            for i in (form.iter("Invoice") if form is not None else ())
        ),
        goods=tuple(_goods(g) for g in goods),
        value_attr="item_fob" if fob else "value",
        currency=_text(comments, "LocalCurrency"),
        transport=" · ".join(
            t
            for t in (
                _text(transport, "TransportMeans"),
                _text(transport, "TransportPortOfLoading"),
                _text(transport, "TransportCountryDestination"),
            )
            if t
        ),
        comments=_text(comments, "GeneralComments"),
        declaration_date=_text(form.find("Declaration") if form is not None else None, "DeclarationDate"),
        issuer=IssuingEntity(
            entity_id=_text(eh, "EHId"),
            country=_text(eh, "EHCountry"),
            name=_text(eh, "EHName"),
            address=_text(eh, "EHAddress"),
            city=_text(eh, "EHCityLocality", "EHCity"),
            locality=_text(eh, "EHLocality"),
            telephone=_text(eh, "EHTelephone"),
            fax=_text(eh, "EHFax"),
            email=_text(eh, "EHEmail"),
            url=_text(eh, "EHURL"),
            comments=_text(eh, "EHComments"),
            certificate_date=_text(certification, "CertificateDate"),
            control_code=_text(certification, "CertificateControlCode"),
        ),
    )
