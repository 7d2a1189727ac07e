"""The single-pass cryptographic core: one pinned signature checked on the caller's own tree, no re-parse.

SignedInfo is canonicalised once with lxml C14N and verified with ``cryptography`` (RSA PKCS#1 v1.5 or
ECDSA); the one Reference digest is computed from lxml C14N of the pinned element itself. Everything the
structure may get wrong has been refused before (``structure.check_structure``); signxml and xmlsec1
stay as oracles in the tests.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from lxml import etree

from singlewindow.errors import Problem, problem
from singlewindow.memo import by_identity
from singlewindow.xmlsec.canonical import c14n, c14n_text
from singlewindow.xmlsec.checks import b64
from singlewindow.xmlsec.names import (
    C14N,
    ECDSA_SHA256,
    ECDSA_SHA384,
    ECDSA_SHA512,
    ENVELOPED,
    EXC_C14N,
    RSA_SHA1,
    RSA_SHA256,
    RSA_SHA384,
    RSA_SHA512,
    SHA1,
    SHA256,
    SHA384,
    SHA512,
)
from singlewindow.xmlsec.profile import SignatureProfile
from singlewindow.xmlsec.scan import DocumentScan
from singlewindow.xmlsec.shape import Plan, SignatureShape

_DIGESTS = {SHA256: hashlib.sha256, SHA384: hashlib.sha384, SHA512: hashlib.sha512, SHA1: hashlib.sha1}
#: hash algorithm objects are stateless: one of each serves every verification
_HASHES: dict[str, hashes.HashAlgorithm] = {
    RSA_SHA256: hashes.SHA256(),
    RSA_SHA384: hashes.SHA384(),
    RSA_SHA512: hashes.SHA512(),
    RSA_SHA1: hashes.SHA1(),  # noqa: S303  # verified only under the legacy SHA-1 policy
    ECDSA_SHA256: hashes.SHA256(),
    ECDSA_SHA384: hashes.SHA384(),
    ECDSA_SHA512: hashes.SHA512(),
}
_ECDSA = frozenset({ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512})
_PKCS1 = padding.PKCS1v15()


@dataclass(frozen=True)
class CoreResult:
    """The cryptographic verdict: the element that was signed (None unless both checks hold), problems."""

    signed: etree._Element | None
    problems: tuple[Problem, ...] = ()


def _contains(ancestor: etree._Element, node: etree._Element) -> bool:
    parent = node.getparent()  # a few steps up: cheaper than setting up ``iterancestors``
    while parent is not None and parent is not ancestor:
        parent = parent.getparent()
    return parent is not None


def _enveloped_c14n(
    signed: etree._Element, signature: etree._Element, *, algorithm: str, prefixes: Sequence[str] | None
) -> bytes:
    """C14N of ``signed`` without ``signature`` (the enveloped-signature transform); the tree is restored."""
    parent = signature.getparent()
    assert parent is not None
    index, tail, previous = parent.index(signature), signature.tail, signature.getprevious()
    saved = previous.tail if previous is not None else parent.text
    if tail:  # the transform removes the element, not the text after it
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(signature)
    try:
        return c14n(signed, algorithm=algorithm, prefixes=prefixes)
    finally:
        parent.insert(index, signature)
        signature.tail = tail
        if previous is not None:
            previous.tail = saved
        else:
            parent.text = saved


def cut_c14n(octets: bytes, outer: etree._Element, inner: etree._Element) -> bytes | None:
    """``inner``'s exclusive C14N cut out of ``octets``, the exclusive C14N of its ancestor ``outer``.

    Both without comments and without an InclusiveNamespaces prefix list. Exclusive C14N renders a
    subtree the same alone or inside an ancestor as long as no output ancestor of it rendered a
    namespace declaration (then each element declares exactly the prefixes it uses, as the apex
    would); xml:* attributes are not inherited. None, and the caller canonicalises ``inner`` itself,
    whenever that cannot be read off the octets: ``inner`` in a namespace, a processing instruction
    in ``outer`` (its text may hold a ``<``), another element of ``inner``'s local name in ``outer``,
    or a namespace declaration anywhere before ``inner``'s start tag. Everywhere else a ``<`` opens a
    tag: C14N escapes it in text and attribute values, and leaves comments out.
    """
    name = inner.tag
    if not isinstance(name, str) or name.startswith("{"):
        return None
    # One walk in C: the only element of that local name must be ``inner``, and no PI may be there.
    found = list(outer.iter(f"{{*}}{name}", etree.ProcessingInstruction))
    if len(found) != 1 or found[0] is not inner:
        return None
    # Every "<" opens a tag, and ``inner`` is the only element of its local name: its start tag is the
    # first "<name" followed by a space or ">" (longer names, "<CODEH", are passed over).
    head = f"<{name}".encode()
    start = octets.find(head)
    while start >= 0 and octets[start + len(head) : start + len(head) + 1] not in (b" ", b">"):
        start = octets.find(head, start + 1)
    if start < 0 or octets.find(b"xmlns", 0, start) >= 0:  # an ancestor or an earlier element declares one
        return None
    close = f"</{name}>".encode()
    end = octets.rfind(close)  # the only end tag of that name: ``inner``'s
    if end < start:
        return None
    return octets[start : end + len(close)]


def _exclusive_c14n(element: etree._Element, scan: DocumentScan) -> bytes:
    """Exclusive C14N (no comments, no prefix list) of ``element``, each element of the scan's tree once.

    An element inside one canonicalised before (the COD inside the CODEH) is cut out of its octets.
    """
    done = scan.canonical
    for outer, octets in done:
        if outer is element:
            return octets
    for outer, octets in done:
        if _contains(outer, element):
            cut = cut_c14n(octets, outer, element)
            if cut is not None:
                done.append((element, cut))
                return cut
    octets = c14n(element, algorithm=EXC_C14N)
    done.append((element, octets))
    return octets


def reference_octets(
    signed: etree._Element, signature: etree._Element, plan: Plan, scan: DocumentScan | None = None
) -> bytes:
    """The octets the Reference digests: enveloped-signature transform, then its C14N (default C14N 1.0).

    ``scan``: the scan of ``signed``'s document, when several of its signatures are verified: the
    exclusive C14N of each pinned element is then computed once for the whole document.
    """
    algorithm = plan.transform_c14n or C14N
    prefixes = plan.transform_prefixes
    if ENVELOPED in plan.transforms and _contains(signed, signature):
        return _enveloped_c14n(signed, signature, algorithm=algorithm, prefixes=prefixes)
    plain = algorithm == EXC_C14N and plan.transform_c14n is not None and prefixes is None
    if scan is not None and plain:
        return _exclusive_c14n(signed, scan)
    return c14n(signed, algorithm=algorithm, prefixes=prefixes)


@by_identity(maxsize=256)
def _public_key(certificate: x509.Certificate) -> tuple[CertificatePublicKeyTypes, bool, bool]:
    """The certificate's public key, and whether it is an RSA key, an EC key (ABC checks cost ≈ 1 µs)."""
    key = certificate.public_key()
    return key, isinstance(key, rsa.RSAPublicKey), isinstance(key, ec.EllipticCurvePublicKey)


