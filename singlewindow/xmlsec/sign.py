"""Production signing profile: enveloped XMLDSig over #COD (exporter) and #CODEH (official), in place."""

from __future__ import annotations

from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod
from signxml.signer import XMLSigner

from singlewindow.xmlsec.names import CERT_ORIGIN, DS_NS, DS_SIGNATURE, ENVELOPE, EXC_C14N, SIGNED_ID

SigningAlgorithm = Literal["rsa-sha256", "ecdsa-sha256"]
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_PLACEHOLDER = "placeholder"


def _only_child(parent: etree._Element, tag: str, where: str) -> etree._Element:
    found = [child for child in parent if child.tag == tag]
    if len(found) != 1:
        raise ValueError(f"expected exactly one {tag} under {where}, found {len(found)}")
    return found[0]


def _index_path(root: etree._Element, node: etree._Element) -> list[int]:
    path: list[int] = []
    while node is not root:
        parent = node.getparent()
        assert parent is not None
        path.append(parent.index(node))
        node = parent
    return path[::-1]


def _same_place(root: etree._Element, path: list[int]) -> etree._Element:
    node = root
    for index in path:
        node = node[index]
    return node


def _check_key(key: SigningKey, algorithm: SigningAlgorithm) -> None:
    if algorithm == "rsa-sha256" and not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("rsa-sha256 needs an RSA private key")
    if algorithm == "ecdsa-sha256" and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("ecdsa-sha256 needs an EC private key")


def _insert_signature(
    *,
    root: etree._Element,
    signed: etree._Element,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm,
) -> etree._Element:
    """Sign ``signed`` (by its id) and put the ds:Signature right after it; nothing else changes."""
    _check_key(key, algorithm)
    parent = signed.getparent()
    assert parent is not None
    if any(child.tag == DS_SIGNATURE for child in parent):
        raise ValueError(f"{parent.tag} already holds a signature: refusing to sign {signed.tag} twice")
    placeholder = etree.Element(DS_SIGNATURE, nsmap={"ds": DS_NS}, Id=_PLACEHOLDER)
    placeholder.tail = signed.tail
    signed.addnext(placeholder)
    try:
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=algorithm,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod(EXC_C14N),
        )
        # signxml signs a copy of the tree; only its new ds:Signature is grafted back into ours,
        # so every byte outside the signature stays as it was.
        signed_copy = signer.sign(
            root, key=key, cert=[certificate], reference_uri=f"#{signed.get('id')}", id_attribute="id"
        )
        signature = _same_place(signed_copy, _index_path(root, placeholder))
        if signature.tag != DS_SIGNATURE:
            raise RuntimeError("the signed copy lost the signature placeholder")
        signature.tail = placeholder.tail
        parent.replace(placeholder, signature)
    except BaseException:
        if placeholder.getparent() is not None:
            parent.remove(placeholder)
        raise
    return root


def _codeh(root: etree._Element) -> etree._Element:
    if root.tag != ENVELOPE:
        raise ValueError(f"the root element must be Envelope, not {root.tag}")
    cert_origin = _only_child(root, CERT_ORIGIN, "Envelope")
    codeh = _only_child(cert_origin, "CODEH", "CertOrigin")
    if codeh.get("id") != SIGNED_ID["official"]:
        raise ValueError('CODEH must carry id="CODEH"')
    return codeh


def sign_exporter(
    root: etree._Element,
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm = "rsa-sha256",
) -> etree._Element:
    """Insert the exporter's signature over ``#COD`` as the next sibling of COD inside CODExporter."""
    exporter = _only_child(_codeh(root), "CODExporter", "CODEH")
    cod = _only_child(exporter, "COD", "CODExporter")
    if cod.get("id") != SIGNED_ID["exporter"]:
        raise ValueError('COD must carry id="COD"')
    return _insert_signature(root=root, signed=cod, key=key, certificate=certificate, algorithm=algorithm)


def sign_official(
    root: etree._Element,
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm = "rsa-sha256",
) -> etree._Element:
    """Insert the official's signature over ``#CODEH`` as the next sibling of CODEH inside CertOrigin."""
    codeh = _codeh(root)
    return _insert_signature(root=root, signed=codeh, key=key, certificate=certificate, algorithm=algorithm)
