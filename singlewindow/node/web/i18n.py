"""Labels of the verification page in English, Spanish and Portuguese, and choosing the language."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final, Literal, get_args

from singlewindow.errors import CODES

Language = Literal["en", "es", "pt"]
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
LANGUAGE_NAMES: Final[dict[Language, str]] = {"en": "English", "es": "Español", "pt": "Português"}

Section = Literal["labels", "problems", "registry"]


@cache
def _catalog() -> dict[str, dict[str, dict[str, str]]]:
    # Loaded on first use, never at import time; catalog.json ships as package data.
    text = resources.files(__package__).joinpath("catalog.json").read_text(encoding="utf-8")
    catalog: dict[str, dict[str, dict[str, str]]] = json.loads(text)
    return catalog


def catalog_section(section: Section) -> dict[str, dict[str, str]]:
    """One section of the catalog (key → language → text), so tests can check completeness."""
    return _catalog()[section]


def translate(key: str, *, language: Language, **values: object) -> str:
    """The label ``key`` in ``language``, with placeholders filled; an unknown key fails loudly."""
    text = _catalog()["labels"][key][language]
    return text.format(**values) if values else text


def element_label(attr: str, *, language: Language) -> str:
    """The one label of a document's element, by its layout name (``address``, ``tax_identification``, …).

    Every part of the page (party boxes, goods table, footer, the form's own sections) labels an
    element through here, from its ``cod_<name>`` catalog entry, so it reads the same everywhere.
    """
    if f"cod_{attr}" in _catalog()["labels"]:
        return translate(f"cod_{attr}", language=language)
    return attr.replace("_", " ").capitalize()


def problem_text(code: str, *, language: Language, fallback: str = "") -> str:
    """A verification problem in plain words; untranslated codes fall back to their English meaning."""
    entry = _catalog()["problems"].get(code)
    if entry is not None:
        return entry[language]
    if code.startswith("registry."):
        prefix = translate("registry_prefix", language=language)
        return f"{prefix}: {registry_text(code.removeprefix('registry.'), language=language)}."
    return fallback or CODES.get(code, code)


def registry_text(code: str | None, *, language: Language) -> str:
    """The meaning of an ALADI registry answer code (00–08) in ``language``."""
    entry = _catalog()["registry"].get(code or "")
    return entry[language] if entry is not None else translate("registry_unknown", language=language)


def parse_language(value: str | None) -> Language | None:
    """``value`` when it names a supported language (``es``, ``pt-BR``…), else None."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    for language in LANGUAGES:
        if primary == language:
            return language
    return None


def negotiate(
    *, explicit: str | None, cookie: str | None, accept_language: str | None, default: Language = "en"
) -> Language:
    """The page language: an explicit switch, then the remembered choice, then Accept-Language by q."""
    for choice in (explicit, cookie):
        language = parse_language(choice)
        if language is not None:
            return language
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        param = params.strip()
        if param.startswith("q="):
            try:
                quality = float(param[2:])
            except ValueError:
                continue
        language = parse_language(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else default
