"""Where each model field sits in the XML of each form and CODVer, what it holds, whether it is required.

Layouts are DERIVED from the official XSDs (:mod:`singlewindow.cod.derive`) when a
:class:`~singlewindow.cod.schemas.SchemaRegistry` loads them, and registered here, in one
process-wide catalogue: a CODVer whose XSD is configured works without code changes. A layout is
data, read by the XML writer, the XML reader and the model validator alike, so the three cannot
drift apart: element order, minOccurs/maxOccurs (``maxOccurs="0"`` elements are left out), repeated
groups with their count element, and the facets of every simple element.

JSON names (``attr``) are derived from the XML names: the parent's prefix is dropped and the rest
is snake_cased (``ExporterTaxIdentification`` → ``tax_identification``), with a few historical
names kept (``InvoiceNo`` → ``number``, ``GoodsItemValue`` → ``value``, ``*CityLocality`` → ``city``, …).

When a layout is asked for before any registry was loaded, the configured XSD folders are read
once (``schemas/``, $SINGLEWINDOW_SCHEMA_DIRS, and ``$SINGLEWINDOW_STANDARDS_DIR/aladi-cod``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

#: The name of a form element (``FormA18``, ``FormR252``, …), as the XSDs spell it.
FormName = str

#: Kinds of simple values, from the XSD built-in type a simple type restricts.
INTEGER_TYPES = frozenset(
    {
        "integer",
        "positiveInteger",
        "nonNegativeInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "int",
        "long",
        "short",
        "byte",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
    }
)


@dataclass(frozen=True, slots=True)
class Facets:
    """The value space of a simple element: its XSD built-in base and the facets on the way to it."""

    base: str = "string"
    min_length: int | None = None
    max_length: int | None = None
    #: each entry is one derivation step's patterns joined by ``|``; all entries must match
    patterns: tuple[str, ...] = ()
    enumeration: tuple[str, ...] = ()
    min_inclusive: Decimal | None = None
    max_inclusive: Decimal | None = None
    min_exclusive: Decimal | None = None
    max_exclusive: Decimal | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None

    @property
    def kind(self) -> str:
        """integer, decimal, dateTime, date, boolean, token (whitespace collapsed) or string."""
        if self.base in INTEGER_TYPES:
            return "integer"
        if self.base in ("decimal", "dateTime", "date", "boolean"):
            return self.base
        if self.base in ("token", "anyURI", "NMTOKEN", "language", "Name", "NCName", "ID"):
            return "token"
        return "string"

    def describe(self) -> dict[str, object]:
        """The facets as JSON (only those that are set)."""
        out: dict[str, object] = {"type": self.kind, "xsd_base": self.base}
        for name in (
            "min_length",
            "max_length",
            "min_inclusive",
            "max_inclusive",
            "min_exclusive",
            "max_exclusive",
            "total_digits",
            "fraction_digits",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value) if isinstance(value, Decimal) else value
        if self.patterns:
            out["patterns"] = list(self.patterns)
        if self.enumeration:
            out["enumeration"] = list(self.enumeration)
        return out


@dataclass(frozen=True, slots=True)
class Leaf:
    """A simple element holding the value of model attribute ``attr``."""

    tag: str
    attr: str
    required: bool = False
    facets: Facets = field(default_factory=Facets)


@dataclass(frozen=True, slots=True)
class Group:
    """A complex element holding the part in model attribute ``attr``."""

    tag: str
    attr: str
    children: tuple[Node, ...]
    required: bool = False


@dataclass(frozen=True, slots=True)
class Repeated:
    """A list element: optional count element, then one ``item_tag`` per item of ``attr``.

    Items are parts (``children``) or, when ``item`` is set, simple values of those facets.
    """

    tag: str
    attr: str
    item_tag: str
    children: tuple[Node, ...]
    count_tag: str | None = None
    required: bool = True
    min_items: int = 1
    count_required: bool = False
    item: Facets | None = None


Node = Leaf | Group | Repeated


@dataclass(frozen=True, slots=True)
class FormLayout:
    """The body of one form at one CODVer, and the EH and CertificationEH sections of that CODVer."""

    cod_ver: str
    form: FormName
    body: tuple[Node, ...]
    eh: tuple[Node, ...]
    certification: tuple[Node, ...] = ()
    #: which file it was derived from
    origin: str = ""

    def find(self, section: tuple[Node, ...], attr: str) -> Node | None:
        """The node of ``attr`` directly in ``section``, or None."""
        return next((node for node in section if node.attr == attr), None)


def walk(nodes: tuple[Node, ...], path: str = "") -> Iterator[tuple[str, Node]]:
    """Every node under ``nodes`` with its JSON path (``goods[].item_code``), depth first, in order."""
    for node in nodes:
        here = f"{path}{node.attr}"
        yield here, node
        if isinstance(node, Group):
            yield from walk(node.children, f"{here}.")
        elif isinstance(node, Repeated):
            yield from walk(node.children, f"{here}[].")


# --------------------------------------------------------------------------- naming

_OVERRIDES = {
    "GoodsList": "goods",
    "InvoiceNo": "number",
    "GoodsItemWeightAmount": "weight_amount",
    "GoodsItemMeasureUnit": "measure_unit",
    "GoodsItemValue": "value",
    "GoodsItemOriginRules": "origin_rules",
    "GeneralComments": "general",
    "ThirdOpComments": "third_operator",
    "Op3cComments": "op3c",
    "HSVer": "hs_version",
    "CertificateControlCode": "control_code",
    "CertificateDate": "date",
    "CertificateID": "certificate_id",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``TaxIdentification`` → ``tax_identification``, ``FOBValue`` → ``fob_value``."""
    return _CAMEL.sub("_", name).lower()


