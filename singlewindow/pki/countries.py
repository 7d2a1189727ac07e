"""The ALADI member countries a federation may contain, and validation of their codes."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: ALADI member countries (ISO 3166-1 alpha-2) and their names.
ALADI_COUNTRIES: dict[str, str] = {
    "AR": "Argentina",
    "BO": "Bolivia",
    "BR": "Brasil",
    "CL": "Chile",
    "CO": "Colombia",
    "CU": "Cuba",
    "EC": "Ecuador",
    "MX": "México",
    "PA": "Panamá",
    "PE": "Perú",
    "PY": "Paraguay",
    "UY": "Uruguay",
    "VE": "Venezuela",
}

_CODE = re.compile(r"[A-Z]{2}")


def check_country_code(code: str) -> str:
    """Return ``code`` when it is an ALADI member's two-letter code, else raise ValueError."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"invalid country code {code!r}: expected two uppercase letters, e.g. AR")
    if code not in ALADI_COUNTRIES:
        known = " ".join(sorted(ALADI_COUNTRIES))
        raise ValueError(f"country {code!r} is not an ALADI member (one of: {known})")
    return code


def check_country_codes(codes: Iterable[str]) -> list[str]:
    """Validate a list of country codes: each an ALADI member, no duplicates, at least one."""
    result = [check_country_code(code) for code in codes]
    if not result:
        raise ValueError("at least one country is required")
    duplicates = sorted({code for code in result if result.count(code) > 1})
    if duplicates:
        raise ValueError(f"duplicate country codes: {', '.join(duplicates)}")
    return result
