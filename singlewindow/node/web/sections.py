"""The form-specific sections of a certificate (producers, representative, FOB values, country of origin, …).

Derived from the layout of the document's form and CODVer (itself derived from the official XSD),
so every form of every configured version shows its own elements without a template per form.
The common parts (parties, invoices, the goods table, transport) stay in ``form.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, tzinfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from lxml import etree
from markupsafe import Markup

from singlewindow.cod.layouts import Facets, Group, Leaf, Node, Repeated, find_layout
from singlewindow.errors import UnusableInput
from singlewindow.node.web.i18n import Language, element_label, translate
from singlewindow.node.web.render import format_date
from singlewindow.xmlsec import parse_xml

# What the common part of the page already shows.
_SHOWN_TOP = frozenset({"exporter", "importer", "consignee", "invoices", "goods", "transport"})
_SHOWN_IN = {
    "comments": frozenset({"general", "local_currency"}),
    "declaration": frozenset({"date"}),
}
# The goods table's value column shows GoodsItemValue or, on FOB forms, GoodsItemFOB (``item_fob``).
_SHOWN_GOODS = frozenset(
    {
        "order_no",
        "item_code",
        "item_name",
        "weight_amount",
        "measure_unit",
        "value",
        "item_fob",
        "origin_rules",
    }
)


@dataclass(frozen=True, kw_only=True)
class FormSection:
    """One section: label/value rows, and/or a table (column labels, one row of texts per item)."""

    key: str
    title: str
    #: the XML element the section shows (named in the title when two sections' titles are the same)
    tag: str = ""
    rows: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] = ()
    lines: tuple[tuple[str, ...], ...] = ()


def _text(el: etree._Element | None) -> str:
    if el is None or not el.text:
        return ""
    return " ".join(el.text.split())


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    return next((c for c in parent if c.tag == tag), None)


def _shown(text: str, facets: Facets, language: Language, zone: tzinfo) -> str:
    """A value as the rest of the page writes it: times in one zone with offset, booleans as yes/no."""
    if facets.kind in ("dateTime", "date"):
        return format_date(text, zone=zone)
    if facets.kind == "boolean" and text in ("true", "1", "false", "0"):
        return translate("yes" if text in ("true", "1") else "no", language=language)
    return text


def _rows(
    parent: etree._Element, nodes: tuple[Node, ...], language: Language, zone: tzinfo, prefix: str = ""
) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for node in nodes:
        el = _child(parent, node.tag)
        if el is None:
            continue
        name = element_label(node.attr, language=language)
        if isinstance(node, Leaf):
            if _text(el):
                rows.append((f"{prefix}{name}", _shown(_text(el), node.facets, language, zone)))
        elif isinstance(node, Group):
            rows += _rows(el, node.children, language, zone, f"{prefix}{name} · ")
        elif node.item is not None:
            values = [_shown(_text(i), node.item, language, zone) for i in el if i.tag == node.item_tag]
            if any(values):
                rows.append((f"{prefix}{name}", ", ".join(v for v in values if v)))
    return rows


def _table(
    holder: etree._Element,
    node: Repeated,
    language: Language,
    zone: tzinfo,
    skip: frozenset[str] = frozenset(),
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    items = [item for item in holder if item.tag == node.item_tag]
    wanted = [n for n in node.children if n.attr not in skip or n.attr == "order_no"]
    cells = [[dict(_rows(item, (n,), language, zone)) for n in wanted] for item in items]
    used = [i for i, n in enumerate(wanted) if n.attr == "order_no" or any(row[i] for row in cells)]
    if not any(wanted[i].attr != "order_no" for i in used):
        return (), ()
    columns: list[str] = []
    for i in used:
        keys = sorted({k for row in cells for k in row[i]})
        columns += keys or [element_label(wanted[i].attr, language=language)]
    lines = []
    for row in cells:
        line: list[str] = []
        for i in used:
            keys = sorted({k for r in cells for k in r[i]}) or [
                element_label(wanted[i].attr, language=language)
            ]
            line += [row[i].get(k, "") for k in keys]
        lines.append(tuple(line))
    return tuple(columns), tuple(lines)


def form_sections(data: bytes, *, language: Language, zone: tzinfo = UTC) -> tuple[FormSection, ...]:
    """The sections of ``data``'s form beyond the common ones; () for a document the node cannot read.

    Times show in ``zone``; two sections with the same title (FormA6's ThirdOpComments and
    Op3cComments) are told apart by their XML element's name.
    """
    try:
        root = parse_xml(data)
    except UnusableInput:
        return ()
    cod = next(iter(root.iter("COD")), None)
    form = next(
        (c for c in (cod if cod is not None else ()) if isinstance(c.tag, str) and c.tag.startswith("Form")),
        None,
    )
    if cod is None or form is None:
        return ()
    layout = find_layout(_text(_child(cod, "CODVer")), str(form.tag))
    if layout is None:
        return ()
    sections: list[FormSection] = []
    for node in layout.body:
        el = _child(form, node.tag)
        if el is None:
            continue
        title = element_label(node.attr, language=language)
        if node.attr == "goods" and isinstance(node, Repeated):
            columns, lines = _table(el, node, language, zone, skip=_SHOWN_GOODS)
            if lines:
                sections.append(
                    FormSection(
                        key="goods_details",
                        title=element_label("goods_details", language=language),
                        tag=node.tag,
                        columns=columns,
                        lines=lines,
                    )
                )
            continue
        if node.attr in _SHOWN_TOP:
            continue
        if isinstance(node, Group):
            shown = _SHOWN_IN.get(node.attr, frozenset())
            leaves = tuple(n for n in node.children if n.attr not in shown and isinstance(n, Leaf))
            rows = _rows(el, leaves, language, zone)
            if rows:
                sections.append(FormSection(key=node.attr, title=title, tag=node.tag, rows=tuple(rows)))
            for sub in node.children:
                sub_el = _child(el, sub.tag)
                if sub.attr in shown or isinstance(sub, Leaf) or sub_el is None:
                    continue
                sub_rows = _rows(sub_el, sub.children, language, zone) if isinstance(sub, Group) else []
                if sub_rows:
                    sub_title = element_label(sub.attr, language=language)
                    sections.append(
                        FormSection(key=sub.attr, title=sub_title, tag=sub.tag, rows=tuple(sub_rows))
                    )
        elif isinstance(node, Repeated) and node.item is None:
            columns, lines = _table(el, node, language, zone)
            if lines:
                sections.append(
                    FormSection(key=node.attr, title=title, tag=node.tag, columns=columns, lines=lines)
                )
    titles = Counter(s.title for s in sections)
    return tuple(replace(s, title=f"{s.title} ({s.tag})") if titles[s.title] > 1 else s for s in sections)


def render_form_sections(data: bytes, *, language: Language, zone: tzinfo = UTC) -> Markup:
    """The form-specific sections of ``data`` as HTML (templates/form_sections.html); empty when none."""
    sections = form_sections(data, language=language, zone=zone)
    if not sections:
        return Markup("")
    environment = Environment(
        loader=PackageLoader("singlewindow.node.web", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = environment.get_template("form_sections.html").render(sections=sections)
    return Markup(html)  # noqa: S704 - autoescaped template output
