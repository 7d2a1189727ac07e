"""Structural checks of one pinned signature before any cryptography: place, ids, KeyInfo, algorithms."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from cryptography import x509
from lxml import etree

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.names import (
    CANONICALIZATIONS,
    CERT_ORIGIN,
    DS_NS,
    DS_SIGNATURE,
    ENVELOPE,
    LEGACY_DIGEST_METHODS,
    LEGACY_SIGNATURE_METHODS,
    SIGNATURE_PATH,
    SIGNED_ID,
    SIGNED_PATH,
    TRANSFORMS,
    SignatureRole,
    allowed_digest_methods,
    allowed_signature_methods,
)

_DS = f"{{{DS_NS}}}"
#: The element path from Envelope to the signed element of each role (each step must be unique).
_STEPS: dict[SignatureRole, tuple[str, ...]] = {
    "exporter": (CERT_ORIGIN, "CODEH", "CODExporter", "COD"),
    "official": (CERT_ORIGIN, "CODEH"),
}


@dataclass(frozen=True)
class Structure:
    """What the structural checks found: the pinned signature, signed element, certificate and problems."""

    signature: etree._Element | None = None
    signed: etree._Element | None = None
    certificate: x509.Certificate | None = None
    signature_method: str = ""
    problems: list[Problem] = field(default_factory=list)


def _id_values(element: etree._Element) -> list[str]:
    return [
        str(value) for name, value in element.attrib.items() if etree.QName(name).localname.lower() == "id"
    ]


def pinned_element(root: etree._Element, role: SignatureRole) -> tuple[etree._Element | None, list[Problem]]:
    """The element at the role's pinned path, each step the only child of its name; problems otherwise."""
    if root.tag != ENVELOPE:
        return None, [problem("signature.wrapping", f"the root element is {root.tag}, not Envelope", "/")]
    node, where = root, "/Envelope"
    for step in _STEPS[role]:
        found = [child for child in node if child.tag == step]
        name = etree.QName(step).localname
        if len(found) != 1:
            message = f"expected exactly one {name} under {where}, found {len(found)}"
            code = "signature.missing" if not found else "signature.wrapping"
            return None, [problem(code, message, where)]
        node, where = found[0], f"{where}/{name}"
    return node, []


def _id_problems(root: etree._Element, signed: etree._Element | None, role: SignatureRole) -> list[Problem]:
    wanted = SIGNED_ID[role]
    carriers = [element for element in root.iter(etree.Element) if wanted in _id_values(element)]
    path = SIGNED_PATH[role]
    if len(carriers) > 1:
        return [problem("signature.duplicate_id", f'id="{wanted}" appears {len(carriers)} times', path)]
    if not carriers:
        return [problem("signature.reference_invalid", f'no element carries id="{wanted}"', path)]
    if signed is None or carriers[0] is not signed or signed.get("id") != wanted:
        where = root.getroottree().getpath(carriers[0])
        return [problem("signature.wrapping", f'id="{wanted}" is at {where}, not at the pinned place', path)]
    return []


def _comment_problems(signed: etree._Element, role: SignatureRole) -> list[Problem]:
    problems = []
    for node in signed.iter(etree.Comment, etree.ProcessingInstruction):
        parent = node.getparent()
        # A comment between elements is harmless; inside a value it splits what naive readers see.
        if parent is not None and not any(True for _ in parent.iterchildren(tag=etree.Element)):
            where = signed.getroottree().getpath(parent)
            problems.append(problem("signature.wrapping", "comment inside signed value", where))
    return problems


def _reference_problems(signed_info: etree._Element, role: SignatureRole) -> list[Problem]:
    references = signed_info.findall(f"{_DS}Reference")
    want = f"#{SIGNED_ID[role]}"
    if len(references) != 1 or references[0].get("URI") != want:
        uris = ", ".join(repr(ref.get("URI")) for ref in references) or "none"
        message = f"the signature must hold exactly one Reference with URI {want!r}; found {uris}"
        return [problem("signature.reference_invalid", message, SIGNATURE_PATH[role])]
    return []


