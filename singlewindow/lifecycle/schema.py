"""The lifecycle XSD (schemas/lifecycle.xsd): found like the COD schemas, compiled once, XMLDSig offline."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from singlewindow.cod.schemas import default_schema_dirs, schema_problems, xmldsig_schema_path
from singlewindow.errors import ConfigurationError, Problem, problem

SCHEMA_FILE = "lifecycle.xsd"
_XS = "http://www.w3.org/2001/XMLSchema"
_DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
_lock = threading.Lock()
_compiled: dict[tuple[Path, ...], etree.XMLSchema] = {}


def schema_path(dirs: Sequence[Path]) -> Path:
    """The first ``lifecycle.xsd`` in ``dirs``; a ConfigurationError (config.invalid) when none has it."""
    searched = list(dirs)
    for directory in searched:
        candidate = Path(directory) / SCHEMA_FILE
        if candidate.is_file():
            return candidate
    where = ", ".join(str(d) for d in searched) or "no directory"
    raise ConfigurationError(problem("config.invalid", f"{SCHEMA_FILE} not found in {where}"))


def _compile(path: Path) -> etree.XMLSchema:
    # Our own file: no network, no entities; the W3C XMLDSig import is re-pointed to signxml's copy.
    parser = etree.XMLParser(no_network=True, resolve_entities=False, remove_comments=True)
    tree = etree.parse(str(path), parser)
    for imp in tree.getroot().iterfind(f"{{{_XS}}}import"):
        if imp.get("namespace") == _DSIG_NS:
            imp.set("schemaLocation", xmldsig_schema_path().as_uri())
    try:
        return etree.XMLSchema(tree)
    except etree.XMLSchemaParseError as exc:
        raise ConfigurationError(problem("config.invalid", f"cannot compile {path}: {exc}")) from exc


def lifecycle_schema(dirs: Sequence[Path] = ()) -> etree.XMLSchema:
    """The compiled lifecycle schema from ``dirs`` then the default directories; compiled once, shared."""
    key = tuple(dict.fromkeys([*(Path(d) for d in dirs), *default_schema_dirs()]))
    with _lock:
        cached = _compiled.get(key)
    if cached is not None:
        return cached
    schema = _compile(schema_path(key))
    with _lock:
        return _compiled.setdefault(key, schema)


def validate_lifecycle(root: etree._Element, *, schema: etree.XMLSchema | None = None) -> list[Problem]:
    """Validate a lifecycle message against its XSD; [] when valid, else one schema.invalid per error."""
    return schema_problems(schema if schema is not None else lifecycle_schema(), root)
