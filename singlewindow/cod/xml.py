"""Certificate ⇄ ALADI COD XML at each stage (request, exporter_signed, complete), deterministically.

Shape (only Envelope/Header/CertOrigin are namespaced)::

    ns1:Envelope/ns1:CertOrigin/CODEH[@id]/CODExporter/COD[@id]   request
      … CODExporter/ds:Signature (#COD)                            exporter_signed
      … CODEH/EH, CODEH/CertificationEH, CertOrigin/ds:Signature   complete

The writer never emits ds:Signature: the positions right after COD and right after CODEH are left
for :mod:`singlewindow.xmlsec`. The reader skips ds:Signature elements wherever they are.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from pydantic import ValidationError

from singlewindow.cod.layouts import Group, Leaf, Node, Repeated, find_layout, unknown_message
from singlewindow.cod.model import Certificate, get
from singlewindow.cod.types import STAGES, Stage
from singlewindow.cod.values import from_text, to_text
from singlewindow.errors import InvalidDocument, Problem, UnusableInput, problem
from singlewindow.xmlsec.parser import serialize as serialize_tree

SOAP_NS = "http://www.w3.org/2001/12/soap-envelope"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
ENVELOPE = f"{{{SOAP_NS}}}Envelope"
HEADER = f"{{{SOAP_NS}}}Header"
CERT_ORIGIN = f"{{{SOAP_NS}}}CertOrigin"
SIGNATURE = f"{{{DSIG_NS}}}Signature"


# --------------------------------------------------------------------------- writing


def to_element(cert: Certificate, *, stage: Stage) -> etree._Element:
    """Build the COD tree of ``cert`` at ``stage`` (no signatures; ``complete`` needs eh + certification)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    root = etree.Element(ENVELOPE, nsmap={"ns1": SOAP_NS})
    cert_origin = etree.SubElement(root, CERT_ORIGIN)
    codeh = etree.SubElement(cert_origin, "CODEH", id="CODEH")
    cod = etree.SubElement(etree.SubElement(codeh, "CODExporter"), "COD", id="COD")
    _leaf(cod, "CODVer", cert.cod_ver)
    _leaf(cod, "CODSubmitterType", cert.submitter_type)
    agreement = etree.SubElement(cod, "Agreement")
    _leaf(agreement, "AgreementName", cert.agreement.name)
    _leaf(agreement, "AgreementAcronym", cert.agreement.acronym)
    _write(etree.SubElement(cod, cert.form), cert, cert.layout.body)
    if stage == "complete":
        add_certification(root, cert)
    return root


def to_bytes(cert: Certificate, *, stage: Stage) -> bytes:
    """Serialise ``cert`` at ``stage``: UTF-8, no BOM, XML declaration, indented, deterministic."""
    return serialize(to_element(cert, stage=stage))


def serialize(root: etree._Element) -> bytes:
    """The project's one way of turning a COD tree into bytes."""
    etree.indent(root, space="  ")
    return serialize_tree(root)


def add_certification(root: etree._Element, cert: Certificate) -> None:
    """Insert EH and CertificationEH right after CODExporter (the issuing entity's step), in place."""
    if cert.eh is None or cert.certification is None:
        raise ValueError("the complete stage needs both eh and certification")
    codeh = _codeh(root)
    if codeh.find("EH") is not None or codeh.find("CertificationEH") is not None:
        raise ValueError("the document already carries EH / CertificationEH")
    layout = cert.layout
    eh = etree.SubElement(codeh, "EH")
    _write(eh, cert.eh, layout.eh)
    _write(etree.SubElement(codeh, "CertificationEH"), cert.certification, layout.certification)


def _leaf(parent: etree._Element, tag: str, value: object) -> None:
    etree.SubElement(parent, tag).text = to_text(value)


def _write(parent: etree._Element, obj: object, nodes: tuple[Node, ...]) -> None:
    for node in nodes:
        value = get(obj, node.attr)
        if value is None:
            continue
        if isinstance(node, Repeated):
            if not value and not (node.required and node.min_items == 0):
                continue
            holder = etree.SubElement(parent, node.tag)
            if node.count_tag and (value or node.count_required):
                _leaf(holder, node.count_tag, len(value))
            for item in value:
                if node.item is not None:
                    _leaf(holder, node.item_tag, item)
                else:
                    _write(etree.SubElement(holder, node.item_tag), item, node.children)
        elif isinstance(node, Leaf):
            _leaf(parent, node.tag, value)
        else:
            _write(etree.SubElement(parent, node.tag), value, node.children)


# --------------------------------------------------------------------------- reading


def _elements(parent: etree._Element) -> list[etree._Element]:
    """Element children, without comments, processing instructions and ds:Signature."""
    return [c for c in parent if isinstance(c.tag, str) and c.tag != SIGNATURE]


def _child(parent: etree._Element, tag: str, path: str) -> etree._Element:
    found = [c for c in _elements(parent) if c.tag == tag]
    if len(found) != 1:
        raise UnusableInput(
            problem("input.unknown_stage", f"expected exactly one {tag} in {path}, found {len(found)}", path)
        )
    return found[0]


def _codeh(root: etree._Element) -> etree._Element:
    if root.tag != ENVELOPE:
        message = f"root element is {root.tag}, not ns1:Envelope"
        raise UnusableInput(problem("input.unknown_stage", message, "/"))
    cert_origin = _child(root, CERT_ORIGIN, "/Envelope")
    return _child(cert_origin, "CODEH", "/Envelope/CertOrigin")


def _cod(root: etree._Element) -> etree._Element:
    codexp = _child(_codeh(root), "CODExporter", "/Envelope/CertOrigin/CODEH")
    return _child(codexp, "COD", "/Envelope/CertOrigin/CODEH/CODExporter")