def _algorithm_problems(
    signed_info: etree._Element, role: SignatureRole, *, allow_sha1: bool
) -> list[Problem]:
    path, problems = SIGNATURE_PATH[role], []
    c14n = signed_info.find(f"{_DS}CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") not in CANONICALIZATIONS:
        uri = None if c14n is None else c14n.get("Algorithm")
        problems.append(
            problem("signature.algorithm_forbidden", f"canonicalization {uri!r} is not allowed", path)
        )
    method = signed_info.find(f"{_DS}SignatureMethod")
    uris = [("signature method", None if method is None else method.get("Algorithm"))]
    uris += [("digest", d.get("Algorithm")) for d in signed_info.iter(f"{_DS}DigestMethod")]
    for kind, uri in uris:
        allowed = allowed_signature_methods if kind == "signature method" else allowed_digest_methods
        if uri in allowed(allow_sha1=allow_sha1):
            continue
        legacy = uri in LEGACY_SIGNATURE_METHODS | LEGACY_DIGEST_METHODS
        hint = " (SHA-1 is accepted only under the explicit allow-sha1 policy)" if legacy else ""
        problems.append(
            problem("signature.algorithm_forbidden", f"{kind} {uri!r} is not allowed{hint}", path)
        )
    for transform in signed_info.iter(f"{_DS}Transform"):
        if transform.get("Algorithm") not in TRANSFORMS:
            message = f"transform {transform.get('Algorithm')!r} is not allowed"
            problems.append(problem("signature.algorithm_forbidden", message, path))
    return problems


def _key_info(
    signature: etree._Element, role: SignatureRole
) -> tuple[x509.Certificate | None, list[Problem]]:
    path = f"{SIGNATURE_PATH[role]}/ds:KeyInfo"
    key_infos = signature.findall(f"{_DS}KeyInfo")
    certificates = [] if len(key_infos) != 1 else list(key_infos[0].iter(f"{_DS}X509Certificate"))
    if len(certificates) != 1:
        has_key_value = any(True for info in key_infos for _ in info.iter(f"{_DS}KeyValue"))
        detail = "only a bare KeyValue" if has_key_value else f"{len(certificates)} X509Certificate elements"
        message = f"KeyInfo must carry exactly one X509Certificate; found {detail}"
        return None, [problem("signature.key_info_invalid", message, path)]
    if any(True for _ in key_infos[0].iter(f"{_DS}RetrievalMethod")):
        return None, [problem("signature.key_info_invalid", "KeyInfo must not point elsewhere", path)]
    try:
        der = base64.b64decode("".join((certificates[0].text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der), []
    except (binascii.Error, ValueError) as exc:
        return None, [
            problem("signature.key_info_invalid", f"the X509Certificate cannot be read: {exc}", path)
        ]


def stray_signatures(root: etree._Element) -> list[Problem]:
    """Every ds:Signature that is neither a child of CODExporter nor of CertOrigin (both pinned places)."""
    problems = []
    for signature in root.iter(DS_SIGNATURE):
        parent = signature.getparent()
        grand = parent.getparent() if parent is not None else None
        pinned_official = parent is not None and parent.tag == CERT_ORIGIN and grand is root
        pinned_exporter = parent is not None and parent.tag == "CODExporter"
        if not (pinned_official or pinned_exporter):
            where = root.getroottree().getpath(signature)
            problems.append(problem("signature.unexpected", "a signature outside the pinned places", where))
    return problems


def check_structure(root: etree._Element, *, role: SignatureRole, allow_sha1: bool) -> Structure:
    """Every structural problem of the ``role`` signature, and what a cryptographic check then needs."""
    signed, problems = pinned_element(root, role)
    problems += stray_signatures(root)
    problems += _id_problems(root, signed, role)
    if signed is None:
        return Structure(problems=problems)
    parent = signed.getparent()
    assert parent is not None
    signatures = [child for child in parent if child.tag == DS_SIGNATURE]
    if not signatures:
        return Structure(
            signed=signed, problems=[*problems, problem("signature.missing", path=SIGNATURE_PATH[role])]
        )
    if len(signatures) > 1:
        message = f"{len(signatures)} signatures where one is expected"
        problems.append(problem("signature.unexpected", message, SIGNATURE_PATH[role]))
    signature = signatures[0]
    if signed.getnext() is not signature:
        message = f"the signature is not the next sibling of {signed.tag}"
        problems.append(problem("signature.wrapping", message, SIGNATURE_PATH[role]))
    problems += _comment_problems(signed, role)
    for obj in signature.iter(f"{_DS}Object"):
        if len(obj) or (obj.text or "").strip():
            problems.append(problem("signature.wrapping", "ds:Object carries content", SIGNATURE_PATH[role]))
    signed_info = signature.find(f"{_DS}SignedInfo")
    if signed_info is None:
        return Structure(
            problems=[*problems, problem("signature.malformed", "no SignedInfo", SIGNATURE_PATH[role])]
        )
    problems += _reference_problems(signed_info, role)
    problems += _algorithm_problems(signed_info, role, allow_sha1=allow_sha1)
    certificate, key_problems = _key_info(signature, role)
    method = signed_info.find(f"{_DS}SignatureMethod")
    return Structure(
        signature=signature,
        signed=signed,
        certificate=certificate,
        signature_method=(method.get("Algorithm") or "") if method is not None else "",
        problems=problems + key_problems,
    )
