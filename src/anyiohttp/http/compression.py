"""Streaming decompression of message bodies (gzip, deflate, br), bounded per step.

Both sides use it through :class:`DecodingSource`: the client for response
bodies, the server for request bodies sent with a Content-Encoding. Each step
hands out a bounded amount of inflated data (64 KiB; brotli may round its
buffer up a little) and keeps the rest of the input pending in the decoder, so
how much is inflated follows how much the reader asks for, whatever the
compression ratio: a small "bomb" cannot blow up memory, and the size limits
(``client_max_size``, the reader's own reads) apply to what was inflated.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

from .exceptions import ContentEncodingError

__all__ = ("DECODABLE", "DecodingSource", "Decompressor", "brotli_available")

# Decompressed bytes handed out per step: the rest waits in the decoder, so a
# small bomb cannot inflate past what the reader asks for.
_DECOMPRESS_CHUNK: Final = 2**16


class Decompressor:
    """Streaming Content-Encoding decoding with bounded output per step.

    :meth:`feed` takes new input only when :attr:`pending` is False; while it
    is True, ``feed(b"")`` hands out the next step of what is already in.
    """

    __slots__ = ("_brotli", "_first", "_full", "_spill", "_tail", "_zlib", "encoding")

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._tail = b""  # zlib: input left over once a step's output was full
        self._spill = b""  # brotli: output past the step's size, handed out next
        self._full = False  # brotli: the last step filled its output (more may wait)
        self._first = False
        if encoding == "br":
            import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]  # untyped, optional

            self._brotli: Any = brotli.Decompressor()
            self._zlib: Any = None
        else:
            wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
            self._zlib = zlib.decompressobj(wbits=wbits)
            self._brotli = None
            self._first = encoding == "deflate"

    @property
    def pending(self) -> bool:
        """True when output is waiting for ``feed(b"")`` (new input must wait)."""
        if self._brotli is not None:
            return self._full or bool(self._spill) or not self._brotli.can_accept_more_data()
        return bool(self._tail)

    def feed(self, data: bytes) -> bytes:
        """Decode ``data`` (or, with ``b""``, what was pending): at most one step's output."""
        if self._brotli is not None:
            return self._brotli_feed(data)
        source = self._tail + data if self._tail else data
        try:
            out: bytes = self._zlib.decompress(source, _DECOMPRESS_CHUNK)
        except zlib.error:
            if not self._first:
                raise
            # Some servers send raw deflate without the zlib header.
            self._first = False
            self._zlib = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
            out = self._zlib.decompress(source, _DECOMPRESS_CHUNK)
        self._first = False
        self._tail = self._zlib.unconsumed_tail
        return out

    def _brotli_feed(self, data: bytes) -> bytes:
        if self._spill:
            out = self._spill  # (new input waits until pending is False)
        else:
            # brotli >= 1.2 stops growing its output buffer once it reaches
            # the limit. What it could not hand out stays inside: input it
            # did not take (can_accept_more_data() is False) or output already
            # decoded into its window (up to the window size, 16 MiB at most),
            # which only more calls with b"" reveal; a step that filled the
            # buffer may have left such output. The buffer grows in blocks,
            # so a step may overshoot the limit: the excess waits here.
            out = self._brotli.process(data, output_buffer_limit=_DECOMPRESS_CHUNK)
            self._full = len(out) >= _DECOMPRESS_CHUNK
        if len(out) > _DECOMPRESS_CHUNK:
            out, self._spill = out[:_DECOMPRESS_CHUNK], out[_DECOMPRESS_CHUNK:]
        else:
            self._spill = b""
        return out

    def flush(self) -> bytes:
        """What remains once the encoded body ended (called when nothing is pending)."""
        if self._zlib is not None:
            # No input is left (pending is False): only what inflate held back
            # at the last step's limit, a few hundred bytes at most.
            tail: bytes = self._zlib.flush()
            return tail
        return b""


#: The content codings a Decompressor handles (``br`` needs the brotli package).
DECODABLE: Final = frozenset({"gzip", "deflate", "br"})


@functools.cache
def brotli_available() -> bool:
    """True when brotli can be decoded in bounded steps (the brotli package >= 1.2).

    An older brotli has no output limit per step, so one small body could
    inflate to any size at once: br is then treated as not installed.
    """
    try:
        import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]  # untyped, optional

        decompressor = brotli.Decompressor()
        decompressor.process(b"", output_buffer_limit=1)
        decompressor.can_accept_more_data()
    except (ImportError, AttributeError, TypeError):
        return False
    return True


class DecodingSource:
    """A body source (``async () -> bytes``) that decodes another one on the way.

    Each call returns one bounded step of decoded data (``b""`` at the end);
    the wrapped source is read only when the decoder has nothing pending, so
    what is inflated follows what the reader asks for. A body that does not
    decode raises ContentEncodingError.
    """

    __slots__ = ("_done", "_source", "decompressor")

    def __init__(self, source: Callable[[], Awaitable[bytes]], encoding: str) -> None:
        self._source = source
        self.decompressor = Decompressor(encoding)
        self._done = False

    async def __call__(self) -> bytes:
        decompressor = self.decompressor
        while not self._done:
            raw = b""
            if not decompressor.pending:
                # Only the read is outside the try: its own errors (a broken
                # connection, a short body) are not decoding errors.
                raw = await self._source()
                if not raw:
                    self._done = True
            try:
                data = decompressor.flush() if self._done else decompressor.feed(raw)
            except Exception as exc:  # zlib.error, brotli.error ...
                self._done = True
                raise ContentEncodingError(
                    f"Can not decode content-encoding: {decompressor.encoding}"
                ) from exc
            if data or self._done:
                return data
        return b""
