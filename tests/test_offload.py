"""The worker pool: results and errors come back, the context goes along, a cancelled caller waits."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from singlewindow.offload import in_thread

REQUEST = contextvars.ContextVar("request", default="none")


def test_the_result_and_the_error_of_the_call_come_back() -> None:
    """Arguments by position and name reach the call in another thread; its exception is raised here."""

    def divide(a: int, *, b: int) -> tuple[float, bool]:
        return a / b, threading.current_thread() is not threading.main_thread()

    async def main() -> None:
        assert await in_thread(divide, 6, b=3) == (2.0, True)
        with pytest.raises(ZeroDivisionError):
            await in_thread(divide, 1, b=0)

    asyncio.run(main())


def test_the_call_sees_the_callers_context_variables() -> None:
    """Log bindings of a request (context variables) are visible in the call made for it."""

    async def main() -> str:
        REQUEST.set("AR-2026-000001")
        return await in_thread(REQUEST.get)

    assert asyncio.run(main()) == "AR-2026-000001"


def test_a_cancelled_caller_waits_for_the_call_to_finish() -> None:
    """Cancelled while its call runs (a write under way), the caller goes on only once the call has ended."""
    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def write() -> None:
        started.set()
        release.wait(timeout=30)
        order.append("call ended")

    async def caller() -> None:
        try:
            await in_thread(write)
        except asyncio.CancelledError:
            order.append("caller cancelled")
            raise

    async def main() -> None:
        task = asyncio.create_task(caller())
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()  # the task hears of it on the loop's next turn, before the call is released
        asyncio.get_running_loop().call_soon(release.set)
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert order == ["call ended", "caller cancelled"]  # abandoning the call would give the reverse
