"""Submissions to the hub: a document goes alone when nothing else is on the way, together when several wait.

At most ``IN_FLIGHT`` requests from this node to the hub are under way at once. A document submitted
while they are waits, and goes with every document waiting by then in the next request (at most
``MAX_DOCUMENTS_TOGETHER`` documents of ``MAX_DOCUMENTS_TOGETHER_BYTES``): an idle node sends each
document at once by the single form, a busy one sends fewer, larger requests instead of one signed
request per certificate. No document waits for a batch to fill. Each document gets the answer the
single form would have given (docs/PROTOCOL.md); a hub that refuses a batch whole (a version without
the batch form, or anything but 200) gets those documents one by one.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from singlewindow.logging import get_logger
from singlewindow.protocol import (
    JSON_BODY_COVERS,
    MAX_DOCUMENTS_TOGETHER,
    MAX_DOCUMENTS_TOGETHER_BYTES,
    XML,
    SignatureAuth,
    SubmissionsBody,
    SubmittedBody,
)

MESSAGES_PATH = "/api/v1/messages"
MESSAGES_BATCH_PATH = "/api/v1/messages/batch"
#: requests to the hub under way at once from one node
IN_FLIGHT = 2
_log = get_logger("singlewindow.node.submissions")


@dataclass(frozen=True, slots=True)
class HubAnswer:
    """The hub's answer to one document: the single form's status and JSON body."""

    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


def _answer_of(response: httpx.Response) -> HubAnswer:
    try:
        body = response.json()
    except ValueError:
        body = {}
    return HubAnswer(response.status_code, body if isinstance(body, dict) else {})


class Submissions:
    """The documents waiting for the hub and the requests under way."""

    def __init__(self, *, client: httpx.AsyncClient, hub_url: str, auth: Callable[[], SignatureAuth]) -> None:
        #: ``auth`` gives the node's signer in force (it changes when the node's key is rotated)
        self.client, self.hub_url, self.auth = client, hub_url.rstrip("/"), auth
        self._waiting: list[tuple[bytes, asyncio.Future[HubAnswer]]] = []
        self._running = 0
        #: the requests under way (kept referenced until they finish)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> int:
        """How many documents wait for a request to the hub to finish (none go while fewer are under way)."""
        return len(self._waiting)

    async def send(self, document: bytes) -> HubAnswer:
        """The hub's answer to ``document``; raises ``httpx.HTTPError`` when the hub was not reached."""
        future: asyncio.Future[HubAnswer] = asyncio.get_running_loop().create_future()
        self._waiting.append((document, future))
        self._start()
        return await future

    def _start(self) -> None:
        while self._waiting and self._running < IN_FLIGHT:
            batch = self._take()
            self._running += 1
            # a context of its own: the log bindings of the request that started it stay there
            task = asyncio.create_task(self._send(batch), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _take(self) -> list[tuple[bytes, asyncio.Future[HubAnswer]]]:
        """The next request's documents, in the order submitted (a large one goes alone)."""
        batch = [self._waiting[0]]
        size = len(batch[0][0])
        for entry in self._waiting[1:MAX_DOCUMENTS_TOGETHER]:
            if size + len(entry[0]) > MAX_DOCUMENTS_TOGETHER_BYTES:
                break
            batch.append(entry)
            size += len(entry[0])
        del self._waiting[: len(batch)]
        return batch

    async def _send(self, batch: list[tuple[bytes, asyncio.Future[HubAnswer]]]) -> None:
        documents = [document for document, _ in batch]
        try:
            answers = await (self._many(documents) if len(documents) > 1 else self._one(documents[0]))
        except httpx.HTTPError as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        except Exception:
            _log.exception("submission_crashed", documents=len(documents))
        else:
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)
        finally:
            # cut short (shutdown) or crashed: the caller keeps the document submitted, sent again later
            for _, future in batch:
                if not future.done():
                    future.set_exception(httpx.TransportError("the submission to the hub was cut short"))
            self._running -= 1
            self._start()

    async def _one(self, document: bytes) -> list[HubAnswer]:
        response = await self.client.post(
            self.hub_url + MESSAGES_PATH, content=document, headers={"content-type": XML}, auth=self.auth()
        )
        return [_answer_of(response)]

    async def _many(self, documents: list[bytes]) -> list[HubAnswer]:
        signer = self.auth()
        body = SubmissionsBody(documents=documents)
        response = await self.client.post(
            self.hub_url + MESSAGES_BATCH_PATH,
            content=body.model_dump_json().encode(),
            headers={"content-type": "application/json"},
            auth=SignatureAuth(
                key=signer.key, keyid=signer.keyid, cover=JSON_BODY_COVERS, clock=signer.clock
            ),
        )
        items = None
        if response.status_code == 200:
            try:
                items = SubmittedBody.model_validate_json(response.content).documents
            except ValidationError:
                items = None
        if items is None or len(items) != len(documents):
            # refused whole (an older hub: 404/405) or not understood: the single form, one by one
            _log.warning("batch_refused_whole", status=response.status_code, documents=len(documents))
            answers = await asyncio.gather(*(self._one(document) for document in documents))
            return [answer for (answer,) in answers]
        return [
            HubAnswer(202, item.accepted.model_dump(mode="json"))
            if item.status == 202 and item.accepted is not None
            else HubAnswer(item.status, {"problems": [p.model_dump() for p in item.problems]})
            for item in items
        ]
