"""One verdict per signature shape: kept verdicts never stand in for the values or the tree."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from singlewindow.cod import add_certification, sample_certificate, to_element
from singlewindow.pki import Federation
from singlewindow.xmlsec import OFFICIAL, serialize, sign_exporter, sign_official, verify_signature
from singlewindow.xmlsec.shape import clear_shapes, signature_shape

DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _signed(federation: Federation, number: int) -> etree._Element:
    ar = federation.country("AR")
    cert = sample_certificate(number=number, seed=number)
    root = to_element(cert, stage="request")
    sign_exporter(root, key=ar.exporter.private_key, certificate=ar.exporter.certificate)
    add_certification(root, cert)
    return sign_official(root, key=ar.official.private_key, certificate=ar.official.certificate)


def _verify(root: etree._Element) -> tuple[bool, list[str]]:
    result = verify_signature(
        root,
        role=OFFICIAL,
        allow_sha1=False,
        at=datetime.now(UTC),
        certificate_check=lambda certificate: (),
        schema_checked=True,
    )
    return result.ok, [p.code for p in result.problems]


def _official_signature(root: etree._Element) -> etree._Element:
    signature = root.find(f"*/{DS}Signature")
    assert signature is not None
    return signature


def test_a_kept_shape_gives_no_values_away(federation: Federation) -> None:
    """Another document's SignatureValue, or a changed signed value, is refused though the shape is kept."""
    clear_shapes()
    first, second = _signed(federation, 1), _signed(federation, 2)
    assert _verify(first) == (True, []) and _verify(second) == (True, [])
    value = _official_signature(second).find(f"{DS}SignatureValue")
    own = _official_signature(first).find(f"{DS}SignatureValue")
    assert value is not None and own is not None
    own.text = value.text
    assert _verify(first) == (False, ["signature.value_invalid"])
    country = second.find(".//EHCountry")
    assert country is not None
    country.text = "UY"
    assert _verify(second) == (False, ["signature.digest_mismatch"])


def test_judging_a_shape_leaves_the_tree_as_it_was(federation: Federation) -> None:
    """Reading a signature's shape (its value texts blanked for the key) gives back the same bytes."""
    root = _signed(federation, 3)
    before = serialize(root)
    for _ in range(2):  # judged, then kept
        shape = signature_shape(
            _official_signature(root), profile=OFFICIAL, allow_sha1=False, schema_checked=True
        )
        assert shape.verdict.problems == ()
        assert serialize(root) == before
