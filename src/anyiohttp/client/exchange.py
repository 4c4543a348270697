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

A request body goes out while the response head is awaited, so a server
that answers early (a 413, a 401, a stream that answers before it reads
everything) is heard, and a body that waits on the response does not
deadlock. A small in-memory body is written with the head, inline; any
other body is sent by an :class:`Upload` task that the exchange owns and
starts in the pool's task group (the session's). It ends when the body is
sent, when the exchange is closed (cancelled: the response was closed, the
request failed or was cancelled), or with the pool (the session closed).
A connection whose response ended while its upload still runs goes back to
the pool when the upload ends.
"""

from __future__ import annotations

import enum
import math
import zlib
from collections.abc import Callable, Generator, Sequence
from contextlib import aclosing
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import anyio
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ..http.exceptions import HttpProcessingError
from ..http.parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    ClientEvent,
    HttpVersion11,
    InformationalHead,
    ResponseHead,
)
from ..http.payload import BytesPayload, Payload
from .exceptions import (
    ClientConnectionError,
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
    from .connector import Connection, HeadLimits
    from .request import ClientTimeout

__all__ = ("BodyEnd", "HTTP11Exchange", "Upload")

READ_SIZE: Final = 65536
# An in-memory body up to this size goes out with the head, without a task.
INLINE_BODY: Final = 65536
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


class Upload:
    """A request body going out in a task of the pool's task group; await it for its end.

    What ``ClientResponse.upload_complete`` hands out: ``done()`` is True
    once the body was sent, or the upload failed or was cancelled
    (:attr:`error` says which).
    """

    __slots__ = ("_callbacks", "_done", "error", "head_scope", "scope")

    def __init__(self, *, done: bool = False) -> None:
        # None: done from the start (no event needed, nor an event loop).
        self._done: anyio.Event | None = None if done else anyio.Event()
        self._callbacks: list[Callable[[Upload], object]] = []
        #: Cancelled to stop the upload (the exchange was closed).
        self.scope: anyio.CancelScope | None = None if done else anyio.CancelScope()
        #: The wait for the response head, cancelled when the body itself fails.
        self.head_scope: anyio.CancelScope | None = None
        #: Why the body was not sent whole (None once sent, or when cancelled).
        self.error: BaseException | None = None

    @staticmethod
    def completed() -> Upload:
        """One that is done already (a request sent whole with its head): shared."""
        return _COMPLETED

    def cancel(self) -> None:
        """Stop the upload (it ends at its next wait)."""
        if self.scope is not None:
            self.scope.cancel()

    def done(self) -> bool:
        """True once the upload ended, however."""
        return self._done is None or self._done.is_set()

    def add_done_callback(self, callback: Callable[[Upload], object]) -> None:
        """Call ``callback(upload)`` when it ends (now, if it did)."""
        if self.done():
            callback(self)
        else:
            self._callbacks.append(callback)

    def _finish(self) -> None:
        assert self._done is not None
        self._done.set()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    async def wait(self) -> None:
        """Until the upload ended (no checkpoint once it did, as a done future)."""
        done = self._done
        if done is not None and not done.is_set():
            await done.wait()

    def __await__(self) -> Generator[Any, None, None]:
        return self.wait().__await__()


_COMPLETED: Final = Upload(done=True)


class HTTP11Exchange:
    """A request and its response on one connection (see the module docstring)."""

    __slots__ = (
        "_deadline",
        "_now",
        "_peeked",
        "_release_pending",
        "_sock_read",
        "_total",
        "body_end",
        "conn",
        "http10",
        "output_size",
        "parser",
        "request_info",
        "upload",
    )

    def __init__(
        self,
        conn: Connection,
        request_info: RequestInfo,
        limits: HeadLimits,
        timeout: ClientTimeout,
        deadline: float,
        now: Callable[[], float],
        http10: bool = False,
    ) -> None:
        """An exchange on ``conn``: response heads within ``limits``; every wait within
        ``deadline`` (the total timeout, clocked by ``now``), reads within
        ``timeout.sock_read`` too."""
        if conn.limits is not limits:
            conn.use_limits(limits)
        self.conn = conn
        #: Requests say HTTP/1.0 (``ClientSession(version=HttpVersion10)``).
        self.http10 = http10
        self.parser = conn.parser
        self.request_info = request_info
        self._deadline = deadline
        self._sock_read = timeout.sock_read
        self._total = timeout.total
        self._now = now
        self.body_end = BodyEnd.OPEN
        #: The bytes of the request written so far (head, framing and body).
        self.output_size = 0
        #: The body's upload task, when the body is not sent inline.
        self.upload: Upload | None = None
        self._release_pending = False
        # An event (or error) the body's look-ahead took from the parser.
        self._peeked: ClientEvent | HttpProcessingError | None = None

    # -- the connection, once the response is done with it ---------------------------

    def release(self) -> None:
        """The response ended: the connection goes back (once the upload ended too)."""
        upload = self.upload
        if upload is not None and not upload.done():
            self._release_pending = True
        else:
            self.conn.release()

    def close(self) -> None:
        """Close the connection, and stop the upload."""
        upload = self.upload
        if upload is not None and not upload.done():
            upload.cancel()
        self.conn.close()

    async def abort(self) -> None:
        """:meth:`close`, then wait for the upload task to end (before the body is resent)."""
        self.close()
        upload = self.upload
        if upload is not None:
            with anyio.CancelScope(shield=True):
                await upload.wait()

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
        self.output_size += len(data)
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
        ``upgrade``, a ``101 Switching Protocols`` is final too. A body other
        than a small in-memory one may still be going out when this returns.
        """
        parser = self.parser
        data = parser.request_head(method, target, list(headers.items()))
        if self.http10:
            # Both parsers write HTTP/1.1 (h11 speaks nothing else); the request
            # line says 1.0, the framing stays what both versions read.
            data = data.replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1)
        inline = body is None or (
            not expect100
            and not compress
            and not traces
            and isinstance(body, BytesPayload)
            and body.size is not None
            and body.size <= INLINE_BODY
        )
        if body is not None and inline:
            chunks = [chunk async for chunk in body.iter_chunks()]  # runs to its end
            data += b"".join([parser.request_body(chunk) for chunk in chunks])
        if inline:
            data += parser.request_end()
        try:
            await self.send(data)
        except ClientOSError:
            if body is None:
                raise
            # The server may have answered and closed: its answer, if any, is read.
        for trace in traces:
            await trace.send(
                "on_request_headers_sent", TraceRequestHeadersSentParams(method, url, headers)
            )
        if inline or body is None:
            return await self._final_head()
        return await self._head_while_uploading(
            body, method=method, url=url, expect100=expect100, compress=compress, traces=traces
        )

    async def _final_head(self, on_continue: Callable[[], object] | None = None) -> ResponseHead:
        """The final response head, stepping over interim (1xx) ones.

        A ``101`` is final, asked for or not: what follows is not HTTP (as
        aiohttp, which returns it too). The first ``100 Continue`` calls
        ``on_continue`` (the body waited for it).
        """
        parser = self.parser
        while True:
            try:
                event = parser.next_event()
            except HttpProcessingError as exc:
                raise self._error(exc) from exc
            if type(event) is ResponseHead:
                return event
            if type(event) is InformationalHead:
                if event.status == 101:
                    return _switching_head(event.headers)
                if event.status == 100 and on_continue is not None:
                    on_continue()
                    on_continue = None
            elif event is NEED_DATA:
                parser.feed(await self._receive())
            elif event is CONNECTION_CLOSED:
                raise ServerDisconnectedError()
            else:
                raise ServerDisconnectedError(f"Unexpected {event!r} before the response")

    async def _head_while_uploading(
        self,
        body: Payload,
        *,
        method: str,
        url: URL,
        expect100: bool,
        compress: str | bool | None,
        traces: Sequence[Trace],
    ) -> ResponseHead:
        """The final response head, read while the upload task sends the body."""
        upload = self.upload = Upload()
        start = partial(
            self.conn.start_soon, self._upload, upload, body, method, url, compress, traces
        )
        if not expect100:
            start()
        with anyio.CancelScope() as head_scope:
            upload.head_scope = head_scope
            try:
                return await self._final_head(start if expect100 else None)
            finally:
                upload.head_scope = None
        # The body failed (its source, or the deadline), not the connection.
        assert upload.error is not None
        raise upload.error

    async def _upload(
        self,
        upload: Upload,
        body: Payload,
        method: str,
        url: URL,
        compress: str | bool | None,
        traces: Sequence[Trace],
    ) -> None:
        """The upload task: send the body; a failure is reported, never raised into the pool."""
        try:
            assert upload.scope is not None
            with upload.scope:
                try:
                    await self.send_body(
                        body, method=method, url=url, compress=compress, traces=traces
                    )
                except ClientOSError as exc:
                    # The connection broke: the server's answer, if any, is still read.
                    upload.error = exc
                except Exception as exc:
                    upload.error = exc
                    if upload.head_scope is not None:
                        upload.head_scope.cancel()  # the request fails with this error
                    else:
                        self.conn.close()  # the response is out; the connection is not in step
        finally:
            upload._finish()
            if self._release_pending:
                self._release_pending = False
                self.conn.release()

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
        except _STREAM_ERRORS as exc:
            if conn.closed:  # closed on our side (the response, or the session)
                raise ClientConnectionError("Connection closed") from exc
            return b""
        if limit < deadline:
            raise SocketTimeoutError("Timeout on reading data from socket")
        raise self._total_timeout()

    def end_empty_body(self) -> bool:
        """Take the end of a body that cannot have one (HEAD, 204, 304); False if not there."""
        try:
            event = self.parser.next_event()
        except HttpProcessingError:
            return False
        if event is END_OF_MESSAGE:
            self.body_end = BodyEnd.COMPLETE
            return True
        return False

    async def receive_body(self) -> bytes:
        """The next bytes of the body as they arrive; b"" at its end (see :attr:`body_end`).

        :attr:`body_end` is COMPLETE as soon as the end is in, even with the
        last bytes (so a response is done once its body was read, as aiohttp's).
        """
        while True:
            data = self.arrived_body()
            if data is not None:
                return data
            broken = self._peeked  # nothing else is left there
            if broken is not None:
                self._peeked = None
                assert isinstance(broken, HttpProcessingError)
                raise self._error(broken, in_body=True) from broken
            if self._deadline != math.inf and self._now() >= self._deadline:
                raise self._total_timeout()  # a body that keeps coming is timed too
            self.parser.feed(await self._receive())

    def arrived_body(self) -> bytes | None:
        """The next bytes of the body that are here already, without a read; b"" at its
        end (see :attr:`body_end`). None when they must be read first, or when the body is
        broken (:meth:`receive_body` raises that)."""
        parser = self.parser
        event = self._peeked
        self._peeked = None
        if event is None:
            try:
                event = parser.next_event()
            except HttpProcessingError as exc:
                event = exc
        if event is NEED_DATA or isinstance(event, HttpProcessingError):
            self._peeked = None if event is NEED_DATA else event
            return None
        if type(event) is bytes:
            # See whether the body's end is here already (a small body
            # comes with it): keep what came for the next call.
            try:
                peeked = parser.next_event()
            except HttpProcessingError as exc:
                self._peeked = exc
            else:
                if peeked is not NEED_DATA:
                    self._peeked = peeked
                    if peeked is END_OF_MESSAGE:
                        self.body_end = BodyEnd.COMPLETE
            return event
        # END_OF_MESSAGE; else the server closed a close-delimited body, or
        # the connection switched protocols.
        self.body_end = BodyEnd.COMPLETE if event is END_OF_MESSAGE else BodyEnd.CLOSED
        return b""


def _looks_closed(exc: HttpProcessingError) -> bool:
    return "closed" in exc.message.lower() or "peer" in exc.message.lower()


def _switching_head(headers: CIMultiDictProxy[str]) -> ResponseHead:
    """A ``101`` taken as the final head of an upgrade request."""
    return ResponseHead(
        status=101,
        reason="Switching Protocols",
        version=HttpVersion11,
        headers=headers,
        raw_headers=(),
        chunked=False,
        content_length=None,
    )
