"""Structural checks of one pinned signature before any cryptography: place, ids, KeyInfo, algorithms."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from lxml import etree

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.checks import (
    comment_problems,
    id_values,
    key_info,
    object_problems,
    signature_method,
    signed_info_problems,
)
from singlewindow.xmlsec.names import (
    CERT_ORIGIN,
    DS_NS,
    DS_SIGNATURE,
    ENVELOPE,
    SIGNATURE_PATH,
    SIGNED_ID,
    SIGNED_PATH,
    SignatureRole,
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
    carriers = [element for element in root.iter(etree.Element) if wanted in id_values(element)]
    path = SIGNED_PATH[role]
    if len(carriers) > 1:
        return [problem("signature.duplicate_id", f'id="{wanted}" appears {len(carriers)} times', path)]
    if not carriers:
        return [problem("signature.reference_invalid", f'no element carries id="{wanted}"', path)]
    if signed is None or carriers[0] is not signed or signed.get("id") != wanted:
        where = root.getroottree().getpath(carriers[0])
        return [problem("signature.wrapping", f'id="{wanted}" is at {where}, not at the pinned place', path)]
    return []


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
    problems += comment_problems(signed)
    problems += object_problems(signature, path=SIGNATURE_PATH[role])
    signed_info = signature.find(f"{_DS}SignedInfo")
    if signed_info is None:
        return Structure(
            problems=[*problems, problem("signature.malformed", "no SignedInfo", SIGNATURE_PATH[role])]
        )
    problems += signed_info_problems(
        signed_info, want=f"#{SIGNED_ID[role]}", allow_sha1=allow_sha1, path=SIGNATURE_PATH[role]
    )
    certificate, key_problems = key_info(signature, path=SIGNATURE_PATH[role])
    return Structure(
        signature=signature,
        signed=signed,
        certificate=certificate,
        signature_method=signature_method(signed_info),
        problems=problems + key_problems,
    )
