"""XSD validation of COD documents, by CODVer and stage, with schemas compiled once.

Where the schemas come from, for each (CODVer, stage):

1. ``cod_ver_<ver>.xsd`` is the complete stage; ``cod_ver_<ver>_exporter_unsigned.xsd`` and
   ``cod_ver_<ver>_exporter_signed.xsd`` are the request stages, when ALADI publishes them
   (only 1.8.2 has them).
2. Alias: CODVer 1.8.0 has no request-stage files, and its complete XSD is a different,
   much older layout; real 1.8.0 requests (such as the published ``A14-FormA18-unsigned.xml``)
   validate against the 1.8.2 request schemas, so 1.8.0 request stages use those (``ALIASES``).
3. Otherwise the request stages are DERIVED, in memory, from the complete XSD of that version:
   a deep copy of the parsed schema tree with, for ``exporter_signed``, the EH and
   CertificationEH element declarations and the ``ds:Signature`` after CODEH removed; for
   ``request``, also the ``ds:Signature`` after COD. This is exactly how ALADI derived the
   1.8.2 request files from cod_ver_1.8.2.xsd (the diff is those declarations only).

Every COD XSD imports XMLDSig from a W3C URL (with a trailing space). There is no network and
libxml2 does not ask lxml resolvers for it, so the ``xs:import`` in the parsed tree is re-pointed
to the copy shipped inside the signxml wheel before compiling; the files are never modified.
signxml is located, not imported.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from lxml import etree

from singlewindow.cod.derive import derive_layouts
from singlewindow.cod.layouts import FormLayout, register
from singlewindow.cod.types import STAGES, Stage
from singlewindow.cod.xml import read_cod_ver
from singlewindow.errors import ConfigurationError, Problem, problem
from singlewindow.xmlsec.parser import schema_parser

XS = "http://www.w3.org/2001/XMLSchema"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
ENV_SCHEMA_DIRS = "SINGLEWINDOW_SCHEMA_DIRS"

#: Request stages of a CODVer that are served by another CODVer's request-stage files.
ALIASES: Mapping[str, str] = {"1.8.0": "1.8.2"}

_FILE = re.compile(r"^cod_ver_(\d+\.\d+\.\d+)(?:_exporter_(unsigned|signed))?\.xsd$")
_STAGE_OF_SUFFIX: Mapping[str | None, Stage] = {
    None: "complete",
    "unsigned": "request",
    "signed": "exporter_signed",
}


def xmldsig_schema_path() -> Path:
    """The XMLDSig core schema shipped in the signxml wheel (located without importing signxml)."""
    spec = importlib.util.find_spec("signxml")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            problem("schema.unknown_version", "signxml is not installed: no XMLDSig XSD")
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "schemas" / "xmldsig-core-schema.xsd"
    if not path.is_file():
        raise ConfigurationError(problem("schema.unknown_version", f"XMLDSig XSD not found at {path}"))
    return path


def default_schema_dirs() -> list[Path]:
    """The repository's ``schemas/`` (if present), then each directory of $SINGLEWINDOW_SCHEMA_DIRS."""
    dirs: list[Path] = []
    repo_schemas = Path(__file__).resolve().parents[2] / "schemas"
    if repo_schemas.is_dir():
        dirs.append(repo_schemas)
    dirs += [Path(part) for part in os.environ.get(ENV_SCHEMA_DIRS, "").split(os.pathsep) if part.strip()]
    return dirs


def _parser() -> etree.XMLParser:
    return schema_parser()


def _repoint_xmldsig(tree: etree._ElementTree, xmldsig: Path) -> None:
    for imp in tree.getroot().iterfind(f"{{{XS}}}import"):
        if imp.get("namespace") == DSIG_NS:
            imp.set("schemaLocation", xmldsig.as_uri())


def _is_signature_ref(el: etree._Element) -> bool:
    ref = el.get("ref")
    if not ref:
        return False
    prefix, _, local = ref.rpartition(":")
    return local == "Signature" and el.nsmap.get(prefix or None) == DSIG_NS


