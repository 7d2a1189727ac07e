"""Production signing profile: one enveloped XMLDSig per profile, inserted in place at its pinned spot.

KeyInfo carries the signer's key twice, as the DS-COD production signer writes it: ds:KeyValue
(RSAKeyValue / ECKeyValue) for validators that look only there, and ds:X509Data with the certificate.
"""

from __future__ import annotations

from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod
from signxml.signer import XMLSigner

from singlewindow.xmlsec.names import CERT_ORIGIN, DS_NS, DS_SIGNATURE, ENVELOPE, EXC_C14N
from singlewindow.xmlsec.profile import CANCELLATION, EXPORTER, OFFICIAL, SignatureProfile

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


def method_for(key: SigningKey) -> SigningAlgorithm:
    """The signature method a key signs with when none is asked for: RSA-SHA256 or ECDSA-SHA256."""
    return "rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa-sha256"


def _check_key(key: SigningKey, algorithm: SigningAlgorithm) -> None:
    if algorithm == "rsa-sha256" and not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("rsa-sha256 needs an RSA private key")
    if algorithm == "ecdsa-sha256" and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("ecdsa-sha256 needs an EC private key")


def _place_placeholder(signed: etree._Element, profile: SignatureProfile) -> etree._Element:
    """Put an empty ds:Signature where the profile pins it, laid out like its neighbours."""
    placeholder = etree.Element(DS_SIGNATURE, nsmap={"ds": DS_NS}, Id=_PLACEHOLDER)
    if profile.placement == "next_sibling":
        parent = signed.getparent()
        assert parent is not None
        if any(child.tag == DS_SIGNATURE for child in parent):
            raise ValueError(f"{parent.tag} already holds a signature: refusing to sign {signed.tag} twice")
        placeholder.tail = signed.tail
        signed.addnext(placeholder)
        return placeholder
    if any(True for _ in signed.iter(DS_SIGNATURE)):
        raise ValueError("the element is already signed: refusing to sign twice")
    children = list(signed)
    signed.append(placeholder)
    if children:
        # Whitespace inside the signed element is signed: lay the signature out before signing.
        placeholder.tail = children[-1].tail
        children[-1].tail = children[-2].tail if len(children) > 1 else signed.text
    return placeholder


def sign_pinned(
    root: etree._Element,
    *,
    profile: SignatureProfile,
    signed: etree._Element,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm | None = None,
) -> etree._Element:
    """Sign ``signed`` (by its id) with the profile and put the ds:Signature at its pinned place.

    signxml signs a copy of the tree; only its new ds:Signature is grafted back into ours, so every byte
    outside the signature stays as it was (but the whitespace laying out a last-child signature).
    """
    algorithm = algorithm or method_for(key)
    _check_key(key, algorithm)
    if signed.get("id") != profile.signed_id:
        raise ValueError(f'{etree.QName(signed).localname} must carry id="{profile.signed_id}"')
    before = [(node, node.tail) for node in signed.iterchildren()][-1:]
    placeholder = _place_placeholder(signed, profile)
    parent = placeholder.getparent()
    assert parent is not None
    try:
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=algorithm,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod(EXC_C14N),
        )
        signed_copy = signer.sign(
            root,
            key=key,
            cert=[certificate],
            reference_uri=profile.reference_uri,
            id_attribute="id",
            always_add_key_value=True,
        )
        signature = _same_place(signed_copy, _index_path(root, placeholder))
        if signature.tag != DS_SIGNATURE:
            raise RuntimeError("the signed copy lost the signature placeholder")
        signature.tail = placeholder.tail
        parent.replace(placeholder, signature)
    except BaseException:
        if placeholder.getparent() is not None:
            parent.remove(placeholder)
        for node, tail in before:
            node.tail = tail
        raise
    return root


def _codeh(root: etree._Element) -> etree._Element:
    if root.tag != ENVELOPE:
        raise ValueError(f"the root element must be Envelope, not {root.tag}")
    cert_origin = _only_child(root, CERT_ORIGIN, "Envelope")
    return _only_child(cert_origin, "CODEH", "CertOrigin")


def sign_exporter(
    root: etree._Element,
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm | None = None,
) -> etree._Element:
    """Insert the exporter's signature over ``#COD`` as the next sibling of COD inside CODExporter."""
    exporter = _only_child(_codeh(root), "CODExporter", "CODEH")
    cod = _only_child(exporter, "COD", "CODExporter")
    return sign_pinned(
        root, profile=EXPORTER, signed=cod, key=key, certificate=certificate, algorithm=algorithm
    )


def sign_official(
    root: etree._Element,
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm | None = None,
) -> etree._Element:
    """Insert the official's signature over ``#CODEH`` as the next sibling of CODEH inside CertOrigin."""
    return sign_pinned(
        root, profile=OFFICIAL, signed=_codeh(root), key=key, certificate=certificate, algorithm=algorithm
    )


def sign_root(
    root: etree._Element,
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm | None = None,
    profile: SignatureProfile = CANCELLATION,
) -> etree._Element:
    """Append to ``root`` the profile's enveloped signature over the whole root (a Cancellation)."""
    if root.tag != profile.root_tag:
        raise ValueError(f"the root element must be {etree.QName(profile.root_tag).localname}")
    return sign_pinned(
        root, profile=profile, signed=root, key=key, certificate=certificate, algorithm=algorithm
    )
