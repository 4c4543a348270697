"""Decoding the chunked transfer coding (RFC 9112 7.1), sans-I/O.

Used by the parsers that frame bodies themselves (the httptools one): feed
bytes, take decoded data until the last chunk and its trailer section end.
Anything that does not follow the grammar is a TransferEncodingError (400).
"""

from __future__ import annotations

import enum
import re
from typing import Final

from .exceptions import TransferEncodingError

__all__ = ("ChunkedDecoder",)

# chunk-size is hex digits; chunk-ext may follow after ";" (ignored)
_SIZE: Final = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(;[^\r\n]*)?")
_MAX_LINE: Final = 4096


class _State(enum.Enum):
    SIZE = "size"
    DATA = "data"
    DATA_END = "data end"
    TRAILERS = "trailers"
    DONE = "done"


class ChunkedDecoder:
    """Turns a chunked body into its data, piece by piece."""

    __slots__ = ("_remaining", "_state", "_trailer_bytes", "max_trailer_size")

    def __init__(self, *, max_trailer_size: int = 8190 * 8) -> None:
        self._state = _State.SIZE
        self._remaining = 0
        self._trailer_bytes = 0
        self.max_trailer_size = max_trailer_size

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
                take = min(self._remaining, len(buffer))
                data = bytes(buffer[:take])
                del buffer[:take]
                self._remaining -= take
                if not self._remaining:
                    self._state = _State.DATA_END
                return data
            if state is _State.DONE:
                return b""
            line = self._line(buffer)
            if line is None:
                return None
            if state is _State.SIZE:
                match = _SIZE.fullmatch(line)
                if match is None:
                    raise TransferEncodingError(f"Bad chunk size line {line[:50]!r}")
                size = int(match.group(1), 16)
                if size:
                    self._remaining = size
                    self._state = _State.DATA
                else:
                    self._state = _State.TRAILERS
            elif state is _State.DATA_END:
                if line:
                    raise TransferEncodingError("Chunk data not followed by CRLF")
                self._state = _State.SIZE
            else:  # trailers: header lines until an empty one (they are dropped)
                if not line:
                    self._state = _State.DONE
                    return b""
                self._trailer_bytes += len(line)
                if self._trailer_bytes > self.max_trailer_size:
                    raise TransferEncodingError("Chunked trailers too large")

    @staticmethod
    def _line(buffer: bytearray) -> bytes | None:
        end = buffer.find(b"\r\n")
        if end == -1:
            if len(buffer) > _MAX_LINE:
                raise TransferEncodingError("Chunk size line too long")
            if b"\n" in buffer:
                raise TransferEncodingError("Bare LF in a chunked body")
            return None
        line = bytes(buffer[:end])
        if b"\n" in line or b"\r" in line:
            raise TransferEncodingError("Bare CR or LF in a chunked body")
        del buffer[: end + 2]
        return line