def _sequence_of(element_decl: etree._Element) -> etree._Element | None:
    return element_decl.find(f"{{{XS}}}complexType/{{{XS}}}sequence")


def derive_stage(tree: etree._ElementTree, stage: Stage) -> etree._ElementTree:
    """A copy of a complete-stage COD XSD tree reduced to ``stage`` (see the module docstring)."""
    if stage == "complete":
        return copy.deepcopy(tree)
    derived = copy.deepcopy(tree)
    root = derived.getroot()
    body = root.find(f"{{{XS}}}complexType[@name='Body']/{{{XS}}}sequence")
    codeh = body.find(f"{{{XS}}}element[@name='CODEH']") if body is not None else None
    codeh_seq = _sequence_of(codeh) if codeh is not None else None
    codexp = codeh_seq.find(f"{{{XS}}}element[@name='CODExporter']") if codeh_seq is not None else None
    codexp_seq = _sequence_of(codexp) if codexp is not None else None
    if body is None or codeh_seq is None or codexp_seq is None:
        raise ValueError("the XSD does not have the COD shape Body/CODEH/CODExporter")
    doomed = [el for el in body if _is_signature_ref(el)]
    doomed += [el for el in codeh_seq if el.get("name") in ("EH", "CertificationEH")]
    if stage == "request":
        doomed += [el for el in codexp_seq if _is_signature_ref(el)]
    for el in doomed:
        parent = el.getparent()
        assert parent is not None
        parent.remove(el)
    return derived


