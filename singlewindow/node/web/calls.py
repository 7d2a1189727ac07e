"""Calling the injected look-ups, whether they are plain functions or coroutines."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from singlewindow.offload import in_thread

T = TypeVar("T")
A = TypeVar("A")


async def call(function: Callable[[A], T | Awaitable[T]], argument: A) -> T:
    """Await a coroutine function; run a plain one in a worker thread so storage I/O never blocks the loop."""
    if inspect.iscoroutinefunction(function):
        return cast(T, await function(argument))
    result = await in_thread(function, argument)
    if inspect.isawaitable(result):
        return cast(T, await result)
    return result