def detect_stage(root: etree._Element) -> Stage:
    """Which stage the tree is at; UnusableInput (input.unknown_stage) when it is not a COD at all."""
    codeh = _codeh(root)
    codexp = _child(codeh, "CODExporter", "/Envelope/CertOrigin/CODEH")
    _child(codexp, "COD", "/Envelope/CertOrigin/CODEH/CODExporter")
    cert_origin = codeh.getparent()
    assert cert_origin is not None
    if (
        codeh.find("EH") is not None
        or codeh.find("CertificationEH") is not None
        or cert_origin.find(SIGNATURE) is not None
    ):
        return "complete"
    if codexp.find(SIGNATURE) is not None:
        return "exporter_signed"
    return "request"


def read_cod_ver(root: etree._Element) -> str | None:
    """The CODVer text of a COD tree (stripped), or None when the tree has none."""
    # root.find of that path, by tag-filtered child iteration (no path parsing: once per document)
    found = next(
        (
            ver
            for origin in root.iterchildren(CERT_ORIGIN)
            for codeh in origin.iterchildren("CODEH")
            for exporter in codeh.iterchildren("CODExporter")
            for cod in exporter.iterchildren("COD")
            for ver in cod.iterchildren("CODVer")
        ),
        None,
    )
    if found is None or found.text is None:
        return None
    return found.text.strip()


def from_element(root: etree._Element) -> Certificate:
    """Read a COD tree at any stage back into a Certificate, ignoring ds:Signature elements.

    Raises UnusableInput (input.unknown_stage) for a tree that is not a COD, and InvalidDocument
    listing every problem (schema.unknown_version for an unsupported form/CODVer, schema.invalid
    for unexpected, repeated or ill-typed elements) otherwise.
    """
    stage = detect_stage(root)
    cod = _cod(root)
    base = "/Envelope/CertOrigin/CODEH/CODExporter/COD"
    problems: list[Problem] = []
    head = {el.tag: el for el in _elements(cod)}
    forms = [el for el in _elements(cod) if str(el.tag).startswith("Form")]
    cod_ver = read_cod_ver(root) or ""
    if len(forms) != 1:
        raise InvalidDocument(problem("schema.invalid", "COD must hold exactly one Form element", base))
    form = forms[0]
    layout = find_layout(cod_ver, str(form.tag))
    if layout is None:
        message = unknown_message(cod_ver, str(form.tag))
        raise InvalidDocument(problem("schema.unknown_version", message, f"{base}/CODVer"))
    data: dict[str, Any] = {"cod_ver": cod_ver, "form": form.tag}
    agreement = head.get("Agreement")
    data["submitter_type"] = _leaf_text(head.get("CODSubmitterType"))
    data["agreement"] = {
        "name": _leaf_text(agreement.find("AgreementName") if agreement is not None else None),
        "acronym": _leaf_text(agreement.find("AgreementAcronym") if agreement is not None else None),
    }
    data.update(_read(form, layout.body, f"{base}/{form.tag}", problems))
    if stage == "complete":
        codeh = _codeh(root)
        eh, certification = codeh.find("EH"), codeh.find("CertificationEH")
        where = "/Envelope/CertOrigin/CODEH"
        if eh is not None:
            data["eh"] = _read(eh, layout.eh, f"{where}/EH", problems)
        if certification is not None:
            data["certification"] = _read(
                certification, layout.certification, f"{where}/CertificationEH", problems
            )
    if problems:
        raise InvalidDocument(problems)
    try:
        return Certificate.model_validate(data)
    except ValidationError as exc:
        raise InvalidDocument(
            [
                problem("schema.invalid", e["msg"], ".".join(str(p) for p in e["loc"]) or base)
                for e in exc.errors(include_url=False)
            ]
        ) from None


def _leaf_text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return el.text or ""


def _value(text: str, node: Leaf, here: str, problems: list[Problem]) -> Any:
    """XML text → the Python value of the element's XSD kind (text kept for the model to judge)."""
    if node.facets.kind in ("string", "token"):
        return text
    try:
        return from_text(text, node.facets)
    except ValueError as exc:
        problems.append(problem("schema.invalid", f"{node.tag} {exc}", here))
        return text


def _read(el: etree._Element, nodes: tuple[Node, ...], path: str, problems: list[Problem]) -> dict[str, Any]:
    by_tag = {node.tag: node for node in nodes}
    out: dict[str, Any] = {}
    for child in _elements(el):
        tag = str(child.tag)
        node = by_tag.get(tag)
        here = f"{path}/{tag}"
        if node is None:
            problems.append(problem("schema.invalid", f"unexpected element {tag}", here))
            continue
        if node.attr in out:
            problems.append(problem("schema.invalid", f"element {tag} appears more than once", here))
            continue
        if isinstance(node, Leaf):
            if len(_elements(child)):
                problems.append(problem("schema.invalid", f"element {tag} must hold text only", here))
            out[node.attr] = _value(child.text or "", node, here, problems)
        elif isinstance(node, Group):
            out[node.attr] = _read(child, node.children, here, problems)
        else:
            items: list[Any] = []
            for position, item in enumerate(_elements(child)):
                if position == 0 and node.count_tag and item.tag == node.count_tag:
                    continue  # the count is derived from the items on writing
                if item.tag != node.item_tag:
                    problems.append(problem("schema.invalid", f"unexpected element {item.tag}", here))
                    continue
                at = f"{here}/{node.item_tag}[{len(items) + 1}]"
                if node.item is not None:
                    items.append(
                        _value(item.text or "", Leaf(node.item_tag, "", facets=node.item), at, problems)
                    )
                else:
                    items.append(_read(item, node.children, at, problems))
            out[node.attr] = items
    return out
