"""Constrained scalar types of the COD fields, mirroring the simple types of the official XSDs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from singlewindow.cod.certificate_id import COUNTRIES

Country = Literal["AR", "BO", "BR", "CL", "CO", "CU", "EC", "MX", "PA", "PE", "PY", "UY", "VE"]
SubmitterType = Literal["EXP", "REP", "APO"]
Stage = Literal["request", "exporter_signed", "complete"]
STAGES: tuple[Stage, ...] = ("request", "exporter_signed", "complete")

assert set(COUNTRIES) == set(get_args(Country))

# Characters XML 1.0 can carry (tab, LF, CR and the usual planes); anything else cannot round-trip.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACES = re.compile(r"[ \t\n\r]+")


def _xml_chars(value: str) -> str:
    bad = _NOT_XML.search(value)
    if bad:
        raise ValueError(f"character U+{ord(bad.group()):04X} cannot be carried in XML")
    return value


def _collapse(value: object) -> object:
    # xs:token semantics: the schema collapses whitespace, so the model stores the collapsed form.
    if isinstance(value, str):
        return _SPACES.sub(" ", value).strip(" ")
    return value


def _fixed_decimal(value: Decimal) -> Decimal:
    # Exponent forms (1E+2) are not valid xs:decimal lexical forms: keep a plain positional form.
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return Decimal(format(value, "f"))


def _strict_datetime(value: object) -> object:
    # "an integer is not a date": no Unix timestamps, no date-only strings, only xs:dateTime text.
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and "T" in value:
        return value.strip()
    raise ValueError("must be a date and time such as 2024-05-02T10:30:00-03:00")


def _strict_int(value: object) -> object:
    # "true is not an integer"
    if isinstance(value, bool | float):
        raise ValueError("must be an integer")
    if isinstance(value, str) and not re.match(r"^\s*[+-]?[0-9]+\s*$", value):
        raise ValueError("must be an integer")
    return value


def _strict_decimal(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a decimal number, not true/false")
    return value


def _strict_bool(value: object) -> object:
    # xs:boolean: true/false (or 1/0 as XML text); JSON numbers and "yes" are not booleans
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip() in ("true", "false", "1", "0"):
        return value.strip() in ("true", "1")
    raise ValueError("must be true or false")


def _xsd_datetime(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is not None:
        if offset % timedelta(minutes=1):
            raise ValueError("time zone offset must be whole minutes")
        if abs(offset) > timedelta(hours=14):
            raise ValueError("time zone offset must be within ±14:00")
    return value


_COLLAPSE = BeforeValidator(_collapse)
_XML = AfterValidator(_xml_chars)

Token16 = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=16), _XML]
Token32 = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=32), _XML]
Token36 = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=36), _XML]
Token50 = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=50), _XML]
Token70 = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=70), _XML]
Token256 = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=256), _XML]
Token2048 = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=2048), _XML]
OpCountry = Annotated[str, _COLLAPSE, StringConstraints(min_length=1, max_length=2), _XML]
#: xs:string 1..256 (addresses, free text): kept verbatim.
Text256 = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_xml_chars)]
#: xs:string 0..2048 (comments, affidavit): kept verbatim.
CommentText = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_xml_chars)]
AgreementName = Annotated[str, StringConstraints(min_length=3, max_length=256), AfterValidator(_xml_chars)]
ControlCode = Annotated[str, StringConstraints(max_length=32), AfterValidator(_xml_chars)]

Telephone = Annotated[
    str,
    StringConstraints(
        pattern=r"^((\d|\+\d)(\d{0,2}))?[-. (]*(\d{1,3})[-. )]*(\d{3,4})[-. ]*(\d{4})([ xi](\d+))?$"
    ),
]
Email = Annotated[
    str,
    StringConstraints(
        max_length=50, pattern=r"^[a-zA-Z0-9._%+-]{1,16}[^\n\r]{1,}@[^\n\r]{1,}[a-zA-Z0-9._%+-]{1,}$"
    ),
    AfterValidator(_xml_chars),
]
HttpURL = Annotated[str, StringConstraints(pattern=r"^(http|https)?://[^\n\r]*$"), AfterValidator(_xml_chars)]
ItemCode = Annotated[
    str,
    StringConstraints(
        pattern=r"^([0-9]{4}\.[0-9]{2}|[0-9]{4}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{1}\.[0-9]{2}"
        r"|[0-9]{4}\.[0-9]{2}\.[0-9]{2}\.[0-9]{2}[0-9]{2})$"
    ),
]
EHId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3}$")]
CODVersion = Annotated[str, StringConstraints(max_length=8, pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")]

OrderNo = Annotated[int, BeforeValidator(_strict_int), Field(ge=1, lt=100_000)]
XsdBool = Annotated[bool, BeforeValidator(_strict_bool)]
Weight = Annotated[
    Decimal,
    BeforeValidator(_strict_decimal),
    Field(gt=0, max_digits=16, decimal_places=4, le=Decimal("9999999999999999.9999")),
    AfterValidator(_fixed_decimal),
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_strict_decimal),
    Field(gt=0, max_digits=18, decimal_places=2, le=Decimal("999999999999999999.99")),
    AfterValidator(_fixed_decimal),
]
DateTime = Annotated[datetime, BeforeValidator(_strict_datetime), AfterValidator(_xsd_datetime)]
FormTag = Annotated[str, StringConstraints(pattern=r"^Form[A-Z][A-Za-z0-9]*$", max_length=32)]
Acronym = Annotated[str, StringConstraints(pattern=r"^[ACRHGT][A0-9][0-9]$")]
