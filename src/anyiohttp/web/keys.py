"""Typed keys for the dict interfaces of Application, Request and Response.

``app[db_key]`` with ``db_key = web.AppKey("db_key", Database)`` gives type
checkers the value's type, as aiohttp 3.9+ (and 3.14 for requests and
responses) does. Plain string keys still work but warn on applications.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, MutableMapping
from typing import Any, Generic, TypeVar, final

_T = TypeVar("_T")
_K = TypeVar("_K", bound="_TypedKey[Any]")

__all__ = ("AppKey", "RequestKey", "ResponseKey", "StateMapping")


class _TypedKey(Generic[_T]):
    __slots__ = ("_name", "_t")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        # Qualify the name with the defining module, as aiohttp does, so that
        # equal names from different modules stay apart in reprs.
        frame = sys._getframe(1)
        module = frame.f_globals.get("__name__", "")
        self._name = f"{module}.{name}" if module and module != "builtins" else name
        self._t = t

    def __lt__(self, other: object) -> bool:
        if isinstance(other, _TypedKey):
            return self._name < other._name
        return True  # keys sort after plain strings

    def __repr__(self) -> str:
        t: Any = self._t
        if t is None:
            t_repr = "<<Unknown>>"
        elif isinstance(t, type):
            t_repr = (
                t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
            )
        else:
            t_repr = repr(t)
        return f"<{type(self).__name__}({self._name}, type={t_repr})>"


@final
class AppKey(_TypedKey[_T]):
    """A typed key for ``Application`` state."""

    __slots__ = ()


@final
class RequestKey(_TypedKey[_T]):
    """A typed key for ``Request`` state."""

    __slots__ = ()


@final
class ResponseKey(_TypedKey[_T]):
    """A typed key for ``StreamResponse`` state."""

    __slots__ = ()


class StateMapping(MutableMapping["str | _K", Any], Generic[_K]):
    """The dict interface of Application, Request and StreamResponse, written once.

    Keys are the class's typed keys (``_K``) or, for aiohttp code, strings;
    the values live in ``_state_dict``. Compared and hashed by identity, and
    always true, as aiohttp's. Each class adds its typed ``__getitem__``
    overloads (``app[AppKey[T]] -> T``), which a generic base cannot express.
    """

    __slots__ = ()
    _state_dict: dict[Any, Any]

    def __getitem__(self, key: str | _K) -> Any:
        return self._state_dict[key]

    def __setitem__(self, key: str | _K, value: Any) -> None:
        self._state_dict[key] = value

    def __delitem__(self, key: str | _K) -> None:
        del self._state_dict[key]

    def __len__(self) -> int:
        return len(self._state_dict)

    def __iter__(self) -> Iterator[str | _K]:
        return iter(self._state_dict)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        return True
