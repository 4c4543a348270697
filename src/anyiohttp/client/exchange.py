"""One HTTP/1.1 exchange on a pooled connection: the request out, the response in.

:class:`HTTP11Exchange` is the only code that drives a connection's parser
and does I/O on it for a request: it sends the request head and body,
receives the final response head (stepping over 1xx answers), then hands
the body out piece by piece to the response. Every wait is bounded by the
request's deadline (``ClientTimeout.total``) and, for reads,
``sock_read``; on our own streams the waits time themselves, so the common
case costs no cancel scope. Every low-level error (the stream's, the
parser's, a timeout) becomes a ClientError here, once, in :meth:`_error`.

The pool hands out :class:`~anyiohttp.client.connector.Connection` handles;
the session decides what to send (redirects, cookies, auth, retries) and
the response decides when the connection goes back (``release``/``close``).
"""

from __future__ import annotations

import enum
import math
import zlib
from collections.abc import Callable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Final

import anyio
from multidict import CIMultiDict
from yarl import URL

from ..http.exceptions import HttpProcessingError
from ..http.parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    HttpVersion11,
    InformationalHead,
    ResponseHead,
)
from ..http.payload import Payload
from .exceptions import (
    ClientOSError,
    ClientPayloadError,
    ClientResponseError,
    RequestInfo,
    ServerDisconnectedError,
    ServerTimeoutError,
    SocketTimeoutError,
)
from .tracing import Trace, TraceRequestChunkSentParams, TraceRequestHeadersSentParams

if TYPE_CHECKING:
    from .connector import Connection

__all__ = ("BodyEnd", "HTTP11Exchange")

READ_SIZE: Final = 65536
# What a broken or closed stream raises, on either backend.
_STREAM_ERRORS: Final = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,
)


class BodyEnd(enum.Enum):
    """How the response body ended, once it did."""

    #: Not yet.
    OPEN = "open"
    #: Complete, with the connection in step: it can go back to the pool.
    COMPLETE = "complete"
    #: Ended by the connection closing (a close-delimited body) or a protocol switch.
    CLOSED = "closed"


