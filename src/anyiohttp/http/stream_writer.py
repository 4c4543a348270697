"""Writing one HTTP message (head, then body) to a byte stream.

The head is kept back until the first body bytes or an explicit flush, so a
small response goes out in one ``send``. The body is framed as the head
said: counted against Content-Length, chunked, or delimited by close, and
optionally compressed. Send failures come out as ``ConnectionResetError``
(as aiohttp's ``ClientConnectionResetError`` does), whatever the backend.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

import anyio
from anyio.abc import ByteSendStream

from .writer import LAST_CHUNK, encode_chunk

#: What a send on a broken or closed stream raises, on either backend.
SEND_ERRORS: Final = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)


def transport_closed() -> ConnectionResetError:
    """The error a write to a connection that went away raises (aiohttp's wording)."""
    return ConnectionResetError("Cannot write to closing transport")


async def send_all(stream: ByteSendStream, data: bytes) -> None:
    """Send ``data``; a broken or closed stream is a ConnectionResetError."""
    try:
        await stream.send(data)
    except SEND_ERRORS as exc:
        raise transport_closed() from exc


class StreamWriter:
    """Frames and sends the body of one message.

    ``length`` is the declared Content-Length (None when the body is chunked
    or close-delimited); bytes past it are dropped, and a body that ends short
    of it leaves ``complete`` False so the connection is not reused.
    """

    __slots__ = (
        "_compressor",
        "_eof",
        "_head",
        "_no_body",
        "_on_chunk_sent",
        "_stream",
        "chunked",
        "complete",
        "length",
        "output_size",
    )

    def __init__(
        self,
        stream: ByteSendStream,
        *,
        on_chunk_sent: Callable[[bytes], Awaitable[None]] | None = None,
    ) -> None:
        self._stream = stream
        self._head: bytes | None = None
        self._eof = False
        self._no_body = False
        self._compressor: Any = None
        self._on_chunk_sent = on_chunk_sent
        self.chunked = False
        self.length: int | None = None
        #: Bytes handed to the stream so far, head included.
        self.output_size = 0
        #: True once the body was sent whole (False after a short body).
        self.complete = False

    # -- set-up before the first byte ---------------------------------------------

    def enable_chunking(self) -> None:
        """Frame the body with the chunked transfer coding."""
        self.chunked = True

    def enable_compression(self, encoding: str = "deflate", level: int | None = None) -> None:
        """Compress the body with ``gzip``, ``deflate`` or ``br``."""
        self._compressor = _compressor(encoding, level)

    def set_head(self, head: bytes, *, no_body: bool = False) -> None:
        """Keep the serialized head until the first write; ``no_body`` drops the body."""
        self._head = head
        self._no_body = no_body

    @property
    def head_pending(self) -> bool:
        """True while the head is set but not sent yet."""
        return self._head is not None

    @property
    def eof_written(self) -> bool:
        """True after :meth:`write_eof`."""
        return self._eof

    # -- sending ------------------------------------------------------------------

    async def flush_head(self) -> None:
        """Send the head now (a streaming response announces itself at prepare)."""
        if self._head is not None:
            head, self._head = self._head, None
            await self._send(head)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send a piece of the body (with the head, if it is still pending)."""
        if self._eof:
            raise RuntimeError("Cannot write to a response after write_eof()")
        out = self._frame(data)
        if self._head is not None:
            out, self._head = self._head + out, None
        if out:
            await self._send(out)
            if data and self._on_chunk_sent is not None:
                await self._on_chunk_sent(bytes(data))

    async def write_eof(self, data: bytes | bytearray | memoryview = b"") -> None:
        """Send the last piece of the body and end the message."""
        if self._eof:
            return
        out = self._frame(data) if data else b""
        if self._compressor is not None and not self._no_body:
            tail = self._compressor.flush()
            out += encode_chunk(tail) if self.chunked else self._count(tail)
        if self.chunked and not self._no_body:
            out += LAST_CHUNK
        if self._head is not None:
            out, self._head = self._head + out, None
        self._eof = True
        self.complete = self._no_body or self.length is None or self.length == 0
        if out:
            # _send inlined: this is the one send of most responses.
            try:
                await self._stream.send(out)
            except SEND_ERRORS as exc:
                raise transport_closed() from exc
            self.output_size += len(out)
        if data and self._on_chunk_sent is not None:
            await self._on_chunk_sent(bytes(data))

    async def write_whole(self, message: bytes) -> None:
        """Send a whole message at once (head and body, framed by the caller) and end it."""
        self._eof = True
        self.complete = True
        try:
            await self._stream.send(message)
        except SEND_ERRORS as exc:
            raise transport_closed() from exc
        self.output_size += len(message)

    def _frame(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._no_body or not data:
            return b""
        chunk = bytes(data)
        if self._compressor is not None:
            chunk = self._compressor.compress(chunk)
            if not chunk:
                return b""
        if self.chunked:
            return encode_chunk(chunk)
        return self._count(chunk)

    def _count(self, chunk: bytes) -> bytes:
        if self.length is None:
            return chunk
        if len(chunk) > self.length:
            chunk = chunk[: self.length]
        self.length -= len(chunk)
        return chunk

    async def _send(self, data: bytes) -> None:
        await send_all(self._stream, data)
        self.output_size += len(data)

    async def drain(self) -> None:
        """Present for aiohttp compatibility: every send already waits for the socket."""


def _compressor(encoding: str, level: int | None) -> Any:
    lvl = zlib.Z_DEFAULT_COMPRESSION if level is None else level
    if encoding == "gzip":
        return zlib.compressobj(lvl, wbits=16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.compressobj(lvl, wbits=zlib.MAX_WBITS)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]  # untyped, optional

        return _BrotliCompressor(brotli.Compressor())
    raise ValueError(f"Unknown compression encoding {encoding!r}")


def compress_whole(encoding: str, data: bytes, level: int | None = None) -> bytes:
    """``data`` compressed in one piece with ``gzip``, ``deflate`` or ``br``."""
    compressor = _compressor(encoding, level)
    return bytes(compressor.compress(data) + compressor.flush())


class _BrotliCompressor:
    """zlib's compressobj interface over a brotli Compressor."""

    def __init__(self, compressor: Any) -> None:
        self._compressor = compressor

    def compress(self, data: bytes) -> bytes:
        out: bytes = self._compressor.process(data)
        return out

    def flush(self) -> bytes:
        tail: bytes = self._compressor.finish()
        return tail
