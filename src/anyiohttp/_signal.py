"""FrozenList and Signal: what the server's app and the client's tracing share.

An :class:`~anyiohttp.web.Application` and a
:class:`~anyiohttp.TraceConfig` both keep lists of async callbacks that are
frozen once in use; both sides import them from here, so neither side
imports the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableSequence
from typing import Any, TypeVar, overload

__all__ = ("FrozenList", "Signal")

_T = TypeVar("_T")


class FrozenList(MutableSequence[_T]):
    """A list that becomes read-only once :meth:`freeze` is called."""

    __slots__ = ("_frozen", "_items")

    def __init__(self, items: Iterable[_T] = ()) -> None:
        self._items = list(items)
        self._frozen = False

    @property
    def frozen(self) -> bool:
        """True once frozen."""
        return self._frozen

    def freeze(self) -> None:
        """Make the list read-only."""
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError(
                "Cannot modify frozen list: it was frozen when its owner (an application "
                "that started, a TraceConfig in use) froze it"
            )

    @overload
    def __getitem__(self, index: int) -> _T: ...
    @overload
    def __getitem__(self, index: slice) -> MutableSequence[_T]: ...
    def __getitem__(self, index: int | slice) -> _T | MutableSequence[_T]:
        return self._items[index]

    @overload
    def __setitem__(self, index: int, value: _T) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[_T]) -> None: ...
    def __setitem__(self, index: int | slice, value: Any) -> None:
        self._check()
        self._items[index] = value

    def __delitem__(self, index: int | slice) -> None:
        self._check()
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[_T]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[_T]:
        return reversed(self._items)

    def insert(self, index: int, value: _T) -> None:
        """Insert (unless frozen)."""
        self._check()
        self._items.insert(index, value)

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    # Mutable and compared by value: unhashable, as list is (typeshed types it as a method).
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(frozen={self._frozen}, {self._items!r})>"


class Signal(FrozenList[Callable[..., Awaitable[Any]]]):
    """A list of async callbacks sent in order: ``await signal.send(*args)``."""

    __slots__ = ("_owner",)

    def __init__(self, owner: object) -> None:
        super().__init__()
        self._owner = owner

    async def send(self, *args: Any, **kwargs: Any) -> None:
        """Call every callback in order, awaiting each."""
        if not self.frozen:
            raise RuntimeError(f"Cannot send non-frozen signal {self!r}")
        for receiver in self:
            await receiver(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Signal owner={self._owner!r}, frozen={self.frozen}, {list(self)!r}>"
