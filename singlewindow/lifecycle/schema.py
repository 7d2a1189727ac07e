"""The lifecycle XSD, shipped as package data: read via importlib.resources, compiled once, offline."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from lxml import etree

from singlewindow.cod.schemas import default_schema_dirs, schema_problems
from singlewindow.errors import ConfigurationError, Problem, problem
from singlewindow.xmlsec.parser import schema_parser

SCHEMA_FILE = "lifecycle.xsd"
#: the project's own XSDs live inside the package (``singlewindow/schemas/``), so an installed
#: wheel finds them wherever it runs — never relative to a source checkout
PACKAGED = resources.files("singlewindow") / "schemas" / SCHEMA_FILE
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


@contextmanager
def xmldsig_schema() -> Iterator[Path]:
    """The XMLDSig core schema the lifecycle XSD imports, as a file while the block runs.

    We use the copy packaged in signxml (a pinned dependency, the W3C schema unchanged) through
    importlib.resources rather than shipping our own: a hand-made minimal ``ds:Signature``
    declaration would validate less than the real schema, and copying the W3C file into the
    repository would duplicate a fetched standard. ``as_file`` gives a real path even from a
    zipped install, which libxml2 needs to follow the ``xs:import``.
    """
    resource = resources.files("signxml") / "schemas" / "xmldsig-core-schema.xsd"
    if not resource.is_file():
        raise ConfigurationError(problem("config.invalid", "signxml ships no xmldsig-core-schema.xsd"))
    with resources.as_file(resource) as path:
        yield path


def _compile(data: bytes, *, origin: str) -> etree.XMLSchema:
    # Our own file: no network, no entities; the W3C XMLDSig import is re-pointed to a local copy.
    parser = schema_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigurationError(problem("config.invalid", f"{origin} is not well-formed XML")) from exc
    with xmldsig_schema() as xmldsig:
        for imp in root.iterfind(f"{{{_XS}}}import"):
            if imp.get("namespace") == _DSIG_NS:
                imp.set("schemaLocation", xmldsig.as_uri())
        try:
            return etree.XMLSchema(root)
        except etree.XMLSchemaParseError as exc:
            raise ConfigurationError(problem("config.invalid", f"cannot compile {origin}: {exc}")) from exc


def lifecycle_schema(dirs: Sequence[Path] = ()) -> etree.XMLSchema:
    """The compiled lifecycle schema: a ``lifecycle.xsd`` in ``dirs`` or the default directories
    overrides the packaged one; compiled once per set of directories, shared."""
    key = tuple(dict.fromkeys([*(Path(d) for d in dirs), *default_schema_dirs()]))
    with _lock:
        cached = _compiled.get(key)
    if cached is not None:
        return cached
    overrides = [Path(d) / SCHEMA_FILE for d in key if (Path(d) / SCHEMA_FILE).is_file()]
    if overrides:
        schema = _compile(overrides[0].read_bytes(), origin=str(overrides[0]))
    else:
        schema = _compile(PACKAGED.read_bytes(), origin=f"the packaged {SCHEMA_FILE}")
    with _lock:
        return _compiled.setdefault(key, schema)


def validate_lifecycle(root: etree._Element, *, schema: etree.XMLSchema | None = None) -> list[Problem]:
    """Validate a lifecycle message against its XSD; [] when valid, else one schema.invalid per error."""
    return schema_problems(schema if schema is not None else lifecycle_schema(), root)
