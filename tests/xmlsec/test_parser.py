"""The hardened parser: size cap first, no DTD, no entities, no PIs; BOM tolerated; one serialiser."""

from __future__ import annotations

import pytest

from singlewindow.errors import InputTooLarge, UnusableInput
from singlewindow.xmlsec import parse_xml, serialize

LAUGHS = (
    b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9))
    + b"]><l>&j;</l>"
)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "input.empty"),
        (b" \n\t", "input.empty"),
        (b"\xef\xbb\xbf", "input.empty"),
        (b"plain text", "input.not_xml"),
        (b"<a><b></a>", "input.not_xml"),
        (b'<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>', "input.dtd_forbidden"),
        (b"<!DOCTYPE a []><a/>", "input.dtd_forbidden"),
        (b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', "input.entity_forbidden"),
        (b'<!DOCTYPE a [<!ENTITY % p SYSTEM "http://example.com/p">%p;]><a/>', "input.entity_forbidden"),
        (LAUGHS, "input.entity_forbidden"),
        (b"<a>&undefined;</a>", "input.entity_forbidden"),
        (b'<?xml-stylesheet href="x.xsl"?><a/>', "input.processing_instruction"),
        (b"<a><?php echo 1; ?></a>", "input.processing_instruction"),
    ],
)
def test_unsafe_or_unusable_input_is_refused_with_its_code(data: bytes, code: str) -> None:
    """Each kind of unusable or unsafe input raises UnusableInput carrying its own code."""
    with pytest.raises(UnusableInput) as raised:
        parse_xml(data)
    assert raised.value.problems[0].code == code


def test_entities_are_never_expanded() -> None:
    """An entity bomb is refused without its expansion ever appearing in an error message."""
    with pytest.raises(UnusableInput) as raised:
        parse_xml(LAUGHS)
    assert "aaaaaaaaaaaaaaaaaaaa" not in str(raised.value)


def test_size_is_checked_before_parsing() -> None:
    """Input over the cap is InputTooLarge even when it is not XML: the parser never saw it."""
    with pytest.raises(InputTooLarge) as raised:
        parse_xml(b"x" * 101, max_bytes=100)
    assert [p.code for p in raised.value.problems] == ["input.too_large"]
    assert parse_xml(b"<a>" + b"x" * 93 + b"</a>", max_bytes=100).tag == "a"


def test_a_50_mb_body_is_refused_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 50 MB body is refused by size under the default 5 MB cap before any parser is even built."""

    def no_parser() -> None:
        raise AssertionError("the parser was built for an oversized body")

    monkeypatch.setattr("singlewindow.xmlsec.parser._parser", no_parser)
    with pytest.raises(InputTooLarge):
        parse_xml(b"<" * (50 * 1024 * 1024))


def test_bom_and_comments_are_kept_readable() -> None:
    """A UTF-8 BOM is tolerated and comments stay in the tree (signatures may cover them)."""
    root = parse_xml(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><a><!-- c --><b>v</b></a>')
    assert root.findtext("b") == "v"
    assert len(root) == 2


def test_serialize_writes_utf8_with_declaration_and_keeps_bytes() -> None:
    """serialize emits an XML declaration, UTF-8, and does not re-indent the document."""
    data = serialize(parse_xml("<a>\n<b>ñ</b>  <c/></a>".encode()))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert data.endswith("<a>\n<b>ñ</b>  <c/></a>".encode())
