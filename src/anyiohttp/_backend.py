"""Which anyio backend runs, and a cheap clock for it.

``anyio.current_time()`` looks the backend up on every call; the hot paths
(a deadline per request, a timestamp per released connection) take the
backend's own clock once, when their owner starts, and call it directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anyio

__all__ = ("clock", "on_asyncio")


def on_asyncio() -> bool:
    """True when the running anyio backend is asyncio."""
    return anyio.get_cancelled_exc_class() is asyncio.CancelledError


def clock() -> Callable[[], float]:
    """The running backend's clock: the same readings as ``anyio.current_time()``."""
    if on_asyncio():
        return asyncio.get_running_loop().time
    import trio

    return trio.current_time
