"""An event that costs next to nothing until someone waits for it.

``anyio.Event`` on asyncio is an ``asyncio.Event``, whose deque of waiters
alone is 624 bytes; on trio a ``trio.Event`` with its parking lot. An object
that lives as long as a connection and holds several events, most of them
never waited for (a WebSocket's), pays that for each one. This one is two
slots until :meth:`wait` finds it unset and makes the real event.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel

__all__ = ("LazyEvent",)


class LazyEvent:
    """``set``/``is_set``/``wait`` like :class:`anyio.Event`, allocated on first wait."""

    __slots__ = ("_event", "_set")

    def __init__(self) -> None:
        self._set = False
        self._event: anyio.Event | None = None

    def set(self) -> None:
        """Set the flag and wake every waiter."""
        self._set = True
        if self._event is not None:
            self._event.set()

    def is_set(self) -> bool:
        """True once :meth:`set` was called."""
        return self._set

    async def wait(self) -> None:
        """Wait until the flag is set; a checkpoint either way, as anyio's."""
        if self._set:
            await anyio.lowlevel.checkpoint()
            return
        if self._event is None:
            self._event = anyio.Event()
        await self._event.wait()
