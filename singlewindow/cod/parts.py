"""The parts of a COD (parties, invoices, goods, transport, comments, declaration, EH data).

Each part types the fields most forms share; which fields a form uses, and which it requires, is
the job of the layouts derived from the official XSDs (:mod:`singlewindow.cod.layouts`). A part
also carries, as extra JSON fields, every form-specific element its layout defines (FOB values,
producer confidentiality, …): the layout converts and checks those by their XSD facets.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from singlewindow.cod.certificate_id import CertificateID
from singlewindow.cod.types import (
    Acronym,
    AgreementName,
    Amount,
    CommentText,
    ControlCode,
    Country,
    DateTime,
    EHId,
    Email,
    HttpURL,
    ItemCode,
    OpCountry,
    OrderNo,
    Telephone,
    Text256,
    Token16,
    Token32,
    Token36,
    Token50,
    Token70,
    Token256,
    Token2048,
    Weight,
    XsdBool,
)


class Part(BaseModel):
    """Base of every COD part: immutable; extra fields are checked against the form's layout."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Agreement(Part):
    """The trade agreement: name and ALADI acronym (A18 = MERCOSUR ACE 18, R04 = PAR …)."""

    name: AgreementName
    acronym: Acronym


class Exporter(Part):
    """The exporter (``city`` is ExporterCity, or ExporterCityLocality where the form says so)."""

    country: Country
    business_name: Token256
    address: Text256 | None = None
    city: Token50 | None = None
    tax_identification: Token32 | None = None
    telephone: Telephone | None = None
    fax: Telephone | None = None
    email: Email | None = None
    url: HttpURL | None = None


class Subscriber(Part):
    """Who signs the request on the exporter's behalf (FormA18 from CODVer 4.x)."""

    submitter_name: Token256


class Producer(Part):
    """A producer of the goods, for forms that list producers."""

    order_no: OrderNo | None = None
    country: Country | None = None
    business_name: Token256 | None = None
    address: Text256 | None = None
    city: Token50 | None = None
    tax_identification: Token32 | None = None


class Invoice(Part):
    """A commercial invoice covering the goods."""

    order_no: OrderNo | None = None
    number: Token36 | None = None
    date: DateTime | None = None


class Goods(Part):
    """One line of goods: tariff code, description, quantity, value, origin rule."""

    order_no: OrderNo | None = None
    invoice_order_no: OrderNo | None = None
    item_code: ItemCode | None = None
    item_name: Token2048 | None = None
    weight_amount: Weight | None = None
    measure_unit: Token16 | None = None
    value: Amount | None = None
    origin_rules: Token256 | None = None
    declaration_date: DateTime | None = None
    declaration_number: OrderNo | None = None


class Importer(Part):
    """The importer in the country of destination."""

    country: Country
    business_name: Token256 | None = None
    address: Text256 | None = None
    city: Token50 | None = None
    tax_identification: Token32 | None = None
    telephone: Telephone | None = None
    fax: Telephone | None = None
    email: Email | None = None
    url: HttpURL | None = None


class Consignee(Part):
    """The consignee, when not the importer."""

    country: Country | None = None
    business_name: Token256 | None = None
    address: Text256 | None = None
    city: Token50 | None = None


class Transport(Part):
    """Port of loading, means of transport, country of destination."""

    port_of_loading: Token70 | None = None
    means: Token50 | None = None
    country_destination: Country | None = None


class ThirdOperator(Part):
    """A third-country operator invoicing the goods (ThirdOpComments)."""

    statement: XsdBool | None = None
    country: OpCountry | None = None
    business_name: Token256 | None = None
    address: Text256 | None = None
    city: Token50 | None = None
    invoice_no: Token36 | None = None
    invoice_date: DateTime | None = None


class Op3c(Part):
    """An operator of a third country (Op3cComments, general regime)."""

    statement: XsdBool | None = None
    business_name: Token256 | None = None
    address: Text256 | None = None
    country: OpCountry | None = None


class Comments(Part):
    """Observations of the certificate."""

    general: CommentText | None = None
    pac: CommentText | None = None
    third_operator: ThirdOperator | None = None
    op3c: Op3c | None = None
    hs_version: Text256 | None = None


class Declaration(Part):
    """The exporter's sworn declaration; ``date`` (DeclarationDate) is the exporter's signing time."""

    date: DateTime | None = None
    request_no: OrderNo | None = None
    affidavit: CommentText | None = None


class EH(Part):
    """The issuing entity (Entidad Habilitada) that certifies the origin."""

    id: EHId
    country: Country
    name: Token256
    address: Text256
    city: Token50 | None = None
    locality: Token50 | None = None
    telephone: Telephone | None = None
    fax: Telephone | None = None
    email: Email | None = None
    url: HttpURL | None = None
    comments: CommentText | None = None


class Certification(Part):
    """The official's certification; ``date`` (CertificateDate) is the official's signing time."""

    control_code: ControlCode | None = None
    date: DateTime
    certificate_id: CertificateID
