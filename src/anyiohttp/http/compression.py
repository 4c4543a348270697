"""Streaming decompression of message bodies (gzip, deflate, br), bounded per step.

Both sides use it: the client for response bodies, the server for request
bodies sent with a Content-Encoding. Each step hands out at most 64 KiB of
inflated data and keeps the rest of the input pending, so how much is
inflated follows how much the reader asks for: a small "bomb" cannot blow up
memory, and ``client_max_size`` bounds what ``request.read()`` inflates.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

from .exceptions import ContentEncodingError

__all__ = ("DECODABLE", "DecodingSource", "Decompressor", "brotli_available")

# Decompressed bytes handed out per compressed chunk: the rest waits in the
# decompressor, so a small bomb cannot inflate past what the reader asks for.
_DECOMPRESS_CHUNK: Final = 2**16


class Decompressor:
    """Streaming Content-Encoding decoding with bounded output per step."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding == "br":
            import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]

            self._brotli: Any = brotli.Decompressor()
            self._zlib: Any = None
        else:
            wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
            self._zlib = zlib.decompressobj(wbits=wbits)
            self._brotli = None
            self._first = encoding == "deflate"
        self.pending = b""

    def feed(self, data: bytes) -> bytes:
        """Decode as much of ``data`` (plus what was pending) as one step allows."""
        if self._brotli is not None:
            return self._brotli_feed(data)
        source = self.pending + data if self.pending else data
        try:
            out = self._zlib.decompress(source, _DECOMPRESS_CHUNK)
        except zlib.error:
            if self._first:
                # Some servers send raw deflate without the zlib header.
                self._first = False
                self._zlib = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
                out = self._zlib.decompress(source, _DECOMPRESS_CHUNK)
            else:
                raise
        self._first = False
        self.pending = self._zlib.unconsumed_tail
        return out  # type: ignore[no-any-return]

    def _brotli_feed(self, data: bytes) -> bytes:
        # brotli's streaming API has no output bound: feed it in small slices.
        source = self.pending + data if self.pending else data
        step = 4096
        out = self._brotli.process(source[:step])
        self.pending = source[step:]
        return out  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        """What remains once the encoded body ended."""
        if self._zlib is not None:
            return self._zlib.flush()  # type: ignore[no-any-return]
        return b""


#: The content codings a Decompressor handles (``br`` needs the brotli package).
DECODABLE: Final = frozenset({"gzip", "deflate", "br"})


def brotli_available() -> bool:
    """True when the brotli package can be imported."""
    try:
        import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


class DecodingSource:
    """A body source (``async () -> bytes``) that decodes another one on the way."""

    __slots__ = ("_done", "_source", "decompressor")

    def __init__(self, source: Callable[[], Awaitable[bytes]], encoding: str) -> None:
        self._source = source
        self.decompressor = Decompressor(encoding)
        self._done = False

    async def __call__(self) -> bytes:
        decompressor = self.decompressor
        while not self._done:
            try:
                if decompressor.pending:
                    data = decompressor.feed(b"")
                else:
                    raw = await self._source()
                    if not raw:
                        self._done = True
                        return decompressor.flush()
                    data = decompressor.feed(raw)
            except (zlib.error, OSError, ValueError) as exc:
                raise ContentEncodingError(
                    f"Can not decode content-encoding: {decompressor.encoding}"
                ) from exc
            if data:
                return data
        return b""
