"""Body streams: :class:`StreamReader` with aiohttp's reading API.

A StreamReader *pulls*: when its buffer runs dry it awaits its ``source``
(the connection's next body chunk), so nothing is read from the socket before
the application asks for it. That is the backpressure: a handler that reads
slowly makes the peer wait, and a body nobody reads is never buffered.

Without a source (``StreamReader()``) it is fed by ``feed_data`` /
``feed_eof``, which is what tests and :func:`make_mocked_request` use.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final, Generic, TypeVar

import anyio

from .exceptions import LineTooLong

__all__ = ("EMPTY_PAYLOAD", "EmptyStreamReader", "EofStream", "StreamReader")

DEFAULT_LIMIT: Final = 2**16


class EofStream(Exception):
    """Raised by readers that signal the end of a stream by exception."""


class StreamReader:
    """Buffered reading of a message body: read, readany, readline, iterators.

    ``source`` is an async callable returning the next chunk of the body, or
    ``b""`` at its end; errors it raises (a truncated body, say) come out of
    the read call that triggered it. Only one task may read at a time.
    """

    __slots__ = (
        "_buffer",
        "_eof",
        "_exception",
        "_limit",
        "_reading",
        "_size",
        "_source",
        "_waiter",
        "total_bytes",
    )

    def __init__(
        self, source: Callable[[], Awaitable[bytes]] | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> None:
        self._source = source
        self._limit = limit
        self._buffer: deque[bytes] = deque()
        self._size = 0
        self._eof = False
        self._exception: BaseException | None = None
        self._reading = False
        self._waiter: anyio.Event | None = None
        #: Body bytes received so far.
        self.total_bytes = 0

    def __repr__(self) -> str:
        state = "eof" if self._eof else "open"
        return f"<{type(self).__name__} {self._size} bytes buffered, {state}>"

    # -- feeding ------------------------------------------------------------------

    def feed_data(self, data: bytes) -> None:
        """Append data (for a reader without a source)."""
        if self._eof:
            raise RuntimeError("feed_data() after feed_eof()")
        if data:
            self._buffer.append(bytes(data))
            self._size += len(data)
            self.total_bytes += len(data)
            self._wake()

    def feed_eof(self) -> None:
        """Mark the end of the stream."""
        self._eof = True
        self._source = None  # not asked again (and no cycle through its owner)
        self._wake()

    def set_exception(self, exc: BaseException) -> None:
        """Make pending and future reads raise ``exc``."""
        self._exception = exc
        self._source = None  # not asked again (and no cycle through its owner)
        self._wake()

    def exception(self) -> BaseException | None:
        """The error set on this stream, if any."""
        return self._exception

    def _wake(self) -> None:
        if self._waiter is not None:
            self._waiter.set()
            self._waiter = None

    # -- state --------------------------------------------------------------------

    def is_eof(self) -> bool:
        """True once the end of the body was seen (data may still be buffered)."""
        return self._eof

    def at_eof(self) -> bool:
        """True when the end was seen and everything was read."""
        return self._eof and not self._buffer

    async def wait_eof(self) -> None:
        """Read (and discard) until the end of the stream."""
        while await self._fill():
            self._buffer.clear()
            self._size = 0

    # -- the one place that gets more data ------------------------------------------

    async def _fill(self) -> bool:
        """Get one more chunk into the buffer; False at the end of the stream."""
        if self._exception is not None:
            raise self._exception
        if self._eof:
            return False
        if self._reading:
            raise RuntimeError(
                "Another task is already reading this stream; read from one task at a time"
            )
        self._reading = True
        try:
            if self._source is None:
                self._waiter = waiter = anyio.Event()
                await waiter.wait()
                if self._exception is not None:
                    raise self._exception
                return bool(self._buffer) or not self._eof
            try:
                data = await self._source()
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as exc:
                self._exception = exc
                raise
        finally:
            self._reading = False
        if not data:
            self._eof = True
            # The source is usually a method of this stream's owner (a response
            # holding this stream): letting go ends that reference cycle, so a
            # finished response is freed at once and not left to the GC.
            self._source = None
            return False
        self._buffer.append(data)
        self._size += len(data)
        self.total_bytes += len(data)
        return True

    def _take(self, n: int) -> bytes:
        """Remove up to n bytes (n > 0) from the buffer."""
        first = self._buffer[0]
        if len(first) <= n:
            self._buffer.popleft()
            self._size -= len(first)
            if len(first) == n or not self._buffer:
                return first
            parts = [first]
            n -= len(first)
            while self._buffer and n > 0:
                chunk = self._buffer[0]
                if len(chunk) <= n:
                    parts.append(self._buffer.popleft())
                    n -= len(chunk)
                    self._size -= len(chunk)
                else:
                    parts.append(chunk[:n])
                    self._buffer[0] = chunk[n:]
                    self._size -= n
                    n = 0
            return b"".join(parts)
        self._buffer[0] = first[n:]
        self._size -= n
        return first[:n]

    def _take_all(self) -> bytes:
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._size = 0
        return data

    # -- reading ------------------------------------------------------------------

    async def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (all of the rest when n < 0); b"" at the end."""
        if n == 0:
            return b""
        if n < 0:
            while await self._fill():
                pass
            return self._take_all()
        if not self._buffer and not await self._fill():
            return b""
        return self._take(n)

    async def readany(self) -> bytes:
        """Read whatever is available next (at least one byte); b"" at the end."""
        if not self._buffer and not await self._fill():
            return b""
        return self._take_all()

    def read_nowait(self, n: int = -1) -> bytes:
        """Up to n bytes of what is buffered (all of it when n < 0), without waiting.

        As aiohttp's: ``b""`` when nothing is buffered (at the end or not),
        the stream's error if one was set, and a RuntimeError while another
        task waits in a read. The buffer fills only as reads await, since
        this stream pulls (module docstring): what a read brought in beyond
        what it returned (the rest of a line, of a chunk) is what is here.
        """
        if self._exception is not None:
            raise self._exception
        if self._reading:
            raise RuntimeError("Called while some coroutine is waiting for incoming data.")
        if not self._buffer or n == 0:
            return b""
        return self._take_all() if n < 0 else self._take(n)

    async def readchunk(self) -> tuple[bytes, bool]:
        """Return ``(data, end_of_http_chunk)``; ``(b"", False)`` at the end.

        Chunk boundaries of a chunked body are not kept, so the flag is always
        False; the data is what arrived next, as with :meth:`readany`.
        """
        return await self.readany(), False

    async def readexactly(self, n: int) -> bytes:
        """Read exactly n bytes or raise ``asyncio.IncompleteReadError``."""
        while self._size < n:
            if not await self._fill():
                partial = self._take_all()
                raise asyncio.IncompleteReadError(partial, n)
        return self._take(n) if n else b""

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        """Read one line, including its ``\\n``; the rest at the end of the stream."""
        return await self.readuntil(b"\n", max_size=max_line_length)

    async def readuntil(self, separator: bytes = b"\n", *, max_size: int | None = None) -> bytes:
        """Read up to and including ``separator``.

        Raises LineTooLong when no separator arrives within ``max_size`` bytes
        (by default twice the reader's limit, as aiohttp's).
        """
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        max_size = max_size or 2 * self._limit
        scanned = 0
        while True:
            joined = self._take_all()
            pos = joined.find(separator, max(0, scanned - len(separator) + 1))
            if pos != -1:
                end = pos + len(separator)
                if end < len(joined):
                    self._buffer.appendleft(joined[end:])
                    self._size = len(joined) - end
                return joined[:end]
            if joined:
                self._buffer.append(joined)
                self._size = len(joined)
            scanned = len(joined)
            if scanned > max_size:
                raise LineTooLong(joined[:100] + b"...", max_size)
            if not await self._fill():
                return self._take_all()

    # -- iteration ----------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Iterator(self.readline)

    def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        """Iterate over chunks of at most n bytes."""
        return _Iterator(lambda: self.read(n))

    def iter_any(self) -> AsyncIterator[bytes]:
        """Iterate over the data as it arrives."""
        return _Iterator(self.readany)

    def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        """Iterate over ``(data, end_of_http_chunk)`` pairs, as aiohttp does."""
        return _Iterator(self.readchunk)


_T = TypeVar("_T", bytes, tuple[bytes, bool])


class _Iterator(Generic[_T]):
    """An async iterator over a read method, ending at its first empty result.

    A class rather than an async generator: breaking out of ``async for``
    leaves nothing to finalize (trio warns about abandoned async generators).
    """

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Awaitable[_T]]) -> None:
        self._read: Callable[[], Awaitable[_T]] = read

    def __aiter__(self) -> _Iterator[_T]:
        return self

    async def __anext__(self) -> _T:
        data: _T = await self._read()
        if not data or data == (b"", False):
            raise StopAsyncIteration
        return data


class EmptyStreamReader(StreamReader):
    """The body of a message that has none: at its end from the start."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__()
        self._eof = True

    def feed_data(self, data: bytes) -> None:
        """An empty stream stays empty."""
        raise RuntimeError("Cannot feed data into an EmptyStreamReader")


#: A shared empty body for messages without one.
EMPTY_PAYLOAD: Final = EmptyStreamReader()
