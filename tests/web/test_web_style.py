"""Tests of the stylesheet: verdict colours meet WCAG AA contrast, and printing hides navigation."""

from __future__ import annotations

import re

import pytest

from singlewindow.node.web.pages import stylesheet


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _variables() -> dict[str, str]:
    css = stylesheet().decode()
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))


@pytest.mark.parametrize(
    ("ink", "background"),
    [
        ("ok-ink", "ok-bg"),
        ("bad-ink", "bad-bg"),
        ("warn-ink", "warn-bg"),
        ("ink", "paper"),
        ("muted", "paper"),
        ("muted", "panel"),
        ("link", "paper"),
    ],
)
def test_text_colours_meet_wcag_aa(ink: str, background: str) -> None:
    """Every text colour pair of the page has a contrast ratio of at least 4.5:1 (WCAG 2 AA)."""
    colours = _variables()
    assert _contrast(colours[ink], colours[background]) >= 4.5


def test_print_rules_hide_navigation_and_forms() -> None:
    """The print stylesheet hides the header, navigation, forms and the skip link."""
    css = stylesheet().decode()
    print_rules = css[css.index("@media print") :]
    for selector in (".no-print", "header.site", "nav", "form", ".skip"):
        assert selector in print_rules.split("{", 2)[1]
