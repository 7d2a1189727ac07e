"""The COD's C14N cut out of the CODEH's: identical to canonicalising the COD alone, or not cut at all."""

from __future__ import annotations

import pytest
from lxml import etree

from singlewindow.cod import add_certification, sample_certificate, to_element
from singlewindow.pki import Federation
from singlewindow.xmlsec import serialize, sign_exporter, sign_official
from singlewindow.xmlsec.canonical import c14n
from singlewindow.xmlsec.core import cut_c14n
from singlewindow.xmlsec.names import EXC_C14N

ENV = "{http://www.w3.org/2001/12/soap-envelope}"


@pytest.fixture(scope="module")
def signed(federation: Federation) -> str:
    """A complete COD signed by the exporter and the official, as text."""
    ar = federation.country("AR")
    cert = sample_certificate()
    root = to_element(cert, stage="request")
    etree.indent(root, space="  ")
    sign_exporter(root, key=ar.exporter.private_key, certificate=ar.exporter.certificate)
    add_certification(root, cert)
    sign_official(root, key=ar.official.private_key, certificate=ar.official.certificate)
    return serialize(root).decode()


def _edited(text: str, changes: list[tuple[str, str]]) -> str:
    """``text`` with each (old, new) replaced once; each ``old`` must be there."""
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    return text


def _cut(text: str) -> tuple[bytes | None, bytes]:
    """The cut (None: not cut) and the COD's own exclusive C14N, for a document's CODEH and COD."""
    root = etree.fromstring(text.encode())
    codeh = root.find(f"{ENV}CertOrigin/CODEH")
    assert codeh is not None
    cod = codeh.find("CODExporter/{*}COD")
    assert cod is not None
    return cut_c14n(c14n(codeh, algorithm=EXC_C14N), codeh, cod), c14n(cod, algorithm=EXC_C14N)


def test_a_signed_cod_is_cut_exactly(signed: str) -> None:
    """The genuine document: the cut is byte for byte the COD's own exclusive C14N."""
    cut, alone = _cut(signed)
    assert cut == alone


@pytest.mark.parametrize(
    "changes",
    [
        # declared on CODEH but used by nobody: exclusive C14N renders it nowhere
        [("<CODEH ", '<CODEH xmlns:foo="urn:foo" ')],
        # declared on the Envelope, used inside the COD: rendered where it is used, in both
        [("<CODVer>", '<CODVer ns1:x="1">')],
        # declared on CODEH (which does not use it), used inside the COD
        [("<CODEH ", '<CODEH xmlns:foo="urn:foo" '), ("<CODVer>", '<CODVer foo:x="1">')],
        # the COD undeclaring a default namespace nobody declared
        [("<COD ", '<COD xmlns="" ')],
    ],
)
def test_unused_or_inner_namespaces_are_cut_exactly(signed: str, changes: list[tuple[str, str]]) -> None:
    """Namespaces the CODEH declares but does not render, or the COD uses itself: cut exactly."""
    text = _edited(signed, changes)
    cut, alone = _cut(text)
    assert cut is not None
    assert cut == alone


@pytest.mark.parametrize(
    "changes",
    [
        # CODEH renders a prefix the COD uses as well: the COD alone would declare it itself
        [("<CODEH ", '<CODEH xmlns:foo="urn:foo" foo:x="1" '), ("<CODVer>", '<CODVer foo:y="2">')],
        # the COD in a default namespace
        [("<COD ", '<COD xmlns="urn:default" ')],
        # another COD element inside the COD, or after it in the CODEH
        [("<CODVer>", "<COD>x</COD><CODVer>")],
        [("<CODVer>", '<COD xmlns="urn:other">x</COD><CODVer>')],
        [("</CODExporter>", "<COD/></CODExporter>")],
        # a processing instruction (its data may hold what looks like a tag)
        [("<CODVer>", "<?pi </COD>?><CODVer>")],
    ],
)
def test_what_cannot_be_proven_identical_is_not_cut(signed: str, changes: list[tuple[str, str]]) -> None:
    """Where the octets could differ, or the COD's end cannot be told apart, nothing is cut."""
    text = _edited(signed, changes)
    cut, _ = _cut(text)
    assert cut is None
