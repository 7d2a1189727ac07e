"""The Cancellation profile of the one pinned-signature engine against signxml: never laxer."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from singlewindow.errors import CODES, UnusableInput
from singlewindow.xmlsec import CANCELLATION, parse_xml, verify_signature
from singlewindow.xmlsec.oracle import oracle_verify

Cancel = Callable[..., bytes]
EXAMPLES = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _assert_never_laxer(data: bytes) -> None:
    try:
        root = parse_xml(data)
    except UnusableInput:
        return  # refused before any signature is looked at
    result = verify_signature(
        root, role=CANCELLATION, allow_sha1=False, at=datetime.now(UTC), certificate_check=lambda c: ()
    )
    if result.ok:
        oracle = oracle_verify(data, profile=CANCELLATION)
        assert oracle.ok, f"the core accepted a cancellation signxml refuses: {oracle.error}"
    else:
        assert {p.code for p in result.problems} <= set(CODES)


@pytest.fixture(scope="module")
def genuine(cancel: Cancel) -> bytes:
    """One signed cancellation, made once for the module."""
    return cancel()


def test_a_genuine_cancellation_verifies_in_both(genuine: bytes) -> None:
    """The enveloped signature over #CANCEL verifies in the core and in signxml."""
    result = verify_signature(
        parse_xml(genuine),
        role=CANCELLATION,
        allow_sha1=False,
        at=datetime.now(UTC),
        certificate_check=lambda c: (),
    )
    assert result.ok, result.problems
    assert oracle_verify(genuine, profile=CANCELLATION).ok


@EXAMPLES
@given(data=st.data())
def test_byte_flips_and_moved_elements(genuine: bytes, data: st.DataObject) -> None:
    """A changed byte, or an element moved or duplicated: never accepted unless signxml accepts it."""
    if data.draw(st.booleans()):
        index = data.draw(st.integers(min_value=0, max_value=len(genuine) - 1))
        byte = data.draw(st.integers(min_value=0x20, max_value=0x7E))
        _assert_never_laxer(genuine[:index] + bytes([byte]) + genuine[index + 1 :])
        return
    root = etree.fromstring(genuine)
    elements = [element for element in root.iter(etree.Element) if element is not root]
    node = elements[data.draw(st.integers(min_value=0, max_value=len(elements) - 1))]
    targets = [root] + [e for e in elements if e is not node and node not in e.iterancestors()]
    target = targets[data.draw(st.integers(min_value=0, max_value=len(targets) - 1))]
    if data.draw(st.booleans()):
        target.append(node)
    else:
        target.append(copy.deepcopy(node))
    _assert_never_laxer(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
