"""Structural checks of one pinned signature before any cryptography: place, ids, KeyInfo, algorithms."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from lxml import etree

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.checks import comment_problems
from singlewindow.xmlsec.names import DS_SIGNATURE, SignatureRole
from singlewindow.xmlsec.profile import SignatureProfile, profile_of
from singlewindow.xmlsec.scan import DocumentScan
from singlewindow.xmlsec.shape import SignatureShape, signature_shape


@dataclass(frozen=True)
class Structure:
    """What the structural checks found: the pinned signature, signed element, certificate and problems."""

    signature: etree._Element | None = None
    signed: etree._Element | None = None
    certificate: x509.Certificate | None = None
    signature_method: str = ""
    problems: list[Problem] = field(default_factory=list)
    #: the signature's own verdict, its SignedInfo and its value texts, for the core
    shape: SignatureShape | None = None


def _name(tag: str) -> str:
    return tag.rpartition("}")[2]


def pinned_element(
    root: etree._Element, role: SignatureRole | SignatureProfile
) -> tuple[etree._Element | None, list[Problem]]:
    """The element at the profile's pinned path, each step the only child of its name; problems otherwise."""
    return DocumentScan(root).pinned(profile_of(role))


def stray_signatures(
    root: etree._Element, profile: SignatureProfile | None = None
) -> tuple[list[etree._Element], list[Problem]]:
    """Every ds:Signature whose parent is none of the profile's places, and a problem for each."""
    return DocumentScan(root).strays(profile or profile_of("official"))


def scan_document(root: etree._Element, *profiles: SignatureProfile) -> DocumentScan:
    """The one scan of ``root`` that serves the structural checks of every profile given."""
    return DocumentScan(root, profiles)


def _id_problems(
    root: etree._Element, signed: etree._Element | None, profile: SignatureProfile, scan: DocumentScan
) -> list[Problem]:
    wanted = profile.signed_id
    carriers = scan.carriers(wanted)
    path = profile.signed_path
    if len(carriers) > 1:
        return [problem("signature.duplicate_id", f'id="{wanted}" appears {len(carriers)} times', path)]
    if not carriers:
        return [problem("signature.reference_invalid", f'no element carries id="{wanted}"', path)]
    if signed is None or carriers[0] is not signed or signed.get("id") != wanted:
        where = root.getroottree().getpath(carriers[0])
        return [problem("signature.wrapping", f'id="{wanted}" is at {where}, not at the pinned place', path)]
    return []


def _pinned_signatures(signed: etree._Element, profile: SignatureProfile) -> list[etree._Element]:
    parent = signed if profile.placement == "last_child" else signed.getparent()
    assert parent is not None
    return list(parent.iterchildren(DS_SIGNATURE))


def _placement_problems(
    signed: etree._Element, signature: etree._Element, profile: SignatureProfile
) -> list[Problem]:
    if profile.placement == "next_sibling" and signed.getnext() is not signature:
        message = f"the signature is not the next sibling of {_name(str(signed.tag))}"
        return [problem("signature.wrapping", message, profile.signature_path)]
    if profile.placement == "last_child" and (
        signature.getparent() is not signed or signed[-1] is not signature
    ):
        where = signed.getroottree().getpath(signature)
        message = f"the signature is at {where}, not last in {_name(str(signed.tag))}"
        return [problem("signature.wrapping", message, profile.signature_path)]
    return []


def check_structure(
    root: etree._Element,
    *,
    role: SignatureRole | SignatureProfile,
    allow_sha1: bool,
    schema_checked: bool = False,
    scan: DocumentScan | None = None,
) -> Structure:
    """Every structural problem of the profile's signature, and what a cryptographic check then needs.

    ``schema_checked``: the document passed an XSD that validates its ds:Signature elements.
    ``scan``: the document's scan (``scan_document``) when several signatures of it are checked.
    """
    profile = profile_of(role)
    if scan is None or scan.root is not root:
        scan = DocumentScan(root, (profile,))
    path = profile.signature_path
    signed, problems = scan.pinned(profile)
    strays, stray_problems = scan.strays(profile) if root.tag == profile.root_tag else ([], [])
    problems += stray_problems
    problems += _id_problems(root, signed, profile, scan)
    if signed is None:
        return Structure(problems=problems)
    signatures = _pinned_signatures(signed, profile)
    if not signatures and not strays:
        return Structure(signed=signed, problems=[*problems, problem("signature.missing", path=path)])
    if len(signatures) > 1:
        message = f"{len(signatures)} signatures where one is expected"
        problems.append(problem("signature.unexpected", message, path))
    # No signature at its place but one elsewhere: report where it is, never verify it.
    signature = signatures[-1] if profile.placement == "last_child" and signatures else None
    signature = signature if signature is not None else (signatures[0] if signatures else strays[-1])
    problems += _placement_problems(signed, signature, profile)
    for element in (signed, signature):
        if element.tail is not None and element.tail.strip(" \t\r\n"):
            # Outside the signed bytes, but signxml re-reads the signed element and the signature with
            # their tails and refuses such a document: the core stays as strict (found by the byte-flip
            # differential test).
            message = f"text follows {_name(str(element.tag))}: only whitespace may stand there"
            problems.append(problem("signature.wrapping", message, path))
    problems += comment_problems(signed, scan.comments())
    shape = signature_shape(signature, profile=profile, allow_sha1=allow_sha1, schema_checked=schema_checked)
    verdict = shape.verdict
    problems += verdict.problems
    if not verdict.complete:
        return Structure(problems=problems)
    return Structure(
        signature=signature,
        signed=signed,
        certificate=verdict.certificate,
        signature_method=verdict.signature_method,
        problems=problems,
        shape=shape,
    )
