"""Cookie grammar both sides share: the names aiohttp accepts and quoted values.

The server reads the Cookie header (``request.cookies``), the client's jar
reads Set-Cookie fields; both keep the same cookie names and unquote values
the same way, so a value set by one side arrives whole on the other.
"""

from __future__ import annotations

import re
from http.cookies import Morsel
from typing import Final

__all__ = ("COOKIE_NAME", "partitionable", "unquote_cookie_value")

#: A cookie name worth keeping, as aiohttp has it (braces, brackets,
#: parentheses and more): every visible ASCII character but '"', ',', ';' and '\'.
COOKIE_NAME: Final = re.compile(r"[!#-+\--:<-\[\]-~]+")
# In a quoted value: \NNN is an octal escape (how SimpleCookie writes "," and
# ";", so JSON in a cookie arrives whole), \X is X.
_QUOTED_CHARACTER: Final = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def unquote_cookie_value(value: str) -> str:
    r"""A cookie value as meant: a quoted one loses its quotes and escapes.

    ``\NNN`` (octal, as SimpleCookie writes a ``,`` or ``;``) is that
    character, ``\X`` is X; an unquoted value is kept as it is.
    """
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    return _QUOTED_CHARACTER.sub(_unescape, value[1:-1])


def _unescape(match: re.Match[str]) -> str:
    octal, other = match.groups()
    return chr(int(octal, 8)) if octal else other


class _PartitionedMorsel(Morsel[str]):
    """A Morsel that has the Partitioned flag (CHIPS), which http.cookies has from 3.14."""

    # Morsel's tables of attributes, which its checks and OutputString() read
    # through self: these add Partitioned to them (a no-op from Python 3.14).
    # typeshed leaves both out (they are private): hence the ignores.
    _reserved = {**Morsel._reserved, "partitioned": "Partitioned"}  # type: ignore[attr-defined]
    _flags = {*Morsel._flags, "partitioned"}  # type: ignore[attr-defined]


def partitionable(morsel: Morsel[str]) -> Morsel[str]:
    """``morsel`` with the same cookie and attributes, able to take ``"partitioned"``."""
    if isinstance(morsel, _PartitionedMorsel):
        return morsel
    copy = _PartitionedMorsel()
    copy.update(morsel)
    copy.set(morsel.key, morsel.value, morsel.coded_value)
    return copy
