"""Canonical XML with lxml: C14N 1.0 of an element (exclusive or inclusive, with comments or not)."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from singlewindow.xmlsec.names import EXC_C14N, EXC_C14N_COMMENTS

EXCLUSIVE = frozenset({EXC_C14N, EXC_C14N_COMMENTS})


def c14n(element: etree._Element, *, algorithm: str, prefixes: Sequence[str] | None = None) -> bytes:
    """``element`` canonicalised by a C14N 1.0 URI (exclusive or inclusive, with comments or not).

    ``prefixes``: an InclusiveNamespaces PrefixList, which only exclusive C14N reads.
    """
    exclusive = algorithm in EXCLUSIVE
    return etree.tostring(
        element,
        method="c14n",
        exclusive=exclusive,
        with_comments=algorithm.endswith("#WithComments"),
        inclusive_ns_prefixes=list(prefixes) if exclusive and prefixes is not None else None,
    )


def c14n_text(text: str | None) -> bytes:
    """A text node's octets in canonical XML: ``&``, ``<``, ``>`` and CR escaped, UTF-8 (C14N 1.0, 2.3)."""
    if not text:
        return b""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    return escaped.encode()
