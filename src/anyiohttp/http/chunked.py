"""Decoding the chunked transfer coding (RFC 9112 7.1), sans-I/O.

The one chunked decoder of the project: the server parsers (h11 and
httptools alike) frame request bodies with it, and so does the httptools
response parser. Feed bytes, take decoded data until the last chunk and its
trailer section end. Anything off the grammar is a
:class:`~anyiohttp.http.exceptions.TransferEncodingError` (400), raised as
soon as the offending byte arrives.

Requests are decoded strictly, at least as strictly as llhttp, because two
parsers that frame one body differently are how requests are smuggled:

- chunk-size is 1 to 16 hex digits, followed by nothing but chunk extensions
  (``;name`` or ``;name=value``, value a token or a quoted string), with no
  whitespace and no control character other than HTAB inside a quoted string;
- every line of the framing ends in CRLF (no bare CR, no bare LF), and chunk
  data is followed by CRLF exactly;
- trailer fields are limited like header fields (``max_field_size`` per line,
  ``max_fields`` lines) and must be well-formed; they are then dropped.

Responses (``lax=True``, the httptools client parser) also accept
whitespace after the size and any extension text but CR and LF, as h11's
response reader does; a user agent is asked to be tolerant of what servers
send (RFC 9112 2.2). h11's reader is more lenient still in corners (obs-fold
or a bare LF in trailers, more than 16 digits of leading zeros), where the
httptools client refuses what h11 reads.
"""

from __future__ import annotations

import enum
import re
from typing import Final

from ._abnf import QUOTED_STRING, TOKEN
from .exceptions import BadHttpMessage, LineTooLong, TransferEncodingError

__all__ = ("ChunkedDecoder", "take_bytes")

_TOKEN: Final = TOKEN.pattern
_QUOTED: Final = QUOTED_STRING.pattern
# chunk = chunk-size [ chunk-ext ] CRLF; chunk-ext = *( BWS ";" BWS chunk-ext-name
# [ BWS "=" BWS chunk-ext-val ] ) -- RFC 9112 7.1.1. BWS is refused in requests,
# as llhttp does: no client needs it, and whitespace is where parsers disagree.
_STRICT_SIZE_LINE: Final = re.compile(
    rb"([0-9A-Fa-f]{1,16})(?:;" + _TOKEN + rb"(?:=(?:" + _TOKEN + rb"|" + _QUOTED + rb"))?)*"
)
# Responses: what h11's client reader takes (the client's other parser), so
# the two client parsers agree; extensions are ignored either way.
_LAX_SIZE_LINE: Final = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?")
# A trailer field is a header field: field-name ":" OWS field-value OWS, with
# no control character but HTAB (RFC 9110 5.5, 6.5).
_TRAILER_FIELD: Final = re.compile(_TOKEN + rb":[\t\x20-\x7e\x80-\xff]*")


def take_bytes(buffer: bytearray, most: int) -> bytes:
    """Up to ``most`` bytes off the front of ``buffer`` (all of it without a copy of the rest)."""
    if most >= len(buffer):
        data = bytes(buffer)
        buffer.clear()
        return data
    data = bytes(buffer[:most])
    del buffer[:most]
    return data


class _State(enum.Enum):
    SIZE = "size"
    DATA = "data"
    DATA_END = "data end"
    TRAILERS = "trailers"
    DONE = "done"


class ChunkedDecoder:
    """Turns a chunked body into its data, piece by piece.

    ``max_line_size`` bounds a chunk-size line, ``max_field_size`` and
    ``max_fields`` the trailer section, as the same limits bound a head.
    """

    __slots__ = (
        "_remaining",
        "_size_line",
        "_state",
        "_trailer_count",
        "max_field_size",
        "max_fields",
        "max_line_size",
    )

    def __init__(
        self,
        *,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_fields: int = 128,
        lax: bool = False,
    ) -> None:
        self._state = _State.SIZE
        self._remaining = 0
        self._trailer_count = 0
        self._size_line = _LAX_SIZE_LINE if lax else _STRICT_SIZE_LINE
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_fields = max_fields

    @property
    def done(self) -> bool:
        """True once the last chunk and the trailers were read."""
        return self._state is _State.DONE

    def decode(self, buffer: bytearray) -> bytes | None:
        """Consume what it can from ``buffer``: data (b"" at the end) or None for more input."""
        while True:
            state = self._state
            if state is _State.DATA:
                if not buffer:
                    return None
                data = take_bytes(buffer, self._remaining)
                self._remaining -= len(data)
                if not self._remaining:
                    self._state = _State.DATA_END
                return data
            if state is _State.DATA_END:
                # "chunk-data CRLF": exactly these two bytes, checked as they come.
                if buffer[:2] != b"\r\n"[: len(buffer)]:
                    raise TransferEncodingError("Chunk data not followed by CRLF")
                if len(buffer) < 2:
                    return None
                del buffer[:2]
                self._state = _State.SIZE
                continue
            if state is _State.DONE:
                return b""
            if state is _State.SIZE:
                line = self._line(buffer, self.max_line_size)
                if line is None:
                    return None
                match = self._size_line.fullmatch(line)
                if match is None:
                    raise TransferEncodingError(f"Bad chunk size line {line[:50]!r}")
                size = int(match.group(1), 16)
                if size:
                    self._remaining = size
                    self._state = _State.DATA
                else:
                    self._state = _State.TRAILERS
                continue
            # trailers: field lines until an empty one; checked, then dropped
            line = self._line(buffer, self.max_field_size)
            if line is None:
                return None
            if not line:
                self._state = _State.DONE
                return b""
            self._trailer_count += 1
            if self._trailer_count > self.max_fields:
                raise BadHttpMessage(f"Too many trailers received (limit {self.max_fields})")
            if _TRAILER_FIELD.fullmatch(line) is None:
                raise TransferEncodingError(f"Bad trailer field {line[:50]!r}")

    @staticmethod
    def _line(buffer: bytearray, limit: int) -> bytes | None:
        """Take one CRLF-terminated line off ``buffer``, or None while it is incomplete."""
        end = buffer.find(b"\r\n")
        if end == -1:
            if b"\n" in buffer:
                raise TransferEncodingError("Bare LF in a chunked body")
            if b"\r" in buffer[:-1]:
                raise TransferEncodingError("Bare CR in a chunked body")
            if len(buffer) > limit:
                raise LineTooLong(bytes(buffer[:100]) + b"...", limit)
            return None
        if end > limit:
            raise LineTooLong(bytes(buffer[:100]) + b"...", limit)
        line = bytes(buffer[:end])
        if b"\n" in line or b"\r" in line:
            raise TransferEncodingError("Bare CR or LF in a chunked body")
        del buffer[: end + 2]
        return line
