"""Objects that are awaitable *and* async context managers (``session.get(...)``)."""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Generator
from types import TracebackType
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")


class AwaitableContext(Generic[_T]):
    """Wraps the coroutine making a ``_T``: ``await`` it for the value, or
    ``async with`` it to have :meth:`_finish` run on the value at the end.

    :meth:`_finish` is a plain method, not a coroutine: on the client's hot
    path every ``async with session.get(...)`` goes through it.
    """

    __slots__ = ("_coro", "_value")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._value: _T | None = None

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        self._value = await self._coro
        return self._value

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        value = self._value
        if value is not None:
            pending = self._finish(value)
            if pending is not None:
                await pending

    def _finish(self, value: _T) -> Awaitable[object] | None:
        """End the block: None, or what to await before leaving it."""
        raise NotImplementedError
