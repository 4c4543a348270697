"""Typed keys for the dict interfaces of Application, Request and Response.

``app[db_key]`` with ``db_key = web.AppKey("db_key", Database)`` gives type
checkers the value's type, as aiohttp 3.9+ (and 3.14 for requests and
responses) does. Plain string keys still work but warn on applications.
"""

from __future__ import annotations

import sys
from typing import Any, Generic, TypeVar, final

_T = TypeVar("_T")

__all__ = ("AppKey", "RequestKey", "ResponseKey")


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
