"""The one hardened XML parser factory (no DTD, no entities, no network, size cap) and the one serialiser."""

from __future__ import annotations

import threading

from lxml import etree

from singlewindow.errors import InputTooLarge, Problem, UnusableInput, problem

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def _parser() -> etree.XMLParser:
    # lxml parsers are not thread-safe: a fresh one per call, or one per thread (``_thread_parser``).
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
    )


_LOCAL = threading.local()


def _thread_parser() -> etree.XMLParser:
    """This thread's own hardened parser for ``parse_xml`` (lxml reuses one parser per thread safely)."""
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = _parser()
    return parser


def hardened_parser() -> etree.XMLParser:
    """The package's one hardened lxml parser (no DTD, no entities, no network); a fresh one per call.

    Only ``parse_xml`` adds the size cap and the DTD, entity and PI refusals: parse untrusted bytes
    with it, and use this factory where lxml or signxml takes a parser.
    """
    return _parser()


def schema_parser() -> etree.XMLParser:
    """The hardened parser for XSD files (ours and the configured official ones): comments dropped.

    Same refusals as ``hardened_parser`` (no network, no entity expansion, no DTD loading);
    schema files are configuration, not hostile input, so no size cap.
    """
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )


def _syntax_problem(exc: etree.XMLSyntaxError) -> Problem:
    message = str(exc) or "the input is not well-formed XML"
    if "entity" in message.lower():
        return problem("input.entity_forbidden", f"entity reference refused: {message}")
    # plain words and where, not libxml2's message ("Start tag expected, '<' not found … (<string>, line 1)")
    line, column = getattr(exc, "position", None) or (exc.lineno, 0)
    where = f" at line {line}, column {column}" if line else ""
    return problem("input.not_xml", f"the input is not well-formed XML{where}")


def _doctype_problems(tree: etree._ElementTree) -> list[Problem]:
    docinfo = tree.docinfo
    doctype = str(docinfo.doctype)  # type: ignore[attr-defined]  # lxml-stubs lack DocInfo.doctype
    if not doctype and docinfo.internalDTD is None and docinfo.externalDTD is None:
        return []
    problems: list[Problem] = []
    dtd = docinfo.internalDTD
    entities = list(dtd.iterentities()) if dtd is not None else []  # type: ignore[attr-defined]  # not in lxml-stubs
    if entities:
        problems.append(problem("input.entity_forbidden", "the document type declaration declares entities"))
    problems.append(problem("input.dtd_forbidden", f"document type declaration refused: {doctype!r}"))
    return problems


def _content_problems(root: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    # One walk, node types filtered by lxml in C: no Python loop over every node of a large document.
    inside = list(root.iter(etree.Entity, etree.ProcessingInstruction))
    if any(isinstance(node, etree._Entity) for node in inside):
        problems.append(problem("input.entity_forbidden", "the document references entities"))
    around = [*root.itersiblings(preceding=True), *root.itersiblings(), *inside]
    targets = [str(node.target) for node in around if isinstance(node, etree._ProcessingInstruction)]
    if targets:
        message = f"processing instruction <?{targets[0]}?>"
        problems.append(problem("input.processing_instruction", message))
    return problems


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted bytes into the root element, refusing oversized, empty, DTD, entity and PI input.

    The size is checked before any parsing; entities are never expanded.
    """
    if len(data) > max_bytes:
        raise InputTooLarge(
            problem("input.too_large", f"the input has {len(data)} bytes; the limit is {max_bytes} bytes")
        )
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        raise UnusableInput(problem("input.empty"))
    try:
        root = etree.fromstring(data, parser=_thread_parser())
    except etree.XMLSyntaxError as exc:
        raise UnusableInput(_syntax_problem(exc)) from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise UnusableInput(problem("input.not_xml", str(exc))) from None
    problems = _doctype_problems(root.getroottree()) + _content_problems(root)
    if problems:
        raise UnusableInput(problems)
    return root


def serialize(root: etree._Element) -> bytes:
    """The document as UTF-8 bytes with an XML declaration (the one serialiser used everywhere)."""
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
