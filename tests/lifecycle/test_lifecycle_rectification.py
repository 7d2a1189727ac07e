"""Rectifications: which CertificateID rectifies which, which is current, and how a hub admits a new one."""

from __future__ import annotations

import pytest

from singlewindow.cod import CertificateID
from singlewindow.lifecycle import Lineage, admission, current_certificate_id, rectification_of

ORIGINAL = "AR001A18260000043000"
FIRST = "AR001A18260000043001"
SECOND = "AR001A18260000043002"
OTHER = "AR001A18260000044001"


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [
        (FIRST, ORIGINAL, True),
        (SECOND, ORIGINAL, True),
        (SECOND, FIRST, True),
        (ORIGINAL, FIRST, False),
        (FIRST, FIRST, False),
        (OTHER, ORIGINAL, False),
        ("BR001A18260000043001", ORIGINAL, False),
    ],
    ids=["01-of-00", "02-of-00", "02-of-01", "older", "same", "other-number", "other-country"],
)
def test_rectification_of(new: str, old: str, expected: bool) -> None:
    """Only the same certificate (same first 18 characters) with a higher rectification code rectifies."""
    assert rectification_of(new, old) is expected
    assert rectification_of(CertificateID.parse(new), CertificateID.parse(old)) is expected


def test_rectification_of_refuses_malformed_ids() -> None:
    """A malformed CertificateID is a ValueError, never a silent False."""
    with pytest.raises(ValueError, match="20 characters"):
        rectification_of("AR001", ORIGINAL)


def test_lineage_current_and_replacements() -> None:
    """The highest rectification code is current; every older id is replaced by it, in any input order."""
    lineage = Lineage.of([SECOND, ORIGINAL, FIRST, FIRST])
    assert [str(cid) for cid in lineage.ids] == [ORIGINAL, FIRST, SECOND]
    assert str(lineage.current) == SECOND == str(current_certificate_id([FIRST, SECOND, ORIGINAL]))
    assert lineage.base == ORIGINAL[:18]
    assert lineage.replacements() == {ORIGINAL: SECOND, FIRST: SECOND}
    assert str(lineage.replaced_by(ORIGINAL)) == SECOND
    assert lineage.replaced_by(SECOND) is None


def test_lineage_refuses_mixed_or_empty_input() -> None:
    """A lineage holds one certificate: ids of different bases, or none, are a ValueError."""
    with pytest.raises(ValueError, match="different certificates"):
        Lineage.of([ORIGINAL, OTHER])
    with pytest.raises(ValueError, match="at least one"):
        Lineage.of([])


@pytest.mark.parametrize(
    ("incoming", "stored", "expected"),
    [
        (ORIGINAL, [], "new"),
        (ORIGINAL, [OTHER], "new"),
        (ORIGINAL, [ORIGINAL], "same"),
        (FIRST, [ORIGINAL], "rectification"),
        (SECOND, [ORIGINAL, FIRST, OTHER], "rectification"),
        (FIRST, [ORIGINAL, SECOND], "stale"),
        (ORIGINAL, [FIRST], "stale"),
    ],
    ids=["first", "unrelated-stored", "same", "rectification", "second-rectification", "late-01", "older"],
)
def test_admission(incoming: str, stored: list[str], expected: str) -> None:
    """A hub accepts a new certificate or a higher rectification; a lower or equal code is stale (409)."""
    assert admission(incoming, stored=stored) == expected
