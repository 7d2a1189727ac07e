"""Memoising per object identity: one computation per live object, never an answer for another object."""

from __future__ import annotations

from singlewindow.memo import by_identity


class Box:
    """A value that compares and hashes by content, like a certificate."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Box) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def test_the_same_object_is_computed_once_and_an_equal_one_again() -> None:
    """A second call with the same object is answered from the memo; an equal but distinct object is not."""
    calls: list[int] = []

    @by_identity(maxsize=8)
    def double(box: Box, extra: int = 0) -> int:
        calls.append(box.value)
        return box.value * 2 + extra

    first = Box(3)
    assert double(first) == 6
    assert double(first) == 6
    assert double(Box(3)) == 6
    assert double(first, 1) == 7
    assert calls == [3, 3, 3]


def test_the_oldest_entry_goes_first_and_keyword_calls_are_not_memoised() -> None:
    """Beyond maxsize the oldest object is recomputed; a call with keywords always computes."""
    calls: list[int] = []

    @by_identity(maxsize=2)
    def value(box: Box, *, plus: int = 0) -> int:
        calls.append(box.value)
        return box.value + plus

    boxes = [Box(1), Box(2), Box(3)]
    for box in boxes:
        value(box)
    value(boxes[2])
    value(boxes[0])
    assert value(boxes[1], plus=10) == 12
    assert calls == [1, 2, 3, 1, 2]
