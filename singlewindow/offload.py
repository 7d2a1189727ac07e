"""Blocking work (database calls, verifications) handed from the event loop to one thread pool per process.

anyio's ``to_thread.run_sync`` (and Starlette's ``run_in_threadpool`` over it) cost 63–71 µs of CPU
a hand-off with 32 under way (a capacity limiter, a cancel scope and a worker thread woken per call);
this, the loop's own ``run_in_executor`` over one shared pool, 23–32 µs (docs/PERFORMANCE.md).
``in_thread`` keeps what the services relied on: the call sees the caller's context variables (the
log bindings of its request), and once handed off it runs to its end even when the caller is
cancelled, the cancellation going on afterwards, as with anyio.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

#: as many threads as anyio's default limiter allowed; more than any database pool of ours
WORKERS = 40
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="singlewindow-worker")


async def in_thread(call: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``call(*args, **kwargs)`` in the worker pool; its result, or its exception, here."""
    context = contextvars.copy_context()

    def work() -> R:
        return context.run(call, *args, **kwargs)

    future = asyncio.get_running_loop().run_in_executor(_POOL, work)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # the call was handed off: let it finish (a write commits or fails whole), then be cancelled
        while not future.done():
            try:
                await asyncio.shield(future)
            except asyncio.CancelledError:
                continue
        raise
