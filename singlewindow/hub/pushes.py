"""Outcome pushes: the hub tells each exporting node that its deliveries settled, several per request.

One push at a time goes to each node. The outcomes that settle while it is under way wait and go
together in the next one (at most ``MAX_PUSHED_OUTCOMES``): an idle federation pushes each outcome
at once, a busy one sends fewer, larger pushes instead of one signed request per certificate. Pushing
is best effort: a push that fails is not repeated, the node polls the hub's trail for what it did not
hear (docs/PROTOCOL.md).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable

import httpx

from singlewindow.logging import get_logger
from singlewindow.protocol import MAX_PUSHED_OUTCOMES, OutcomesBody, SignatureAuth, TrailBody

#: where the exporting node hears that its deliveries settled (push; its poll stays as fallback)
OUTCOMES_PATH = "/api/v1/outcomes"
_log = get_logger("singlewindow.hub.pushes")


class OutcomePushes:
    """The outcomes waiting for each exporting node, and the one push under way to each."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        auth: SignatureAuth,
        node_url: Callable[[str], str | None],
        timeout: float,
    ) -> None:
        self.client, self.auth, self.node_url, self.timeout = client, auth, node_url, timeout
        self._waiting: dict[str, list[TrailBody]] = {}
        #: the task pushing to each node now (kept referenced until it finishes)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def add(self, sender: str, outcome: TrailBody) -> None:
        """Push ``outcome`` to ``sender``'s node: now, or with the next push if one is under way."""
        self._waiting.setdefault(sender, []).append(outcome)
        if sender not in self._tasks:
            # a context of its own: the push carries other certificates than the one being logged now
            self._tasks[sender] = asyncio.create_task(self._drain(sender), context=contextvars.Context())

    async def _drain(self, sender: str) -> None:
        try:
            waiting = self._waiting[sender]
            while waiting:
                batch = waiting[:MAX_PUSHED_OUTCOMES]
                del waiting[:MAX_PUSHED_OUTCOMES]
                await self.push(sender, batch)
        finally:
            # no await since the last look at ``waiting``: an outcome added later starts a new task
            # (cancelled at shutdown: what still waits is left to the node's poll)
            self._waiting.pop(sender, None)
            self._tasks.pop(sender, None)

    async def push(self, sender: str, outcomes: list[TrailBody]) -> bool:
        """One signed push of ``outcomes`` to ``sender``'s node; True when the node took it (200)."""
        base = self.node_url(sender)
        if base is None:
            return False
        try:
            answer = await self.client.post(
                base + OUTCOMES_PATH,
                content=OutcomesBody(outcomes=outcomes).model_dump_json().encode("utf-8"),
                headers={"content-type": "application/json"},
                auth=self.auth,
                timeout=self.timeout,
            )
        except Exception as exc:  # the node's poll covers whatever a push could not tell
            _log.info("outcome_push_failed", node=sender, outcomes=len(outcomes), error=type(exc).__name__)
            return False
        return answer.status_code == 200

    async def settled(self) -> None:
        """Return once every outcome added so far has been pushed (or its push has failed)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def finish(self, *, timeout: float = 5.0) -> None:
        """Let the pushes under way finish (at most ``timeout`` s), then cancel the rest."""
        pending = list(self._tasks.values())
        if not pending:
            return
        _done, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
