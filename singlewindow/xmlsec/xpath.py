"""Compiled XPath expressions shared by the worker threads: one compiled copy per thread.

An ``etree.XPath`` lets one caller in at a time: it holds its own lock from the evaluation to the
end of building the Python result, which needs the GIL. Shared by the services' worker threads, a
thread that holds that lock waits for the GIL while the others queue behind it. Each thread here
compiles its own copy on first use, so no thread waits for another's evaluation
(docs/PERFORMANCE.md, "One parse per service, one XPath per thread").
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from lxml.etree import _XPathObject


class ThreadXPath:
    """An XPath expression compiled once per calling thread; called like ``etree.XPath``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._local.compiled = etree.XPath(path)  # a bad expression fails here, at import

    def __call__(self, element: etree._Element, **variables: _XPathObject) -> _XPathObject:
        """The expression evaluated on ``element`` with ``variables``, by this thread's own copy."""
        compiled: etree.XPath | None = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = etree.XPath(self.path)
        return compiled(element, **variables)

    def __repr__(self) -> str:
        return f"ThreadXPath({self.path!r})"