def _verify_value(certificate: x509.Certificate, method: str, value: bytes, data: bytes) -> str | None:
    """None when ``value`` is a valid signature of ``data`` by the certificate's key, else why not."""
    key, is_rsa, is_ec = _public_key(certificate)
    digest = _HASHES[method]
    try:
        if method in _ECDSA:
            if not is_ec:
                return f"the certificate's key is not an EC key, the method is {method}"
            key = cast(ec.EllipticCurvePublicKey, key)
            size = (key.curve.key_size + 7) // 8
            if len(value) != 2 * size:
                return f"an ECDSA SignatureValue of {len(value)} bytes, {2 * size} expected"
            der = utils.encode_dss_signature(
                int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
            )
            key.verify(der, data, ec.ECDSA(digest))
        else:
            if not is_rsa:
                return f"the certificate's key is not an RSA key, the method is {method}"
            cast(rsa.RSAPublicKey, key).verify(value, data, _PKCS1, digest)
    except InvalidSignature:
        return "Signature verification failed"
    return None


def verify_core(
    *,
    signed: etree._Element,
    signature: etree._Element,
    certificate: x509.Certificate,
    profile: SignatureProfile,
    shape: SignatureShape,
    scan: DocumentScan | None = None,
) -> CoreResult:
    """Check the SignatureValue over C14N(SignedInfo), then the one Reference digest of ``signed``.

    Call only after ``check_structure`` found no problem: the algorithms are then the profile's, the
    Reference points at ``signed`` and the ds:Signature has the XMLDSig shape. ``shape``: the
    signature's verdict and the elements holding its values, from that check. ``scan``: the scan of
    ``signed``'s document when several of its signatures are verified (C14N shared).
    """
    path, whose = profile.signature_path, f"the {profile.role}'s"
    plan = shape.verdict.plan
    if shape.signed_info is None or plan is None:
        return CoreResult(None, (problem("signature.malformed", "incomplete SignedInfo", path),))
    try:
        value = b64(shape.signature_value)
    except (binascii.Error, ValueError) as exc:
        message = f"{whose} SignatureValue is not base64: {exc}"
        return CoreResult(None, (problem("signature.value_invalid", message, path),))
    frame = shape.verdict.signed_info_frame
    try:
        info_octets = (
            frame[0] + c14n_text(shape.digest_value) + frame[1]
            if frame is not None
            else c14n(shape.signed_info, algorithm=plan.canonicalization, prefixes=plan.prefixes)
        )
    except etree.C14NError as exc:  # e.g. a relative namespace URI, which C14N refuses
        message = f"{whose} SignedInfo cannot be canonicalised: {exc}"
        return CoreResult(None, (problem("signature.malformed", message, path),))
    why = _verify_value(certificate, plan.signature_method, value, info_octets)
    if why is not None:
        message = f"{whose} signature value does not verify: {why}"
        return CoreResult(None, (problem("signature.value_invalid", message, path),))
    digest = _DIGESTS[plan.digest_method] if plan.digest_method is not None else hashlib.sha256
    try:
        computed = digest(reference_octets(signed, signature, plan, scan)).digest()
    except etree.C14NError as exc:
        message = f"{whose} signed content cannot be canonicalised: {exc}"
        return CoreResult(None, (problem("signature.malformed", message, path),))
    try:
        expected = b64(shape.digest_value)
    except (binascii.Error, ValueError):
        expected = b""
    if not hmac.compare_digest(computed, expected):
        message = f"{whose} signed content was changed: digest mismatch for {profile.reference_uri}"
        return CoreResult(None, (problem("signature.digest_mismatch", message, path),))
    return CoreResult(signed)
