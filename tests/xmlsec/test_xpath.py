"""XPath shared by worker threads: each thread evaluates its own compiled copy, with lxml's results."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from lxml import etree

from singlewindow.xmlsec.xpath import ThreadXPath

DOCUMENT = etree.fromstring(
    b'<CODEH id="CODEH"><EH><EHId>001</EHId><EHCountry>AR</EHCountry></EH>'
    b'<CODExporter><COD id="COD"><CODVer>2.0.0</CODVer></COD></CODExporter></CODEH>'
)
UNION = "EH/EHId | EH/EHCountry | CODExporter/COD"
VALUED = "/descendant::*/@*[. = $v0 or . = $v1]"


def _tags(found: object) -> list[str]:
    assert isinstance(found, list)
    return [str(node.tag) if isinstance(node, etree._Element) else str(node) for node in found]


def test_results_are_lxmls_with_and_without_variables() -> None:
    """The same nodes in the same order as ``etree.XPath`` gives, variables included."""
    assert (
        _tags(ThreadXPath(UNION)(DOCUMENT))
        == _tags(etree.XPath(UNION)(DOCUMENT))
        == [
            "EHId",
            "EHCountry",
            "COD",
        ]
    )
    variables = {"v0": "COD", "v1": "CODEH"}
    assert _tags(ThreadXPath(VALUED)(DOCUMENT, **variables)) == ["CODEH", "COD"]


def test_each_thread_evaluates_its_own_compiled_copy() -> None:
    """Eight threads at once get lxml's answer, each from a copy no other thread holds (no shared lock)."""
    xpath = ThreadXPath(UNION)
    together = threading.Barrier(8)

    def evaluate(_: int) -> tuple[list[str], int]:
        together.wait(timeout=30)  # eight threads, each evaluating once
        found = _tags(xpath(DOCUMENT))
        return found, id(xpath._local.compiled)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(evaluate, range(8)))
    assert all(found == ["EHId", "EHCountry", "COD"] for found, _ in results)
    copies = {copy for _, copy in results}
    assert len(copies) == 8
    assert id(xpath._local.compiled) not in copies  # the constructing thread keeps its own


def test_a_bad_expression_fails_where_it_is_written() -> None:
    """The expression is compiled at construction, so a typo fails at import, not on a request."""
    with pytest.raises(etree.XPathSyntaxError):
        ThreadXPath("EH/[")
