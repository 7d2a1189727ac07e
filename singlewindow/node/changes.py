"""Who is waiting for a sent certificate's status to change: the status read's ``wait``.

A customs system that wants to know when its certificate is delivered asks once with ``?wait=S``
instead of reading its status in a loop; the read is held until the status changes (the hub's push,
the outbox's own poll, a cancellation) or ``S`` seconds pass, and always answers with the status as
stored then. Every status change of a sent certificate goes through ``Outbox._update``, which calls
``notify``. The table lives in this process only: a change recorded by another process holding the
same database (none does today) would leave the read to answer at the end of its wait, no later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

#: the longest a status read may be held (``?wait=``), in seconds
MAX_WAIT_S = 30.0


class StatusChanges:
    """Events of the reads waiting on each certificate; used on the node's event loop only."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def watch(self, certificate_id: str) -> Iterator[asyncio.Event]:
        """An event set by the next change of ``certificate_id`` while the block runs.

        Enter it before reading the status: a change between that read and the wait then still
        sets the event, and is not slept through.
        """
        event = asyncio.Event()
        self._waiting.setdefault(certificate_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(certificate_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[certificate_id]

    def notify(self, certificate_id: str) -> None:
        """The status of ``certificate_id`` changed: wake every read waiting on it."""
        for event in self._waiting.get(certificate_id, ()):
            event.set()

    def __len__(self) -> int:
        """How many reads are waiting now (all certificates)."""
        return sum(len(events) for events in self._waiting.values())
