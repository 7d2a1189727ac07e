"""Simple COD values against the facets of a layout: XML text ⇄ Python, strict JSON input, facet checks."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from pydantic import TypeAdapter, ValidationError

from singlewindow.cod.certificate_id import CertificateID
from singlewindow.cod.layouts import Facets
from singlewindow.cod.types import DateTime

_SPACES = re.compile(r"[ \t\n\r]+")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_DATETIME: TypeAdapter[datetime] = TypeAdapter(DateTime)
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Value = str | int | bool | Decimal | datetime | date


def collapse(text: str) -> str:
    """xs:token whitespace: runs of spaces, tabs and line ends become one space, none at the ends."""
    return _SPACES.sub(" ", text).strip(" ")


def to_text(value: object) -> str:
    """The XML lexical form of a model value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | str | CertificateID):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as XML text")


def from_text(text: str, facets: Facets) -> Value:
    """XML text → the Python value of its kind (raises ValueError with a plain message)."""
    return convert(text, facets)


def convert(value: object, facets: Facets) -> Value:
    """A JSON or XML value → the Python value of the facets' kind, strictly (``true`` is no integer)."""
    kind = facets.kind
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError("must be an integer, not true/false")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            return int(value.strip())
        raise ValueError("must be an integer")
    if kind == "decimal":
        if isinstance(value, bool):
            raise ValueError("must be a decimal number, not true/false")
        if isinstance(value, Decimal | int):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, str) and _DECIMAL.match(value.strip()):
            try:
                return Decimal(value.strip())
            except InvalidOperation:
                pass
        raise ValueError("must be a decimal number such as 1234.50")
    if kind == "dateTime":
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and "T" in value:
            try:
                return _DATETIME.validate_python(value.strip())
            except ValidationError:
                pass
        raise ValueError("must be a date and time such as 2024-05-02T10:30:00-03:00")
    if kind == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError("must be a date such as 2024-05-02")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip() in ("true", "false", "1", "0"):
            return value.strip() in ("true", "1")
        raise ValueError("must be true or false")
    if not isinstance(value, str):
        raise ValueError("must be a string")
    bad = _NOT_XML.search(value)
    if bad:
        raise ValueError(f"character U+{ord(bad.group()):04X} cannot be carried in XML")
    return collapse(value) if kind == "token" else value


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # an XSD-only regex construct: libxml2 still checks it at validation


def check(value: object, facets: Facets) -> str | None:
    """Why ``value`` (already converted) breaks the facets, or None when it fits."""
    text = to_text(value)
    if facets.kind in ("string", "token"):
        length = len(text)
        if facets.min_length is not None and length < facets.min_length:
            return f"must be at least {facets.min_length} characters long"
        if facets.max_length is not None and length > facets.max_length:
            return f"must be at most {facets.max_length} characters long"
    if facets.enumeration and text not in facets.enumeration:
        return f"must be one of {', '.join(facets.enumeration)}"
    for pattern in facets.patterns:
        regex = _regex(pattern)
        if regex is not None and not regex.fullmatch(text):
            return f"does not match the pattern {pattern}"
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        number = Decimal(value)
        if facets.min_inclusive is not None and number < facets.min_inclusive:
            return f"must be at least {facets.min_inclusive}"
        if facets.max_inclusive is not None and number > facets.max_inclusive:
            return f"must be at most {facets.max_inclusive}"
        if facets.min_exclusive is not None and number <= facets.min_exclusive:
            return f"must be more than {facets.min_exclusive}"
        if facets.max_exclusive is not None and number >= facets.max_exclusive:
            return f"must be less than {facets.max_exclusive}"
        if isinstance(value, Decimal) and (facets.total_digits or facets.fraction_digits is not None):
            _, digits, exponent = value.normalize().as_tuple()
            assert isinstance(exponent, int)
            fraction = max(0, -exponent)
            total = max(len(digits), fraction)
            if facets.fraction_digits is not None and fraction > facets.fraction_digits:
                return f"must have at most {facets.fraction_digits} decimals"
            if facets.total_digits is not None and total > facets.total_digits:
                return f"must have at most {facets.total_digits} digits"
    return None
