"""One exception out of our own task groups.

anyio task groups wrap whatever their tasks raise in an ExceptionGroup. When
the group holds one real error (cancellations set apart), users expect that
error itself, as aiohttp would raise it: :func:`single_error` unwraps it at
each public boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
from anyio.abc import TaskGroup

__all__ = ("real_errors", "single_error", "start_soon_bare")


def start_soon_bare(
    task_group: TaskGroup, func: Callable[..., Coroutine[Any, Any, Any]], *args: Any
) -> None:
    """``task_group.start_soon(func, *args)`` without the task handle nobody here uses.

    anyio wraps each task in a handle with its own cancel scope and event:
    on trio about a kilobyte for every task of a long-lived connection (its
    serving task, a WebSocket's reader). On trio the task group's nursery
    takes the task itself: it is still the task group's, cancelled with it,
    its error raised from it. asyncio's task groups take no shortcut.
    """
    nursery = getattr(task_group, "_nursery", None)  # anyio's trio TaskGroup
    if nursery is None:
        task_group.start_soon(func, *args)
    else:
        nursery.start_soon(func, *args)


def real_errors(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    """The leaf exceptions of ``group`` that are not cancellations."""
    cancelled = anyio.get_cancelled_exc_class()
    found: list[BaseException] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found.extend(real_errors(exc))
        elif not isinstance(exc, cancelled):
            found.append(exc)
    return found


@contextmanager
def single_error() -> Iterator[None]:
    """Re-raise the single real error of an ExceptionGroup raised in the block."""
    try:
        yield
    except BaseExceptionGroup as group:
        errors = real_errors(group)
        if len(errors) != 1:
            raise
        error = errors[0]
        context = error.__context__
        try:
            raise error
        except BaseException as exc:
            # Raising chained the group in as __context__; put back what the
            # error had, and re-raise bare (which does not chain again).
            exc.__context__ = context
            raise
