"""Which anyio backend runs, and a cheap clock for it.

``anyio.current_time()`` looks the backend up on every call; the hot paths
(a deadline per request, a timestamp per released connection) take the
backend's own clock once, when their owner starts, and call it directly.
Also the answer to aiohttp's ``loop=`` argument, which nothing here takes.

This module, :mod:`anyiohttp._waiter` (a bare wait for WebSocket
messages) and the two stream modules are the only places that touch asyncio
or trio directly, and here only to read which backend runs and its clock:
no task, callback or loop method is used (tasks are anyio's, always in a
task group).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Final

import anyio

__all__ = (
    "NO_LOOP",
    "NoLoop",
    "clock",
    "deadline_scope_factory",
    "note_asyncio_under_trio",
    "on_asyncio",
    "refuse_loop",
)

# What asyncio's functions (and trio, meeting an asyncio future) raise when
# asyncio code runs under trio: asyncio.sleep/create_task/..., an awaited
# asyncio future, asyncio's Lock/Event/Queue (which find no loop, then None).
_ASYNCIO_UNDER_TRIO: Final = (
    "no running event loop",
    "trio.run received unrecognized yield",
    "'NoneType' object has no attribute 'create_future'",
)
_ASYNCIO_UNDER_TRIO_NOTE: Final = (
    "anyiohttp: this looks like asyncio code running under trio (asyncio.sleep, "
    "asyncio.create_task, asyncio.gather, an asyncio-only library...). Use anyio's "
    "equivalents, which run on both backends, or run on asyncio; see \"asyncio's own "
    'functions under trio" in docs/migrating.rst'
)


def note_asyncio_under_trio(exc: BaseException) -> None:
    """Add a note saying what to do to an error that asyncio code running under trio caused.

    Callers know the backend is trio. The exception stays what it is: the
    note only shows in its traceback.
    """
    if isinstance(exc, (RuntimeError, TypeError, AttributeError)) and any(
        sign in str(exc) for sign in _ASYNCIO_UNDER_TRIO
    ):
        if _ASYNCIO_UNDER_TRIO_NOTE not in getattr(exc, "__notes__", ()):
            exc.add_note(_ASYNCIO_UNDER_TRIO_NOTE)


class NoLoop(enum.Enum):
    """The type of a ``loop`` parameter kept only to refuse aiohttp's ``loop=`` clearly."""

    NO_LOOP = "no loop"


NO_LOOP: Final = NoLoop.NO_LOOP


def refuse_loop(owner: object, loop: object) -> None:
    """Raise a TypeError that says what to do when aiohttp's ``loop=`` was passed.

    Nothing here binds to an event loop. Python's own "unexpected keyword
    argument 'loop'" would leave a porting user wondering where it went.
    ``owner`` is the object being built (its class names it) or a name.
    """
    if loop is not NO_LOOP:
        name = owner if isinstance(owner, str) else type(owner).__name__
        raise TypeError(
            f"{name}() takes no loop= argument: anyiohttp never binds to an event loop "
            "(it runs in whichever one anyio runs, asyncio or trio). Remove loop=...; "
            "see 'No loop anywhere' in docs/migrating.rst"
        )


def on_asyncio() -> bool:
    """True when the running anyio backend is asyncio."""
    return anyio.get_cancelled_exc_class() is asyncio.CancelledError


def clock() -> Callable[[], float]:
    """The running backend's clock: the same readings as ``anyio.current_time()``."""
    if on_asyncio():
        # anyio's own reading (the loop's time): no loop API is used here.
        return anyio.current_time
    import trio

    # The run's clock object itself (a MockClock in tests, say): one call per
    # reading, where trio.current_time goes through two more to find it.
    return trio.lowlevel.current_clock().current_time


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
