"""Form layouts derived from an official COD XSD: element order, occurrences, repeated groups, facets.

The COD XSDs use a small subset of XML Schema: sequences, one choice (of the form element),
elements with inline or named (complex or simple) types, and simple types restricting a built-in
or another named simple type with facets. That subset is read here directly from the parsed tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from singlewindow.cod.layouts import Facets as Facets
from singlewindow.cod.layouts import FormLayout, Group, Leaf, Node, Repeated, attr_name
from singlewindow.xmlsec.parser import schema_parser

XS = "http://www.w3.org/2001/XMLSchema"
_X = f"{{{XS}}}"
_FILE = re.compile(r"^cod_ver_(\d+\.\d+\.\d+)(?:_exporter_(unsigned|signed))?\.xsd$")


class _Schema:
    def __init__(self, root: etree._Element):
        self.complex = {el.get("name"): el for el in root.iterfind(f"{_X}complexType") if el.get("name")}
        self.simple = {el.get("name"): el for el in root.iterfind(f"{_X}simpleType") if el.get("name")}
        self.root = root


def _local(qname: str | None) -> str:
    return (qname or "").rpartition(":")[2]


def _number(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def _tighter(old: Decimal | int | None, new: Decimal | int | None, *, low: bool) -> Decimal | int | None:
    if old is None:
        return new
    if new is None:
        return old
    return max(old, new) if low else min(old, new)


def _simple(schema: _Schema, simple_type: etree._Element, depth: int = 0) -> Facets:
    restriction = simple_type.find(f"{_X}restriction")
    if restriction is None or depth > 20:
        return Facets()  # lists and unions do not occur in the COD XSDs: treat as plain string
    base = _local(restriction.get("base"))
    facets = _simple(schema, schema.simple[base], depth + 1) if base in schema.simple else Facets(base=base)
    return _restrict(facets, restriction)


def _restrict(facets: Facets, restriction: etree._Element) -> Facets:
    patterns: list[str] = []
    enumeration: list[str] = []
    for facet in restriction:
        if not isinstance(facet.tag, str):
            continue
        name, value = facet.tag[len(_X) :], facet.get("value") or ""
        if name == "pattern":
            patterns.append(value)
        elif name == "enumeration":
            enumeration.append(value)
        elif name in ("minLength", "maxLength", "length", "totalDigits", "fractionDigits"):
            number = int(value)
            if name == "length":
                facets = replace(facets, min_length=number, max_length=number)
            else:
                attr = {"minLength": "min_length", "maxLength": "max_length"}.get(name) or (
                    "total_digits" if name == "totalDigits" else "fraction_digits"
                )
                tight = _tighter(getattr(facets, attr), number, low=name == "minLength")
                facets = replace(facets, **{attr: tight})  # type: ignore[arg-type]
        elif name in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
            attr = {"minInclusive": "min_inclusive", "maxInclusive": "max_inclusive"}.get(name) or (
                "min_exclusive" if name == "minExclusive" else "max_exclusive"
            )
            bound = _tighter(getattr(facets, attr), _number(value), low=name.startswith("min"))
            facets = replace(facets, **{attr: bound})  # type: ignore[arg-type]
    if patterns:
        facets = replace(facets, patterns=(*facets.patterns, "|".join(patterns)))
    if enumeration:
        facets = replace(facets, enumeration=tuple(enumeration))
    return facets


def _leaf_facets(schema: _Schema, el: etree._Element) -> Facets:
    inline = el.find(f"{_X}simpleType")
    if inline is not None:
        return _simple(schema, inline)
    type_name = _local(el.get("type"))
    if type_name in schema.simple:
        return _simple(schema, schema.simple[type_name])
    facets = Facets(base=type_name or "string")
    if type_name == "positiveInteger":
        facets = replace(facets, min_inclusive=Decimal(1))
    elif type_name == "nonNegativeInteger":
        facets = replace(facets, min_inclusive=Decimal(0))
    return facets


def _complex_of(schema: _Schema, el: etree._Element) -> etree._Element | None:
    inline = el.find(f"{_X}complexType")
    if inline is not None:
        return inline
    return schema.complex.get(_local(el.get("type")))


def _particles(container: etree._Element) -> list[etree._Element]:
    """The element declarations of a complexType/sequence, in order (nested sequences flattened)."""
    out: list[etree._Element] = []
    for child in container:
        if not isinstance(child.tag, str):
            continue
        if child.tag in (f"{_X}sequence", f"{_X}complexType"):
            out += _particles(child)
        elif child.tag == f"{_X}element" and child.get("name"):
            out.append(child)
    return out


def _occurs(el: etree._Element) -> tuple[int, int | None]:
    low = int(el.get("minOccurs", "1"))
    high = el.get("maxOccurs", "1")
    return low, (None if high == "unbounded" else int(high))


def _children(schema: _Schema, complex_type: etree._Element, prefixes: Sequence[str]) -> tuple[Node, ...]:
    nodes: list[Node] = []
    used: set[str] = set()
    for el in _particles(complex_type):
        node = _node(schema, el, prefixes)
        if node is None:
            continue
        if node.attr in used:
            from singlewindow.cod.layouts import snake

            node = replace(node, attr=snake(node.tag))
        used.add(node.attr)
        nodes.append(node)
    return tuple(nodes)


def _node(schema: _Schema, el: etree._Element, prefixes: Sequence[str]) -> Node | None:
    tag = el.get("name") or ""
    low, high = _occurs(el)
    if high == 0:
        return None  # a field this form does not use
    complex_type = _complex_of(schema, el)
    if complex_type is None:
        if high != 1:
            raise ValueError(f"repeated simple element {tag} outside a list element")
        facets = _leaf_facets(schema, el)
        return Leaf(tag, attr_name(tag, prefixes, leaf=True), required=low >= 1, facets=facets)
    attr = attr_name(tag, prefixes, leaf=False)
    particles = [p for p in _particles(complex_type) if _occurs(p)[1] != 0]
    repeated = [p for p in particles if _occurs(p)[1] != 1]
    if repeated:
        item = repeated[-1]
        counts = [p for p in particles if p is not item]
        if len(repeated) != 1 or len(counts) > 1 or particles[-1] is not item:
            raise ValueError(f"{tag}: only a count element and one repeated element are supported")
        item_tag = item.get("name") or ""
        item_low, _ = _occurs(item)
        item_complex = _complex_of(schema, item)
        count_tag = counts[0].get("name") if counts else None
        count_required = bool(counts) and _occurs(counts[0])[0] >= 1
        if item_complex is None:
            return Repeated(
                tag,
                attr,
                item_tag,
                (),
                count_tag=count_tag,
                required=low >= 1,
                min_items=item_low,
                count_required=count_required,
                item=_leaf_facets(schema, item),
            )
        children = _children(schema, item_complex, [item_tag, tag])
        return Repeated(
            tag,
            attr,
            item_tag,
            children,
            count_tag=count_tag,
            required=low >= 1,
            min_items=item_low,
            count_required=count_required,
        )
    if high != 1:
        raise ValueError(f"repeated element {tag} outside a list element")
    return Group(tag, attr, _children(schema, complex_type, [tag]), required=low >= 1)


def _sequence_child(schema: _Schema, parent: etree._Element | None, name: str) -> etree._Element | None:
    if parent is None:
        return None
    complex_type = _complex_of(schema, parent)
    if complex_type is None:
        return None
    return next((el for el in _particles(complex_type) if el.get("name") == name), None)


def derive_layouts(
    tree: etree._ElementTree | etree._Element, cod_ver: str, *, origin: str = ""
) -> list[FormLayout]:
    """One layout per form element of the XSD's COD choice, with that version's EH and CertificationEH."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    schema = _Schema(root)
    body = schema.complex.get("Body")
    if body is None:
        raise ValueError("the XSD has no complexType Body")
    codeh = next((el for el in _particles(body) if el.get("name") == "CODEH"), None)
    codexp = _sequence_child(schema, codeh, "CODExporter")
    cod = _sequence_child(schema, codexp, "COD")
    cod_type = _complex_of(schema, cod) if cod is not None else None
    if cod_type is None:
        raise ValueError("the XSD does not have the COD shape Body/CODEH/CODExporter/COD")
    eh_el = _sequence_child(schema, codeh, "EH")
    cert_el = _sequence_child(schema, codeh, "CertificationEH")
    eh_type = _complex_of(schema, eh_el) if eh_el is not None else None
    cert_type = _complex_of(schema, cert_el) if cert_el is not None else None
    eh = _children(schema, eh_type, ["EH"]) if eh_type is not None else ()
    certification = _children(schema, cert_type, ["Certification"]) if cert_type is not None else ()
    layouts: list[FormLayout] = []
    for choice in cod_type.iter(f"{_X}choice"):
        for form_el in choice.iterfind(f"{_X}element"):
            form = form_el.get("name") or ""
            form_type = _complex_of(schema, form_el)
            if not form.startswith("Form") or form_type is None:
                continue
            body_nodes = _children(schema, form_type, [])
            layouts.append(
                FormLayout(
                    cod_ver=cod_ver,
                    form=form,
                    body=body_nodes,
                    eh=eh,
                    certification=certification,
                    origin=origin,
                )
            )
    return layouts


def _parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), schema_parser())


def layout_sources(dirs: Iterable[Path]) -> dict[str, Path]:
    """For each CODVer, the file its layouts come from: the complete-stage XSD, else a request-stage one."""
    best: dict[str, tuple[int, Path]] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            match = _FILE.match(path.name)
            if not match:
                continue
            rank = {None: 0, "signed": 1, "unsigned": 2}[match.group(2)]
            version = match.group(1)
            if version not in best or rank < best[version][0]:
                best[version] = (rank, path)
    return {version: path for version, (_, path) in best.items()}


def layouts_from_dirs(dirs: Iterable[Path]) -> list[FormLayout]:
    """Derive the layouts of every CODVer found in ``dirs`` (unreadable files are skipped)."""
    out: list[FormLayout] = []
    for version, path in sorted(layout_sources(dirs).items()):
        try:
            out += derive_layouts(_parse(path), version, origin=path.name)
        except (etree.XMLSyntaxError, ValueError, OSError):
            continue
    return out
