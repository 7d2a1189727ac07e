"""The verdict on one ds:Signature's own subtree (Object, SignedInfo, KeyInfo), one per signature shape.

These checks read nothing outside the signature's subtree but the profile and the SHA-1 policy, and
never the DigestValue or SignatureValue text (only the cryptographic core reads those, from the tree):
a signer's signatures differ in nothing else. Once an XSD that covers ds:Signature has validated the
document (only then: the XSD refuses child elements in those two values), the verdict is kept under
the subtree's serialisation with the two texts blanked — every node, name, attribute and other text
the checks read — and the next signature of that shape gets the same verdict without the ≈ 30 lxml
calls, and the SignedInfo's exclusive C14N around its DigestValue's text. The core reads the same
elements the checks judged, through ``SignatureShape``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.canonical import EXCLUSIVE, c14n
from singlewindow.xmlsec.checks import (
    SignedInfoParts,
    first_child,
    key_info,
    object_problems,
    shape_problems,
    signature_method,
    signed_info_parts,
    signed_info_problems,
)
from singlewindow.xmlsec.names import DS_NS, ENVELOPED, EXC_C14N
from singlewindow.xmlsec.profile import SignatureProfile

_DS = f"{{{DS_NS}}}"
_SIGNED_INFO = f"{_DS}SignedInfo"
_SIGNATURE_VALUE = f"{_DS}SignatureValue"
_REFERENCE = f"{_DS}Reference"
_CANONICALIZATION = f"{_DS}CanonicalizationMethod"
_SIGNATURE_METHOD = f"{_DS}SignatureMethod"
_DIGEST_METHOD = f"{_DS}DigestMethod"
_DIGEST_VALUE = f"{_DS}DigestValue"
_TRANSFORMS = f"{_DS}Transforms"
_TRANSFORM = f"{_DS}Transform"
_INCLUSIVE = f"{{{EXC_C14N}}}InclusiveNamespaces"
#: distinct shapes kept (a federation has a few signers, each signing with one shape)
_MAX_SHAPES = 256


@dataclass(frozen=True)
class Plan:
    """What the cryptographic core reads from the first SignedInfo, by URI (first of each child name)."""

    canonicalization: str
    #: the CanonicalizationMethod's InclusiveNamespaces PrefixList (None: no InclusiveNamespaces)
    prefixes: tuple[str, ...] | None
    signature_method: str
    #: the first Reference's DigestMethod (None: absent)
    digest_method: str | None
    #: the Algorithm of each Transform of the first Reference, in order ("" when absent)
    transforms: tuple[str, ...]
    #: the first non-enveloped Transform's Algorithm (None: there is none) and its prefix list
    transform_c14n: str | None
    transform_prefixes: tuple[str, ...] | None


@dataclass(frozen=True)
class Verdict:
    """The checks' outcome on one signature subtree; the same for every subtree of that shape."""

    problems: tuple[Problem, ...]
    #: the subtree has a ds:SignedInfo (without one nothing else is judged)
    complete: bool
    certificate: x509.Certificate | None = None
    signature_method: str = ""
    #: None when the SignedInfo lacks a Reference, CanonicalizationMethod or SignatureMethod
    plan: Plan | None = None
    #: the SignedInfo's exclusive C14N before and after the first DigestValue's text (kept verdicts only)
    signed_info_frame: tuple[bytes, bytes] | None = None


@dataclass(frozen=True)
class SignatureShape:
    """One signature's verdict, its first SignedInfo and the texts of its values (None: absent)."""

    verdict: Verdict
    signed_info: etree._Element | None
    #: the SignatureValue's text
    signature_value: str | None
    #: the first Reference's DigestValue's text
    digest_value: str | None


def _prefixes(method: etree._Element) -> tuple[str, ...] | None:
    inclusive = first_child(method, _INCLUSIVE)
    return None if inclusive is None else tuple((inclusive.get("PrefixList") or "").split())


def _plan(parts: SignedInfoParts) -> Plan | None:
    reference = parts.first.get(_REFERENCE)
    c14n_method = parts.first.get(_CANONICALIZATION)
    method = parts.first.get(_SIGNATURE_METHOD)
    if reference is None or c14n_method is None or method is None:
        return None
    transforms = [
        transform
        for holder in reference.iterchildren(_TRANSFORMS)
        for transform in holder.iterchildren(_TRANSFORM)
    ]
    transform_c14n = next((t for t in transforms if t.get("Algorithm") != ENVELOPED), None)
    digest_method = first_child(reference, _DIGEST_METHOD)
    return Plan(
        canonicalization=c14n_method.get("Algorithm") or "",
        prefixes=_prefixes(c14n_method),
        signature_method=method.get("Algorithm") or "",
        digest_method=digest_method.get("Algorithm") or "" if digest_method is not None else None,
        transforms=tuple(transform.get("Algorithm") or "" for transform in transforms),
        transform_c14n=transform_c14n.get("Algorithm") or "" if transform_c14n is not None else None,
        transform_prefixes=_prefixes(transform_c14n) if transform_c14n is not None else None,
    )


