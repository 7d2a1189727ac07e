"""Tests of the page's language catalog and language negotiation."""

from __future__ import annotations

import string

import pytest

from singlewindow.errors import CODES
from singlewindow.node.web.i18n import (
    LANGUAGES,
    catalog_section,
    negotiate,
    problem_text,
    registry_text,
    translate,
)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("section", ["labels", "problems", "registry"])
def test_every_entry_has_all_languages_with_the_same_placeholders(section: str) -> None:
    """Each catalog entry is non-empty in en, es and pt and uses the same placeholders in all three."""
    for key, texts in catalog_section(section).items():  # type: ignore[arg-type]
        assert set(texts) == set(LANGUAGES), key
        assert all(texts[lang].strip() for lang in LANGUAGES), key
        assert _fields(texts["es"]) == _fields(texts["en"]) == _fields(texts["pt"]), key


def test_every_verification_problem_code_has_plain_words() -> None:
    """Every problem code the verifier can emit (input, schema, cod, signature, chain) is translated."""
    verifier = {c for c in CODES if c.split(".")[0] in {"input", "schema", "cod", "signature", "chain"}}
    missing = verifier - set(catalog_section("problems")) - {"input.invalid_fields"}
    assert not missing


def test_translated_problem_codes_are_known_codes() -> None:
    """The catalog never translates a code that errors.CODES does not define (codes are stable API)."""
    assert set(catalog_section("problems")) <= set(CODES)


def test_registry_problems_are_worded_from_the_answer_code() -> None:
    """A registry.03 problem reads as the registry check failing because the certificate was revoked."""
    assert problem_text("registry.03", language="es").endswith("certificado revocado.")
    assert registry_text("00", language="pt").startswith("válido")
    assert registry_text(None, language="en") == "no answer"


def test_unknown_problem_code_falls_back_to_its_message() -> None:
    """A code without a translation shows the verifier's own message rather than nothing."""
    assert problem_text("auth.invalid", language="es", fallback="x") == "x"
    assert problem_text("lifecycle.invalid", language="pt") == CODES["lifecycle.invalid"]


def test_translate_fills_placeholders_and_fails_on_unknown_keys() -> None:
    """Labels are filled with values, and a missing label is a loud KeyError, never a blank."""
    assert translate("node", language="pt", country="BR") == "Nó BR"
    with pytest.raises(KeyError):
        translate("no-such-label", language="en")


@pytest.mark.parametrize(
    ("explicit", "cookie", "header", "expected"),
    [
        ("pt", "es", "en", "pt"),
        (None, "es", "pt-BR", "es"),
        ("xx", None, "pt-BR,pt;q=0.9,en;q=0.8", "pt"),
        (None, None, "fr-FR, en;q=0.5, es;q=0.7", "es"),
        (None, None, "es;q=0, en;q=0.1", "en"),
        (None, None, "de, fr", "en"),
        (None, None, "es;q=abc, pt;q=0.2", "pt"),
        (None, None, None, "en"),
    ],
)
def test_language_negotiation(
    explicit: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    """An explicit switch wins, then the remembered cookie, then the best Accept-Language by q value."""
    assert negotiate(explicit=explicit, cookie=cookie, accept_language=header) == expected


def test_a_document_element_has_one_label_entry() -> None:
    """No page label repeats a document element's own entry under another key (``address`` beside
    ``cod_address``), so no part of the page can word an element differently from the rest."""
    labels = catalog_section("labels")
    assert not [key for key in labels if f"cod_{key}" in labels]