class SchemaRegistry:
    """Compiled COD schemas keyed by (CODVer, stage); immutable once loaded, safe to share."""

    def __init__(
        self,
        schemas: Mapping[tuple[str, Stage], etree.XMLSchema],
        origins: Mapping[tuple[str, Stage], str],
        layouts: Sequence[FormLayout] = (),
    ):
        self._schemas = dict(schemas)
        self._origins = dict(origins)
        self._layouts = {(layout.cod_ver, layout.form): layout for layout in layouts}
        register(layouts)

    @classmethod
    def load(cls, dirs: Sequence[Path], *, xmldsig: Path | None = None) -> SchemaRegistry:
        """Load every ``cod_ver_*.xsd`` in ``dirs`` (the first directory holding a file name wins).

        Compiling the XSDs and deriving the form layouts takes a quarter of a second; a registry is
        immutable, so one process loading the same files again (several in-process services, each
        app of a harness) gets the registry already compiled. The files are read each time and
        compared by content, so an edited or replaced XSD is always compiled anew.
        """
        dsig = xmldsig or xmldsig_schema_path()
        files: dict[tuple[str, Stage], Path] = {}
        for directory in dirs:
            if not directory.is_dir():
                continue
            for path in sorted(directory.iterdir()):
                match = _FILE.match(path.name)
                if match:
                    files.setdefault((match.group(1), _STAGE_OF_SUFFIX[match.group(2)]), path)
        contents = tuple(
            (key, str(path), hashlib.sha256(path.read_bytes()).hexdigest()) for key, path in files.items()
        )
        return cls._compiled(contents, str(dsig))

    @classmethod
    @functools.lru_cache(maxsize=4)
    def _compiled(
        cls, contents: tuple[tuple[tuple[str, Stage], str, str], ...], dsig_path: str
    ) -> SchemaRegistry:
        """The registry of exactly these files (by path and SHA-256 of their bytes), compiled once."""
        dsig = Path(dsig_path)
        files: dict[tuple[str, Stage], Path] = {key: Path(path) for key, path, _ in contents}
        trees: dict[tuple[str, Stage], etree._ElementTree] = {}
        origins: dict[tuple[str, Stage], str] = {}
        for key, path in files.items():
            tree = etree.parse(str(path), _parser())
            _repoint_xmldsig(tree, dsig)
            trees[key], origins[key] = tree, path.name
        versions = {version for version, _ in files}
        layouts: list[FormLayout] = []
        for version in sorted(versions):
            # the form layouts come from the complete-stage XSD, else from a request-stage file
            stages: tuple[Stage, ...] = ("complete", "exporter_signed", "request")
            source = next((version, s) for s in stages if (version, s) in files)
            try:
                layouts += derive_layouts(trees[source], version, origin=files[source].name)
            except ValueError as exc:
                message = f"cannot derive the form layouts of {files[source].name}: {exc}"
                raise ConfigurationError(problem("schema.unknown_version", message)) from exc
        for version in sorted(versions):
            for stage in STAGES:
                if (version, stage) in trees:
                    continue
                alias = ALIASES.get(version)
                if alias is not None and (alias, stage) in files:
                    trees[(version, stage)] = trees[(alias, stage)]
                    origins[(version, stage)] = f"{files[(alias, stage)].name} (alias of {version})"
                elif (version, "complete") in files:
                    trees[(version, stage)] = derive_stage(trees[(version, "complete")], stage)
                    origins[(version, stage)] = f"derived from {files[(version, 'complete')].name}"
        compiled: dict[int, etree.XMLSchema] = {}
        schemas: dict[tuple[str, Stage], etree.XMLSchema] = {}
        for key, tree in trees.items():
            if id(tree) not in compiled:
                try:
                    compiled[id(tree)] = etree.XMLSchema(tree)
                except etree.XMLSchemaParseError as exc:
                    message = f"cannot compile {origins[key]}: {exc}"
                    raise ConfigurationError(problem("schema.unknown_version", message)) from exc
            schemas[key] = compiled[id(tree)]
        return cls(schemas, origins, layouts)

    def layouts(self) -> list[FormLayout]:
        """The form layouts derived from this registry's XSDs, sorted by CODVer and form."""
        return [self._layouts[key] for key in sorted(self._layouts)]

    def layout(self, cod_ver: str, form: str) -> FormLayout | None:
        """The layout of ``form`` at ``cod_ver`` derived from this registry's XSDs, or None."""
        return self._layouts.get((cod_ver, form))

    def keys(self) -> list[tuple[str, Stage]]:
        """Every (CODVer, stage) with a schema, sorted."""
        return sorted(self._schemas)

    def versions(self) -> list[str]:
        """Every CODVer with at least one schema, sorted."""
        return sorted({version for version, _ in self._schemas})

    def origin(self, cod_ver: str, stage: Stage) -> str | None:
        """Which file (or derivation) serves (CODVer, stage)."""
        return self._origins.get((cod_ver, stage))

    def schema(self, cod_ver: str, stage: Stage) -> etree.XMLSchema | None:
        """The compiled schema for (CODVer, stage), or None."""
        return self._schemas.get((cod_ver, stage))

    def validate(self, root: etree._Element, *, stage: Stage) -> list[Problem]:
        """Validate a COD tree against the schema of its own CODVer at ``stage``; [] when valid."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        cod_ver = read_cod_ver(root)
        if not cod_ver:
            return [problem("schema.unknown_version", "the document carries no CODVer", "/")]
        schema = self._schemas.get((cod_ver, stage))
        if schema is None:
            known = ", ".join(self.versions()) or "none"
            message = f"no {stage}-stage schema for CODVer {cod_ver} (configured: {known})"
            return [problem("schema.unknown_version", message, "COD/CODVer")]
        return schema_problems(schema, root)


def schema_problems(schema: etree.XMLSchema, root: etree._Element) -> list[Problem]:
    """Validate ``root``; [] when valid, else one ``schema.invalid`` per libxml2 error, with line and path."""
    try:
        schema.assertValid(root)
    except etree.DocumentInvalid as exc:
        # The exception's log is this call's own, unlike schema.error_log (shared by threads).
        return [
            problem("schema.invalid", f"line {e.line}: {e.message}", e.path or f"line {e.line}")
            for e in exc.error_log  # type: ignore[attr-defined]  # lxml-stubs: _ErrorLog is iterable
        ] or [problem("schema.invalid", str(exc), "/")]
    return []
