"""Prove "refused before parsing" through state instead of through how fast the refusal was."""

from __future__ import annotations

from typing import NoReturn

import pytest
from lxml import etree

_PARSER_ENTRY_POINTS = (
    "fromstring",
    "fromstringlist",
    "XML",
    "parse",
    "iterparse",
    "XMLParser",
    "XMLPullParser",
)


def forbid_xml_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to build an lxml XML parser or parse bytes fail (undone by ``monkeypatch``)."""

    def parsed(*_args: object, **_kwargs: object) -> NoReturn:
        raise AssertionError("the input reached the XML parser")

    for name in _PARSER_ENTRY_POINTS:
        monkeypatch.setattr(etree, name, parsed)
