"""The HTTP grammar (RFC 9110, RFC 9112), written once.

Every module that validates or parses HTTP syntax takes its patterns from
here, so a rule is fixed in one place. Patterns come as ``bytes`` (for wire
data) and, where text is checked too, as ``str``. Sans-I/O, no state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from multidict import CIMultiDict, CIMultiDictProxy

__all__ = (
    "CTL",
    "QUOTED_STRING",
    "TCHAR",
    "TOKEN",
    "TOKEN_PREFIX",
    "TOKEN_STR",
    "decode_field_lines",
    "decode_fields",
)

# "tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
#  / "`" / "|" / "~" / DIGIT / ALPHA" -- RFC 9110 5.6.2 (a regex character class body)
TCHAR: Final = r"-!#$%&'*+.^_`|~0-9A-Za-z"
# "token = 1*tchar" -- RFC 9110 5.6.2
TOKEN: Final = re.compile(rb"[" + TCHAR.encode() + rb"]+")
TOKEN_STR: Final = re.compile(r"[" + TCHAR + r"]+")
#: The longest run of tchar at the start of a string (to refuse a non-token early).
TOKEN_PREFIX: Final = re.compile(rb"[" + TCHAR.encode() + rb"]*")
# "quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; qdtext = HTAB / SP /
#  %x21 / %x23-5B / %x5D-7E / obs-text; quoted-pair = "\" ( HTAB / SP / VCHAR /
#  obs-text )" -- RFC 9110 5.6.4
QUOTED_STRING: Final = re.compile(
    rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
)
# Control characters other than HTAB: "field values containing CR, LF, or NUL
# characters are invalid and dangerous" and other CTLs are not field-vchar
# -- RFC 9110 5.5. h11 would keep them, llhttp refuses them; we refuse them.
CTL: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def decode_fields(raw: Iterable[tuple[bytes, bytes]]) -> CIMultiDictProxy[str]:
    """Header fields as text: names as Latin-1 (tokens are ASCII), values as UTF-8.

    A value's bytes that are not UTF-8 are kept as surrogate escapes, so no
    byte is lost (``value.encode("utf-8", "surrogateescape")`` gives them back).
    """
    return CIMultiDictProxy(
        CIMultiDict(
            [
                (name.decode("latin-1"), value.decode("utf-8", "surrogateescape"))
                for name, value in raw
            ]
        )
    )


def decode_field_lines(head: bytes) -> CIMultiDictProxy[str]:
    """:func:`decode_fields` of a head's field lines (``name: value`` each, ended by CRLF).

    ``head`` is a whole message head that passed the head checks: its first
    line is skipped, every other one holds a colon after a token.
    Whitespace around the values is left out.
    """
    headers: CIMultiDict[str] = CIMultiDict()
    add = headers.add
    lines = head.decode("utf-8", "surrogateescape").split("\r\n")
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            add(name, value.strip(" \t"))
    return CIMultiDictProxy(headers)