class HTTP11Exchange:
    """A request and its response on one connection (see the module docstring)."""

    __slots__ = (
        "_deadline",
        "_now",
        "_sock_read",
        "_total",
        "body_end",
        "conn",
        "parser",
        "request_info",
    )

    def __init__(
        self,
        conn: Connection,
        request_info: RequestInfo,
        *,
        deadline: float,
        sock_read: float | None,
        total: float | None,
        now: Callable[[], float],
    ) -> None:
        self.conn = conn
        self.parser = conn.parser
        self.request_info = request_info
        self._deadline = deadline
        self._sock_read = sock_read
        self._total = total
        self._now = now
        self.body_end = BodyEnd.OPEN

    # -- errors, once ---------------------------------------------------------------

    def _total_timeout(self) -> ServerTimeoutError:
        return ServerTimeoutError(f"Total timeout of {self._total} seconds exceeded")

    def _error(self, exc: BaseException, *, in_body: bool = False) -> BaseException:
        """The ClientError for a low-level error of this exchange."""
        if isinstance(exc, HttpProcessingError):
            if in_body:
                return ClientPayloadError(exc.message)
            if not self.parser.response_started and _looks_closed(exc):
                return ServerDisconnectedError()
            return ClientResponseError(self.request_info, (), status=400, message=exc.message)
        if isinstance(exc, TimeoutError):
            return self._total_timeout()
        # The stream broke (or was closed) under a send.
        return ClientOSError(32, f"Cannot write to closing transport: {exc!r}")

    # -- sending --------------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        """Send ``data`` within the deadline."""
        conn = self.conn
        direct = conn.direct
        try:
            if direct is not None:
                direct.write(data)
                if not direct.writing_paused:
                    return  # the usual case: no wait, so no timer either
                wait = direct.drain()
            else:
                wait = conn.stream.send(data)
            if self._deadline == math.inf:
                await wait
                return
            with conn.deadline_scope(self._deadline):
                await wait
                return
        except _STREAM_ERRORS as exc:
            raise self._error(exc) from exc
        raise self._total_timeout()

    async def send_request(
        self,
        method: str,
        target: str,
        headers: CIMultiDict[str],
        body: Payload | None,
        *,
        url: URL,
        expect100: bool = False,
        compress: str | bool | None = None,
        traces: Sequence[Trace] = (),
        upgrade: bool = False,
    ) -> ResponseHead:
        """Send the request and return the final response head.

        With ``expect100`` the body waits for ``100 Continue``; with
        ``upgrade``, a ``101 Switching Protocols`` is final too.
        """
        parser = self.parser
        data = parser.request_head(method, target, list(headers.items()))
        if body is None:
            data += parser.request_end()
        await self.send(data)
        for trace in traces:
            await trace.send(
                "on_request_headers_sent", TraceRequestHeadersSentParams(method, url, headers)
            )
        if body is not None and not expect100:
            await self.send_body(body, method=method, url=url, compress=compress, traces=traces)
        while True:
            event = await self.receive_head()
            if type(event) is ResponseHead:
                return event
            if upgrade and event.status == 101:
                return ResponseHead(
                    status=101,
                    reason="Switching Protocols",
                    version=HttpVersion11,
                    headers=event.headers,
                    raw_headers=(),
                    chunked=False,
                    content_length=None,
                )
            if event.status == 100 and body is not None and expect100:
                expect100 = False
                await self.send_body(body, method=method, url=url, compress=compress, traces=traces)

    async def send_body(
        self,
        body: Payload,
        *,
        method: str,
        url: URL,
        compress: str | bool | None,
        traces: Sequence[Trace],
    ) -> None:
        """Send the body (compressed if asked) and end the request."""
        parser = self.parser
        compressor: Any = None
        if compress:
            wbits = 16 + zlib.MAX_WBITS if compress == "gzip" else zlib.MAX_WBITS
            compressor = zlib.compressobj(wbits=wbits)
        async with aclosing(body.iter_chunks()) as chunks:
            async for chunk in chunks:
                data = compressor.compress(chunk) if compressor is not None else chunk
                if data:
                    await self.send(parser.request_body(data))
                for trace in traces:
                    params = TraceRequestChunkSentParams(method, url, chunk)
                    await trace.send("on_request_chunk_sent", params)
        tail = compressor.flush() if compressor is not None else b""
        await self.send(parser.request_body(tail) + parser.request_end())

    # -- receiving ------------------------------------------------------------------

    async def _receive(self) -> bytes:
        """Bytes from the server (b"" once it closed), within sock_read and the deadline."""
        deadline = self._deadline
        limit = deadline
        if self._sock_read is not None:
            limit = min(deadline, self._now() + self._sock_read)
        conn = self.conn
        direct = conn.direct
        try:
            if direct is not None:
                return await direct.receive(READ_SIZE, deadline=limit)
            if limit == math.inf:
                return await conn.stream.receive(READ_SIZE)
            with conn.deadline_scope(limit):
                return await conn.stream.receive(READ_SIZE)
        except TimeoutError:  # before the stream errors: it is an OSError too
            pass
        except _STREAM_ERRORS:
            return b""
        if limit < deadline:
            raise SocketTimeoutError("Timeout on reading data from socket")
        raise self._total_timeout()

    async def receive_head(self) -> ResponseHead | InformationalHead:
        """The next response head: a final one, or an interim (1xx) one."""
        parser = self.parser
        while True:
            try:
                event = parser.next_event()
            except HttpProcessingError as exc:
                raise self._error(exc) from exc
            if type(event) is ResponseHead or type(event) is InformationalHead:
                return event
            if event is NEED_DATA:
                parser.feed(await self._receive())
            elif event is CONNECTION_CLOSED:
                raise ServerDisconnectedError()
            else:
                raise ServerDisconnectedError(f"Unexpected {event!r} before the response")

    async def receive_body(self) -> bytes:
        """The next bytes of the body as they arrive; b"" at its end (see :attr:`body_end`)."""
        parser = self.parser
        while True:
            try:
                event = parser.next_event()
            except HttpProcessingError as exc:
                raise self._error(exc, in_body=True) from exc
            if type(event) is bytes:
                return event
            if event is NEED_DATA:
                parser.feed(await self._receive())
                continue
            # END_OF_MESSAGE; else the server closed a close-delimited body,
            # or the connection switched protocols.
            self.body_end = BodyEnd.COMPLETE if event is END_OF_MESSAGE else BodyEnd.CLOSED
            return b""


def _looks_closed(exc: HttpProcessingError) -> bool:
    return "closed" in exc.message.lower() or "peer" in exc.message.lower()