def attr_name(tag: str, prefixes: Iterable[str], *, leaf: bool) -> str:
    """The JSON name of element ``tag`` inside an element whose children are prefixed by ``prefixes``."""
    if tag == "PACComments":
        return "pac" if leaf else "pac_inputs"
    if tag in _OVERRIDES:
        return _OVERRIDES[tag]
    if tag.endswith("CityLocality"):
        return "city"
    stems = {
        stem
        for prefix in prefixes
        for stem in (prefix, prefix.removesuffix("Comments"), prefix.removesuffix("List"))
    }
    stems |= {"PACInputs"} if "PACComments" in prefixes else set()
    for prefix in sorted(stems, key=len, reverse=True):
        rest = tag[len(prefix) :]
        if prefix and tag.lower().startswith(prefix.lower()) and rest[:1].isupper():
            return snake(rest)
    return snake(tag)


# --------------------------------------------------------------------------- the catalogue

#: Every registered (CODVer, form) → layout; filled by SchemaRegistry.load (first registration wins).
LAYOUTS: dict[tuple[str, str], FormLayout] = {}
_lock = threading.Lock()
_autoloaded = False


def register(layouts: Iterable[FormLayout]) -> None:
    """Add derived layouts to the catalogue; a (CODVer, form) already known keeps its first layout."""
    with _lock:
        for layout in layouts:
            LAYOUTS.setdefault((layout.cod_ver, layout.form), layout)


def configured_dirs() -> list[Path]:
    """Where layouts are read from when none were registered: the schema dirs and the standards folder."""
    from singlewindow.cod.schemas import default_schema_dirs

    dirs = default_schema_dirs()
    standards = os.environ.get("SINGLEWINDOW_STANDARDS_DIR", "").strip()
    if standards:
        dirs.append(Path(standards) / "aladi-cod")
    return dirs


def _autoload() -> None:
    global _autoloaded
    if _autoloaded:
        return
    _autoloaded = True
    from singlewindow.cod.derive import layouts_from_dirs

    register(layouts_from_dirs(configured_dirs()))


def versions() -> list[str]:
    """Every CODVer with at least one layout, sorted."""
    _autoload()
    return sorted({version for version, _ in LAYOUTS})


def unknown_message(cod_ver: str, form: str) -> str:
    """The message of ``schema.unknown_version``: what is missing and which CODVers are configured."""
    known = versions()
    forms = sorted(f for v, f in LAYOUTS if v == cod_ver)
    if forms:
        return f"no model for {form} at CODVer {cod_ver!r} (forms at {cod_ver}: {', '.join(forms)})"
    configured = (
        ", ".join(known) if known else "none; set SINGLEWINDOW_SCHEMA_DIRS to the official ALADI XSDs"
    )
    return f"no model for {form} at CODVer {cod_ver!r} (configured CODVer: {configured})"


def find_layout(cod_ver: str, form: str) -> FormLayout | None:
    """The layout of ``form`` at ``cod_ver``, or None."""
    found = LAYOUTS.get((cod_ver, form))
    if found is None and not _autoloaded:
        _autoload()
        found = LAYOUTS.get((cod_ver, form))
    return found


def layout_for(cod_ver: str, form: str) -> FormLayout:
    """The layout of ``form`` at ``cod_ver``; KeyError naming the configured versions otherwise."""
    found = find_layout(cod_ver, form)
    if found is None:
        raise KeyError(unknown_message(cod_ver, form))
    return found


def _fields(nodes: tuple[Node, ...], path: str = "", xml: str = "") -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for node in nodes:
        here, at = f"{path}{node.attr}", f"{xml}{node.tag}"
        entry: dict[str, object] = {"path": here, "xml": at, "required": node.required}
        if isinstance(node, Leaf):
            out.append({**entry, "kind": "value", **node.facets.describe()})
        elif isinstance(node, Group):
            out.append({**entry, "kind": "object"})
            out += _fields(node.children, f"{here}.", f"{at}/")
        else:
            listed: dict[str, object] = {
                **entry,
                "kind": "list",
                "item": node.item_tag,
                "min_items": node.min_items,
            }
            if node.count_tag:
                listed["count"] = node.count_tag
            if node.item is not None:
                out.append({**listed, **node.item.describe()})
            else:
                out.append(listed)
                out += _fields(node.children, f"{here}[].", f"{at}/{node.item_tag}/")
    return out


def describe(layout: FormLayout) -> dict[str, object]:
    """A form at a CODVer as JSON: every field with its JSON path, XML path, occurrence and facets."""
    return {
        "form": layout.form,
        "cod_ver": layout.cod_ver,
        "source": layout.origin,
        "fields": _fields(layout.body),
        "eh": _fields(layout.eh),
        "certification": _fields(layout.certification),
    }


def catalogue() -> list[dict[str, object]]:
    """Every form with its CODVers (configured XSDs), for ``GET /api/v1/forms``."""
    _autoload()
    forms: dict[str, list[str]] = {}
    for cod_ver, form in sorted(LAYOUTS):
        forms.setdefault(form, []).append(cod_ver)
    return [{"form": form, "versions": versions} for form, versions in sorted(forms.items())]
