"""Fixtures of the COD tests: the official schema registry, a safe parser, placeholder signatures."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from singlewindow.cod import DSIG_NS, SchemaRegistry

# A structurally valid ds:Signature (schema-valid, cryptographically meaningless): it lets the
# official exporter_signed / complete XSDs, which require signatures, judge everything else.
_PLACEHOLDER = (
    f'<ds:Signature xmlns:ds="{DSIG_NS}"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI="#{ref}"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    "<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"
)


def parse(data: bytes) -> etree._Element:
    """Parse test XML with DTDs, entities and network off."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def placeholder_signature(ref: str) -> etree._Element:
    """A schema-valid ds:Signature referencing ``#ref``."""
    return parse(_PLACEHOLDER.replace("{ref}", ref).encode())


def add_placeholder_signatures(root: etree._Element, *, stage: str) -> etree._Element:
    """Put placeholder signatures where the signing module puts real ones for ``stage``."""
    codexp = root.find("{*}CertOrigin/CODEH/CODExporter")
    assert codexp is not None
    if stage in ("exporter_signed", "complete"):
        codexp.append(placeholder_signature("COD"))
    if stage == "complete":
        cert_origin = root.find("{*}CertOrigin")
        assert cert_origin is not None
        cert_origin.append(placeholder_signature("CODEH"))
    return root


@pytest.fixture(scope="session")
def registry(aladi_dir: Path) -> SchemaRegistry:
    """The schema registry over the official ALADI XSDs."""
    return SchemaRegistry.load([aladi_dir])


@pytest.fixture(scope="session")
def xml_parse() -> object:
    """The safe test parser, as a fixture (test modules do not import conftest)."""
    return parse


@pytest.fixture(scope="session")
def with_placeholders() -> object:
    """The placeholder-signature helper, as a fixture."""
    return add_placeholder_signatures