def _frame(parts: SignedInfoParts, plan: Plan | None) -> tuple[bytes, bytes] | None:
    """The SignedInfo's exclusive C14N before and after its first DigestValue's text.

    Exclusive C14N renders the SignedInfo from its own nodes and the namespaces in scope, all in the
    kept serialisation: every signature of this shape has these octets around its DigestValue's text,
    and the core splices the text in (``c14n_text``) instead of canonicalising again.
    """
    reference = parts.first.get(_REFERENCE)
    digest = first_child(reference, _DIGEST_VALUE) if reference is not None else None
    if plan is None or plan.canonicalization not in EXCLUSIVE or digest is None:
        return None
    text, rendered = digest.text, []
    try:
        for marker in ("0", "1"):
            digest.text = marker
            rendered.append(c14n(parts.element, algorithm=plan.canonicalization, prefixes=plan.prefixes))
    except etree.C14NError:
        return None
    finally:
        digest.text = text
    zero, one = rendered
    if len(zero) != len(one):
        return None
    at = next((index for index, (a, b) in enumerate(zip(zero, one, strict=True)) if a != b), len(zero))
    if at == len(zero) or zero[at + 1 :] != one[at + 1 :]:  # the markers differ in one octet only
        return None
    return zero[:at], zero[at + 1 :]


def judge(
    signature: etree._Element, *, profile: SignatureProfile, allow_sha1: bool, schema_checked: bool
) -> Verdict:
    """Every problem of the signature's own subtree, in the order the structure check reports them.

    ``schema_checked``: the verdict is to be kept per shape (with the SignedInfo's C14N around its
    DigestValue's text).
    """
    path = profile.signature_path
    problems = object_problems(signature, path=path)
    signed_info = first_child(signature, _SIGNED_INFO)
    parts = signed_info_parts(signed_info) if signed_info is not None else None
    problems += shape_problems(signature, path=path, schema_checked=schema_checked, parts=parts)
    if parts is None:
        return Verdict((*problems, problem("signature.malformed", "no SignedInfo", path)), complete=False)
    problems += signed_info_problems(parts, profile=profile, allow_sha1=allow_sha1, path=path)
    certificate, key_problems = key_info(signature, path=path)
    plan = _plan(parts)
    return Verdict(
        (*problems, *key_problems),
        complete=True,
        certificate=certificate,
        signature_method=signature_method(parts),
        plan=plan,
        signed_info_frame=_frame(parts, plan) if schema_checked else None,
    )


_VERDICTS: dict[tuple[int, bool, bytes], tuple[SignatureProfile, Verdict]] = {}
_LOCK = threading.Lock()


def _blanked(signature: etree._Element, texts: list[tuple[etree._Element, str | None]]) -> bytes:
    """The subtree serialised with the leading text of each element of ``texts`` left out; then restored."""
    try:
        for element, _ in texts:
            element.text = None
        return etree.tostring(signature, with_tail=False)
    finally:
        for element, text in texts:
            element.text = text


def signature_shape(
    signature: etree._Element, *, profile: SignatureProfile, allow_sha1: bool, schema_checked: bool
) -> SignatureShape:
    """The verdict on ``signature``'s subtree (kept per shape once the XSD has checked it) and its values."""
    signed_info = first_child(signature, _SIGNED_INFO)
    reference = first_child(signed_info, _REFERENCE) if signed_info is not None else None
    value = first_child(signature, _SIGNATURE_VALUE)
    digest = first_child(reference, _DIGEST_VALUE) if reference is not None else None
    signature_value = value.text if value is not None else None
    digest_value = digest.text if digest is not None else None
    if not schema_checked:
        verdict = judge(signature, profile=profile, allow_sha1=allow_sha1, schema_checked=False)
        return SignatureShape(verdict, signed_info, signature_value, digest_value)
    pairs = ((value, signature_value), (digest, digest_value))
    texts = [(element, text) for element, text in pairs if element is not None]
    key = (id(profile), allow_sha1, _blanked(signature, texts))
    entry = _VERDICTS.get(key)
    if entry is not None and entry[0] is profile:
        return SignatureShape(entry[1], signed_info, signature_value, digest_value)
    verdict = judge(signature, profile=profile, allow_sha1=allow_sha1, schema_checked=True)
    with _LOCK:
        if len(_VERDICTS) >= _MAX_SHAPES:
            _VERDICTS.pop(next(iter(_VERDICTS)))
        _VERDICTS[key] = (profile, verdict)
    return SignatureShape(verdict, signed_info, signature_value, digest_value)


def clear_shapes() -> None:
    """Forget every kept verdict (tests compare a kept verdict with a fresh one)."""
    with _LOCK:
        _VERDICTS.clear()
