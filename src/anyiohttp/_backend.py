"""Which anyio backend runs, and a cheap clock for it.

``anyio.current_time()`` looks the backend up on every call; the hot paths
(a deadline per request, a timestamp per released connection) take the
backend's own clock once, when their owner starts, and call it directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import anyio

__all__ = ("clock", "deadline_scope_factory", "on_asyncio")


def on_asyncio() -> bool:
    """True when the running anyio backend is asyncio."""
    return anyio.get_cancelled_exc_class() is asyncio.CancelledError


def clock() -> Callable[[], float]:
    """The running backend's clock: the same readings as ``anyio.current_time()``."""
    if on_asyncio():
        return asyncio.get_running_loop().time
    import trio

    return trio.current_time


def _anyio_scope(deadline: float) -> AbstractContextManager[anyio.CancelScope]:
    return anyio.CancelScope(deadline=deadline)


def deadline_scope_factory() -> Callable[[float], AbstractContextManager[Any]]:
    """A maker of cancel scopes with a deadline, the cheapest for the running backend.

    On trio it is trio's own scope (anyio's wraps it, at half again the cost
    per request); on asyncio, anyio's. Either has ``cancelled_caught``.
    """
    if on_asyncio():
        return _anyio_scope
    import trio

    return lambda deadline: trio.CancelScope(deadline=deadline)
