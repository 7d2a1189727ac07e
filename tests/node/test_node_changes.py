"""The table of held status reads: a change wakes the reads on its certificate only, and none is left."""

from __future__ import annotations

import asyncio

import pytest

from singlewindow.node.changes import StatusChanges


def test_a_change_wakes_every_read_held_on_its_certificate_and_no_other() -> None:
    async def scenario() -> None:
        changes = StatusChanges()
        with changes.watch("AR1") as first, changes.watch("AR1") as second, changes.watch("AR2") as other:
            assert len(changes) == 3
            changes.notify("AR1")
            changes.notify("UY9")  # nobody waits on it: nothing happens
            assert first.is_set() and second.is_set()
            assert not other.is_set()
        assert len(changes) == 0

    asyncio.run(scenario())


def test_a_read_that_fails_while_held_leaves_nothing_behind() -> None:
    async def scenario() -> None:
        changes = StatusChanges()
        with pytest.raises(RuntimeError), changes.watch("AR1"):
            raise RuntimeError("the client went away")
        assert len(changes) == 0
        changes.notify("AR1")  # no stale event to set

    asyncio.run(scenario())
