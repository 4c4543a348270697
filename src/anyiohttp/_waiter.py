"""One task's wait, woken by anyone: a WebSocket's ``receive()`` waits on one per message.

An ``anyio.Event`` made for each wait is an ``asyncio.Event`` (a deque of
waiters, a future) or a ``trio.Event`` (a parking lot) behind anyio's
wrapper: about twice what the wait itself costs, paid for every message a
WebSocket receives. A :class:`Waiter` is that wait on the backend's own
primitive and nothing else: a future on asyncio, a parked task on trio.
Cancel scopes cancel it like any other wait.

With :mod:`anyiohttp._backend` and the two stream modules, this is the only
module that touches asyncio or trio directly.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from ._backend import on_asyncio

__all__ = ("Waiter", "new_waiter")


class Waiter(Protocol):
    """A wait for one task at a time; :meth:`wake` ends it (nothing when no one waits)."""

    async def wait(self) -> None:
        """Wait until :meth:`wake` is called (a wake before the wait is not kept)."""

    def wake(self) -> None:
        """End the wait under way, if any."""


class _AsyncioWaiter:
    __slots__ = ("_future", "_loop")

    def __init__(self) -> None:
        # Taken once: asyncio.get_running_loop() costs a getpid() each call.
        self._loop = asyncio.get_running_loop()
        self._future: asyncio.Future[None] | None = None

    async def wait(self) -> None:
        self._future = future = self._loop.create_future()
        try:
            await future
        finally:
            self._future = None

    def wake(self) -> None:
        future = self._future
        if future is not None:
            self._future = None
            if not future.done():
                future.set_result(None)


# trio.lowlevel once a trio waiter was asked for: trio is optional, and not
# imported on asyncio.
_lowlevel: Any = None


class _TrioWaiter:
    __slots__ = ("_task",)

    def __init__(self) -> None:
        self._task: Any = None

    async def wait(self) -> None:
        self._task = _lowlevel.current_task()
        try:
            await _lowlevel.wait_task_rescheduled(self._aborted)
        finally:
            self._task = None

    def _aborted(self, _: Any) -> Any:
        # Cancelled: trio reschedules the task itself, so a wake() between
        # now and its next step must not reschedule it a second time.
        self._task = None
        return _lowlevel.Abort.SUCCEEDED

    def wake(self) -> None:
        task = self._task
        if task is not None:
            self._task = None
            _lowlevel.reschedule(task)


def new_waiter() -> Waiter:
    """A waiter for the running backend (call it from a task)."""
    if on_asyncio():
        return _AsyncioWaiter()
    global _lowlevel
    if _lowlevel is None:
        import trio.lowlevel

        _lowlevel = trio.lowlevel
    return _TrioWaiter()
