"""``DocumentScan.verbatim``: an element's bytes read off the source only where they are certainly its own."""

from __future__ import annotations

import pytest

from singlewindow.xmlsec import parse_xml
from singlewindow.xmlsec.canonical import ampersand_in_namespace
from singlewindow.xmlsec.scan import DocumentScan, read_as_utf8

ELEMENT = b'<CODEH id="CODEH"><EH>AR</EH></CODEH>'


def _verbatim(source: bytes, path: str = "B/CODEH") -> bytes | None:
    root = parse_xml(source)
    element = root.find(path)
    assert element is not None
    return DocumentScan(root, source=source).verbatim(element)


def test_the_element_as_written() -> None:
    source = b'<?xml version="1.0" encoding="UTF-8"?>\n<A><B>' + ELEMENT + b"</B></A>"
    assert _verbatim(source) == ELEMENT


@pytest.mark.parametrize(
    "source",
    [
        # another element of that local name comes first, in a default namespace: its "<CODEH" is first
        pytest.param(
            b'<A><N xmlns="urn:n"><CODEH></CODEH></N><B>' + ELEMENT + b"</B></A>", id="other-namespace"
        ),
        pytest.param(b"<A><!-- <CODEH> --><B>" + ELEMENT + b"</B></A>", id="comment-before"),
        pytest.param(b"<A><N><![CDATA[<CODEH>]]></N><B>" + ELEMENT + b"</B></A>", id="cdata-before"),
        pytest.param(
            b'<?xml version="1.0" encoding="ISO-8859-1"?><A><B>' + ELEMENT + b"</B></A>", id="not-utf-8"
        ),
        pytest.param(b"<A><B><CODEH\tid='CODEH'><EH>AR</EH></CODEH></B></A>", id="tab-in-start-tag"),
        pytest.param(b"<A><B>" + ELEMENT[:-1] + b" ></B></A>", id="no-plain-end-tag"),
    ],
)
def test_nothing_where_the_bytes_may_be_another_elements(source: bytes) -> None:
    assert _verbatim(source) is None


def test_nothing_for_an_element_in_a_namespace() -> None:
    source = b'<A xmlns:p="urn:p"><B><p:CODEH id="CODEH"/></B></A>'
    assert _verbatim(source, "B/{urn:p}CODEH") is None


def test_nothing_without_the_source() -> None:
    root = parse_xml(b"<A><B>" + ELEMENT + b"</B></A>")
    element = root.find("B/CODEH")
    assert element is not None
    assert DocumentScan(root).verbatim(element) is None


@pytest.mark.parametrize(
    ("source", "utf8"),
    [
        (b"<A/>", True),
        (b"\xef\xbb\xbf<A/>", True),
        (b'<?xml version="1.0"?><A/>', True),
        (b"<?xml version='1.0' encoding='utf-8' ?><A/>", True),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><A/>', False),
        (b'<?xml version="1.1" encoding="UTF-8"?><A/>', False),  # U+2028 in text would be read as LF
        ("<A/>".encode("utf-16"), False),  # lxml's docinfo says UTF-8 for this one
        ('<?xml version="1.0"?><A/>'.encode("utf-16-le"), False),  # no mark: told by "<\0?\0"
        (b"\n<A/>", False),  # not told by the first bytes: not taken
    ],
)
def test_the_encoding_is_told_by_the_bytes(source: bytes, utf8: bool) -> None:
    parse_xml(source)  # each is XML the parser takes
    assert read_as_utf8(source) is utf8


@pytest.mark.parametrize(
    ("octets", "found"),
    [
        (b'<A xmlns:p="urn:a">a &amp; b</A>', False),
        (b'<A xmlns:p="urn:a&#x65;"></A>', True),
        (b'<A xmlns="urn:a&b"></A>', True),
        # "xmlns" and a quote in text first: the declaration after them is still read on its own
        (b'<A>xmlns "<B xmlns:p="urn:a&#x65;"></B></A>', True),
    ],
)
def test_an_ampersand_in_a_namespace_declaration_is_found(octets: bytes, found: bool) -> None:
    assert ampersand_in_namespace(octets) is found
