"""One pass over a document that serves every pinned signature checked on it.

The signatures of a document, the elements carrying each pinned id, the pinned elements and the
comments are the same whichever profile is being checked: a ``DocumentScan`` finds each of them once
(the id carriers of every profile in one XPath) and ``structure.check_structure`` reads them from it.
A scan describes the tree as it was when scanned: build it after the last change to the tree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from lxml import etree

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.names import DS_NS, DS_SIGNATURE
from singlewindow.xmlsec.profile import SignatureProfile
from singlewindow.xmlsec.xpath import ThreadXPath

_METHODS = (f"{{{DS_NS}}}SignatureMethod", f"{{{DS_NS}}}DigestMethod")
_Pinned = tuple[etree._Element | None, list[Problem]]
_Strays = tuple[list[etree._Element], list[Problem]]


def _name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _is_id(name: str) -> bool:
    return name.rpartition("}")[2].lower() == "id"


@functools.cache
def _valued(count: int) -> ThreadXPath:
    """Every attribute whose value is one of ``count`` variables: one C-level pass over the tree."""
    test = " or ".join(f". = $v{index}" for index in range(count))
    # the attributes of every element (what ``//@*`` selects), without ``//``'s node set of every node
    return ThreadXPath(f"/descendant::*/@*[{test}]")


def find_id_carriers(root: etree._Element, wanted: Iterable[str]) -> dict[str, list[etree._Element]]:
    """For each wanted value, every element of ``root``'s tree carrying it in an id-like attribute.

    An attribute is id-like when its local name is ``id`` in any case and any namespace; each element
    is listed once per value, in document order.
    """
    values = tuple(dict.fromkeys(wanted))
    carriers: dict[str, list[etree._Element]] = {value: [] for value in values}
    if not values:
        return carriers
    found = _valued(len(values))(root, **{f"v{index}": value for index, value in enumerate(values)})
    assert isinstance(found, list)
    for value in found:
        name = getattr(value, "attrname", None)
        if not name or not _is_id(str(name)):
            continue
        parent = value.getparent()  # type: ignore[union-attr]  # an attribute result (lxml smart string)
        listed = carriers.get(str(value))
        if parent is not None and listed is not None and not any(carrier is parent for carrier in listed):
            listed.append(parent)
    return carriers


def _pinned(
    root: etree._Element, profile: SignatureProfile, known: dict[tuple[str, tuple[str, ...]], _Pinned]
) -> _Pinned:
    """The element at the profile's pinned path; each step found is kept in ``known`` for longer paths."""
    if root.tag != profile.root_tag:
        message = f"the root element is {root.tag}, not {_name(profile.root_tag)}"
        return None, [problem("signature.wrapping", message, "/")]
    node, where = root, f"/{_name(profile.root_tag)}"
    steps = profile.steps
    for index, step in enumerate(steps):
        name = _name(step)
        reached, _ = known.get((profile.root_tag, steps[: index + 1]), (None, []))
        if reached is not None:  # a shorter pinned path (the CODEH's, on the way to the COD) walked it
            node, where = reached, f"{where}/{name}"
            continue
        found = list(node.iterchildren(step))  # filtered by tag in C
        if len(found) != 1:
            message = f"expected exactly one {name} under {where}, found {len(found)}"
            code = "signature.missing" if not found else "signature.wrapping"
            return None, [problem(code, message, where)]
        node, where = found[0], f"{where}/{name}"
        known[(profile.root_tag, steps[: index + 1])] = (node, [])
    return node, []


def _at_place(root: etree._Element, parent: etree._Element, place: tuple[str, ...]) -> bool:
    node: etree._Element | None = parent
    for step in reversed(place):
        if node is None or node.tag != step:
            return False
        node = node.getparent()
    return node is root


class DocumentScan:
    """What every pinned signature of one document needs to know about the whole tree, found once."""

    def __init__(self, root: etree._Element, profiles: Iterable[SignatureProfile] = ()) -> None:
        self.root = root
        self._walked: tuple[list[etree._Element], list[etree._Element], list[etree._Element]] | None = None
        self._carriers = find_id_carriers(root, (profile.signed_id for profile in profiles))
        self._pinned: dict[tuple[str, tuple[str, ...]], _Pinned] = {}
        self._strays: dict[tuple[tuple[str, ...], ...], _Strays] = {}
        #: exclusive C14N (no comments, no prefix list) of the elements canonicalised so far, with the
        #: element itself (``core.reference_octets`` fills it: an element inside one of them is cut out)
        self.canonical: list[tuple[etree._Element, bytes]] = []

    def _walk(self) -> tuple[list[etree._Element], list[etree._Element], list[etree._Element]]:
        """Signatures, method elements and comments/PIs: one walk of the whole tree, on first use."""
        if self._walked is None:
            signatures: list[etree._Element] = []
            methods: list[etree._Element] = []
            comments: list[etree._Element] = []
            # Node types and names filtered by lxml in C; split here.
            for node in self.root.iter(DS_SIGNATURE, *_METHODS, etree.Comment, etree.ProcessingInstruction):
                tag = node.tag
                if tag == DS_SIGNATURE:
                    signatures.append(node)
                elif isinstance(tag, str):
                    methods.append(node)
                else:
                    comments.append(node)
            self._walked = (signatures, methods, comments)
        return self._walked

    @property
    def signatures(self) -> list[etree._Element]:
        """Every ds:Signature of the tree, in document order."""
        return self._walk()[0]

    @property
    def methods(self) -> list[etree._Element]:
        """Every ds:SignatureMethod and ds:DigestMethod of the tree, in document order."""
        return self._walk()[1]

    def carriers(self, wanted: str) -> list[etree._Element]:
        """Every element carrying ``wanted`` in an id-like attribute (any case, any namespace)."""
        found = self._carriers.get(wanted)
        if found is None:
            found = self._carriers[wanted] = find_id_carriers(self.root, (wanted,))[wanted]
        return found

    def pinned(self, profile: SignatureProfile) -> _Pinned:
        """The element at the profile's pinned path (each step the only child of its name), or problems."""
        key = (profile.root_tag, profile.steps)
        found = self._pinned.get(key)
        if found is None:
            found = self._pinned[key] = _pinned(self.root, profile, self._pinned)
        node, problems = found
        return node, list(problems)

    def strays(self, profile: SignatureProfile) -> _Strays:
        """Every ds:Signature whose parent is none of the profile's places, and a problem for each."""
        found = self._strays.get(profile.places)
        if found is None:
            strays, problems = [], []
            for signature in self.signatures:
                parent = signature.getparent()
                if parent is None or not any(_at_place(self.root, parent, place) for place in profile.places):
                    strays.append(signature)
                    where = self.root.getroottree().getpath(signature)
                    message = "a signature outside the pinned places"
                    problems.append(problem("signature.unexpected", message, where))
            found = self._strays[profile.places] = (strays, problems)
        return list(found[0]), list(found[1])

    def comments(self) -> list[etree._Element]:
        """Every comment and processing instruction of the tree, in document order."""
        return self._walk()[2]
