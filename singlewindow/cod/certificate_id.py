"""The ALADI CertificateID: country + issuing entity + agreement + year + number + rectification."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

#: Member countries accepted by the official XSD pattern of CertificateID (and the Countries type).
COUNTRIES: tuple[str, ...] = ("AR", "BO", "BR", "CL", "CO", "CU", "EC", "MX", "PA", "PE", "PY", "UY", "VE")

#: The official XSD pattern, verbatim (XSD patterns are implicitly anchored).
XSD_PATTERN = (
    "(AR|BO|BR|CO|CU|CL|EC|MX|PA|PY|PE|UY|VE)[A-Za-z0-9]{3}[ACRHGT]{1}[A0-9]{1}[0-9]{3}[A-Za-z0-9]{8}[0-9]{2}"
)
_FULL = re.compile(XSD_PATTERN)
_EH_ID = re.compile(r"[A-Za-z0-9]{3}")
_ACRONYM = re.compile(r"[ACRHGT][A0-9][0-9]")
_NUMBER = re.compile(r"[A-Za-z0-9]{8}")
LENGTH = 20


@dataclass(frozen=True, slots=True)
class CertificateID:
    """A parsed CertificateID, e.g. ``AR004A18170000043000`` = AR · 004 · A18 · 17 · 00000430 · 00.

    ``number`` keeps its 8 characters as written (the pattern allows letters); ``year`` and
    ``rectification`` are two-digit numbers. In pydantic models it (de)serialises as its string.
    """

    country: str
    eh_id: str
    acronym: str
    year: int
    number: str
    rectification: int = 0

    def __post_init__(self) -> None:
        if self.country not in COUNTRIES:
            raise ValueError(f"CertificateID country {self.country!r} is not an ALADI member code")
        if not _EH_ID.fullmatch(self.eh_id):
            raise ValueError(f"CertificateID issuing-entity id {self.eh_id!r} must be 3 letters or digits")
        if not _ACRONYM.fullmatch(self.acronym):
            raise ValueError(
                f"CertificateID agreement acronym {self.acronym!r} must match [ACRHGT][A0-9][0-9]"
                " (e.g. A18, R04)"
            )
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 0 <= self.year <= 99:
            raise ValueError(f"CertificateID year {self.year!r} must be two digits (0..99)")
        if not _NUMBER.fullmatch(self.number):
            raise ValueError(f"CertificateID number {self.number!r} must be 8 letters or digits")
        if (
            isinstance(self.rectification, bool)
            or not isinstance(self.rectification, int)
            or not 0 <= self.rectification <= 99
        ):
            raise ValueError(f"CertificateID rectification {self.rectification!r} must be 0..99")

    @classmethod
    def parse(cls, text: str) -> CertificateID:
        """Parse the 20-character form; raise ValueError naming the first faulty part."""
        if not isinstance(text, str):
            raise ValueError(f"CertificateID must be a string, not {type(text).__name__}")
        if len(text) != LENGTH:
            raise ValueError(f"CertificateID {text!r} must be {LENGTH} characters long, not {len(text)}")
        year, rect = text[8:10], text[18:20]
        if not (year.isascii() and year.isdigit()):
            raise ValueError(f"CertificateID year {year!r} (characters 9-10) must be two digits")
        if not (rect.isascii() and rect.isdigit()):
            raise ValueError(f"CertificateID rectification {rect!r} (characters 19-20) must be two digits")
        parsed = cls(
            country=text[0:2],
            eh_id=text[2:5],
            acronym=text[5:8],
            year=int(year),
            number=text[10:18],
            rectification=int(rect),
        )
        # Belt and braces: the parts checks above are exactly the XSD pattern.
        assert _FULL.fullmatch(text), text
        return parsed

    @classmethod
    def compose(
        cls,
        *,
        country: str,
        eh_id: str,
        acronym: str,
        year: int,
        number: int | str,
        rectification: int = 0,
    ) -> CertificateID:
        """Build from parts; ``year`` may be four digits (2024 → 24), an int ``number`` is zero-padded."""
        if isinstance(year, int) and not isinstance(year, bool) and year >= 100:
            year %= 100
        if isinstance(number, int):
            if isinstance(number, bool) or not 0 <= number <= 99_999_999:
                raise ValueError(f"CertificateID number {number!r} must be 0..99999999")
            number = f"{number:08d}"
        return cls(
            country=country,
            eh_id=eh_id,
            acronym=acronym,
            year=year,
            number=number,
            rectification=rectification,
        )

    def __str__(self) -> str:
        return f"{self.country}{self.eh_id}{self.acronym}{self.year:02d}{self.number}{self.rectification:02d}"

    @property
    def base(self) -> str:
        """The first 18 characters: the same certificate, whatever its rectification."""
        return str(self)[:18]

    def with_rectification(self, rectification: int) -> CertificateID:
        """The same certificate with another rectification code."""
        return CertificateID(
            country=self.country,
            eh_id=self.eh_id,
            acronym=self.acronym,
            year=self.year,
            number=self.number,
            rectification=rectification,
        )

    @classmethod
    def _coerce(cls, value: Any) -> CertificateID:
        if isinstance(value, CertificateID):
            return value
        return cls.parse(value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="always"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": f"^{XSD_PATTERN}$", "examples": ["AR004A18170000043000"]}
