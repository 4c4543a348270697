"""Serializing message heads and chunked bodies: objects in, bytes out.

No I/O here; the server's response writer and the client's request writer
both build their bytes with these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from multidict import CIMultiDict, CIMultiDictProxy

# Any of these in a header name or value would let the application (or
# whoever controls what it echoes) inject headers or split the response.
_FORBIDDEN: Final = re.compile(r"[\x00\r\n]")

#: The zero-size chunk that ends a chunked body (no trailers).
LAST_CHUNK: Final = b"0\r\n\r\n"

HeadersLike = CIMultiDict[str] | CIMultiDictProxy[str] | Iterable[tuple[str, str]]


def serialize_head(first_line: str, headers: HeadersLike) -> bytes:
    """Return the bytes of a message head: the first line, headers, blank line.

    Raises ValueError, before anything could be sent, when a name or value
    holds CR, LF or NUL.
    """
    items = list(
        headers.items() if isinstance(headers, CIMultiDict | CIMultiDictProxy) else headers
    )
    lines = [f"{name}: {value}\r\n" for name, value in items]
    text = f"{first_line}\r\n{''.join(lines)}\r\n"
    # Cheap whole-head scans in C (only our own separators may be CR or LF);
    # the search for the culprit only runs when something is wrong.
    separators = len(lines) + 2
    if text.count("\r") != separators or text.count("\n") != separators or "\x00" in text:
        for part in (first_line, *[s for pair in items for s in pair]):
            if _FORBIDDEN.search(part) is not None:
                raise ValueError(
                    f"Forbidden control character (CR, LF or NUL) in header {part!r}: "
                    "possible header injection"
                )
    return text.encode("utf-8")


def encode_chunk(data: bytes | bytearray | memoryview) -> bytes:
    """Frame one chunk of a chunked body (RFC 9112 7.1); empty data gives b""."""
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), bytes(data))
