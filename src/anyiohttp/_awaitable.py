"""Objects that are awaitable *and* async context managers (``session.get(...)``)."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")


class AwaitableContext(Generic[_T]):
    """Wraps the coroutine making a ``_T``: ``await`` it for the value, or
    ``async with`` it to have :meth:`_finish` run on the value at the end."""

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
        if self._value is not None:
            await self._finish(self._value)

    async def _finish(self, value: _T) -> None:
        raise NotImplementedError
