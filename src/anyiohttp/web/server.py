"""The connection loop: one task per connection pulls requests and runs handlers.

For each connection a single task reads (64 KiB at a time), feeds the
parser, and when a request head is complete builds the Request and runs the
handler inline, in a cancel scope (``request.cancel_scope``) that requests
share until a handler takes it, so none is entered per request. The body is
pulled from the socket only when the handler reads it, which is the
backpressure. The response is written from the same task, then the next
pipelined request is parsed from what is left over. No task and no memory
stream is spent per request, except the disconnect watcher when
``handler_cancellation=True``.

Each connection runs in one cancel scope that is cancelled when it has
waited longer than ``keepalive_timeout`` for a complete request head. The
deadline is not moved per request (that costs a timer update each time):
the connection notes when it started waiting, and :meth:`Server.watch_timeouts`,
one task per server, closes the ones past their time.
"""

from __future__ import annotations

import enum
import logging
import math
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import escape as html_escape
from http import HTTPStatus
from typing import Any, Final, NoReturn

import anyio
from anyio.abc import ByteStream, SocketAttribute, TaskGroup
from anyio.streams.tls import TLSAttribute

from .._backend import clock, note_asyncio_under_trio, on_asyncio
from .._stream import close_gracefully, unread_pending
from ..abc import AbstractAccessLogger
from ..http.compression import DECODABLE, DecodingSource, brotli_available
from ..http.exceptions import BadHttpMessage, BadHttpMethod, HttpProcessingError
from ..http.parser import CONNECTION_CLOSED, NEED_DATA, RequestHead, ServerParser
from ..http.select import server_parser_class
from ..http.stream_writer import StreamWriter, send_all
from ..http.streams import EMPTY_PAYLOAD, StreamReader
from ..http.websocket import WebSocketEngine, WSCloseCode
from ..http.writer import serialize_head
from .exceptions import HTTPException, PayloadAccessError, RequestPayloadError
from .log import server_logger
from .request import BaseRequest, ConnectionInfo
from .response import SERVER_SOFTWARE, Response, StreamResponse

__all__ = ("ConnectionState", "Server", "ServerConfig")

READ_SIZE: Final = 65536
# Unread body bytes we read and drop to keep a connection alive after the
# handler answered without reading the body; past this we close instead.
MAX_DRAIN: Final = 256 * 1024
# How long a connection the server closes waits for the peer to close too,
# dropping what still arrives (see _stream.close_gracefully); also how long a
# request that arrived as shutdown closed the connection may take to come whole.
LINGER: Final = 2.0
# How much the disconnect watcher reads ahead while a handler runs.
WATCH_BUFFER: Final = 65536
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_RECEIVE_ERRORS: Final = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,
)

_NOT_A_PROTOCOL_FACTORY: Final = (
    "anyiohttp's web.Server is not an asyncio protocol factory: "
    "loop.create_server(web.Server(handler)) cannot serve it. Run it with a ServerRunner:\n"
    "    async with web.ServerRunner(web.Server(handler)) as runner:\n"
    "        await web.TCPSite(runner, host, port).start()\n"
    "        await anyio.sleep_forever()\n"
    "(see 'web.Server is not a protocol factory' in docs/migrating.rst)"
)

RequestHandler = Callable[[BaseRequest], Awaitable[StreamResponse]]
# What a handler "returned" when it failed after its response had started.
_ABANDONED: Final = StreamResponse(status=500)
RequestFactory = Callable[..., BaseRequest]


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Per-server settings of the connection loop."""

    keepalive_timeout: float | None = 75.0
    handler_cancellation: bool = False
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 128
    access_logger: AbstractAccessLogger | None = None
    logger: logging.Logger = field(default=server_logger)
    debug: bool = False
    parser: str = "auto"


class Server:
    """Serves HTTP/1.1 on byte streams with one request handler.

    The low-level server (aiohttp's ``web.Server``): ``handler(request)``
    returns a response. An Application is served through one of these with
    ``app._handle`` as the handler.
    """

    def __init__(
        self,
        handler: RequestHandler,
        *,
        request_factory: RequestFactory | None = None,
        config: ServerConfig | None = None,
        **kwargs: Any,
    ) -> None:
        self.handler = handler
        self.request_factory: RequestFactory = request_factory or BaseRequest
        self.config = config if config is not None else ServerConfig(**kwargs)
        self._parser_class = server_parser_class(self.config.parser)
        self._connections: set[_Connection] = set()
        self._closing = False
        self._cancelled_at_shutdown = 0
        self._connection_ended: anyio.Event | None = None

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        """Refuse aiohttp's low-level use as a protocol factory, saying what to do instead.

        In aiohttp ``loop.create_server(web.Server(handler))`` calls the
        server for an asyncio protocol per connection. This one serves anyio
        byte streams, on asyncio and trio alike, through a runner. The error
        is logged too: asyncio drops an exception from a protocol factory
        unless the loop is in debug mode.
        """
        self.config.logger.error("%s", _NOT_A_PROTOCOL_FACTORY)
        raise TypeError(_NOT_A_PROTOCOL_FACTORY)

    @property
    def connections(self) -> int:
        """How many connections are open."""
        return len(self._connections)

    @property
    def closing(self) -> bool:
        """True once shutdown began: no new requests are taken."""
        return self._closing

    async def serve_connection(self, stream: ByteStream) -> None:
        """Serve one connection until it ends; closes the stream."""
        conn = _Connection(self, stream)
        self._connections.add(conn)
        ended = False
        try:
            await conn.run()
            ended = True
        except anyio.get_cancelled_exc_class():
            if self._closing:
                self._cancelled_at_shutdown += 1
            raise
        except Exception as exc:
            # A bug of ours on one connection ends that connection, logged,
            # never the server (handlers' errors are 500s long before here).
            self.config.logger.error(
                "Unexpected error on the connection from %s", conn.peername, exc_info=exc
            )
        finally:
            self._connections.discard(conn)
            conn.closed()
            if self._connection_ended is not None:
                self._connection_ended.set()
            if ended:
                await close_gracefully(stream, LINGER)
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(stream)

    async def watch_timeouts(self) -> None:
        """Close connections that wait too long for a request head; runs until cancelled.

        Checks a few times per timeout, so a connection is closed between
        ``keepalive_timeout`` and 1.25 times it (at most a second later).
        """
        timeout = self.config.keepalive_timeout
        if timeout is None:
            return
        interval = min(1.0, timeout / 4)
        while True:
            await anyio.sleep(interval)
            now = anyio.current_time()
            for conn in list(self._connections):
                if conn.head_deadline <= now:
                    conn.time_out()

    async def wait_closed(self) -> None:
        """Wait until no connection is left (after :meth:`begin_shutdown`)."""
        while self._connections:
            self._connection_ended = ended = anyio.Event()
            await ended.wait()
        self._connection_ended = None

    def begin_shutdown(self) -> None:
        """Stop taking requests: idle connections close now, busy ones after their response."""
        self._closing = True
        for conn in list(self._connections):
            conn.close_when_idle()

    def log_shutdown(self) -> None:
        """Log (once) how many connections shutdown had to cancel."""
        if self._cancelled_at_shutdown:
            self.config.logger.warning(
                "%d connection(s) with requests in flight were cancelled at shutdown "
                "(shutdown_timeout passed)",
                self._cancelled_at_shutdown,
            )

    @property
    def cancelled_at_shutdown(self) -> int:
        """How many connections the last shutdown had to cancel."""
        return self._cancelled_at_shutdown

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None
    ) -> Response:
        """The response for a failed handler: logged, plain text or HTML, closing.

        As aiohttp, only a 500 has a body; other statuses (504) are empty.
        """
        self.config.logger.error("Error handling request from %s", request.remote, exc_info=exc)
        if status != 500:
            empty = Response(status=status, content_type="text/plain")
            empty.force_close()
            return empty
        title = f"{status} {HTTPStatus(status).phrase}"
        message = HTTPStatus(status).description
        tb = None
        if self.config.debug and exc is not None:
            tb = "".join(traceback.format_exception(exc))
        if "text/html" in request.headers.get("Accept", ""):
            if tb:
                message = f"<h2>Traceback:</h2>\n<pre>{html_escape(tb)}</pre>"
            text = (
                f"<html><head><title>{title}</title></head><body>\n"
                f"<h1>{title}</h1>\n{message}\n</body></html>\n"
            )
            resp = Response(status=status, text=text, content_type="text/html")
        else:
            resp = Response(status=status, text=f"{title}\n\n{tb or message}")
        resp.force_close()
        return resp


class ConnectionState(enum.Enum):
    """Where a server connection is in its life (one transition table below)."""

    #: Waiting for, or reading, a request head.
    IDLE = "idle"
    #: A request is being handled and answered.
    BUSY = "busy"
    #: No new request is waited for: it ends when idle, or after the current
    #: response (a request whose head was already arriving is still answered).
    CLOSING = "closing"
    #: Ended.
    CLOSED = "closed"


# The transitions a connection makes; anything else is a bug of ours.
_TRANSITIONS: Final = {
    ConnectionState.IDLE: {ConnectionState.BUSY, ConnectionState.CLOSING, ConnectionState.CLOSED},
    ConnectionState.BUSY: {ConnectionState.IDLE, ConnectionState.CLOSING, ConnectionState.CLOSED},
    ConnectionState.CLOSING: {ConnectionState.CLOSED},
    ConnectionState.CLOSED: set(),
}


class _Expect(enum.Enum):
    """The current request's ``Expect: 100-continue``, as far as we answered it."""

    #: None asked, or 100 Continue was sent.
    NONE = "none"
    #: The client waits for 100 Continue before it sends the body.
    PENDING = "pending"
    #: The final response started instead: the client keeps its body back,
    #: so the connection cannot be reused.
    WITHHELD = "withheld"


# An enum member looked up on its class costs ~1k instructions on CPython 3.11
# (EnumType's __getattr__ hook makes it a slow attribute lookup), several
# times per request: the connection's code uses these names instead.
_IDLE: Final = ConnectionState.IDLE
_BUSY: Final = ConnectionState.BUSY
_CLOSING: Final = ConnectionState.CLOSING
_CLOSED: Final = ConnectionState.CLOSED
_EXPECT_NONE: Final = _Expect.NONE
_EXPECT_PENDING: Final = _Expect.PENDING
_EXPECT_WITHHELD: Final = _Expect.WITHHELD
# A float attribute of a module is a lookup too.
_INF: Final = math.inf


class _DisconnectWatcher:
    """Reads ahead while a handler runs, and cancels the handler when the peer goes.

    Only with ``handler_cancellation=True``: one per connection, started
    for each request; its task runs in the connection's task group. What it
    read waits in an inbox (at most ``WATCH_BUFFER`` bytes ahead) for the
    connection's next reads, the next request's included.
    """

    __slots__ = (
        "_done",
        "_inbox",
        "_inbox_size",
        "_inbox_wakeup",
        "_scope",
        "_space_wakeup",
        "_stopped",
    )

    def __init__(self) -> None:
        self._inbox: deque[bytes] = deque()
        self._inbox_size = 0
        self._inbox_wakeup: anyio.Event | None = None
        self._space_wakeup: anyio.Event | None = None
        self._scope: anyio.CancelScope | None = None
        self._stopped = True
        self._done: anyio.Event | None = None

    @property
    def has_inbox(self) -> bool:
        """True when the task read bytes that nobody took yet."""
        return self._inbox_size > 0

    @property
    def watching(self) -> bool:
        """True from :meth:`start` until the task ended."""
        return self._done is not None and not self._done.is_set()

    def start(self, tg: TaskGroup, stream: ByteStream, handler_scope: anyio.CancelScope) -> None:
        """Watch ``stream`` while the handler in ``handler_scope`` runs."""
        self._stopped = False
        self._scope = None
        self._done = anyio.Event()
        tg.start_soon(self._run, stream, handler_scope, self._done)

    async def _run(
        self, stream: ByteStream, handler_scope: anyio.CancelScope, done: anyio.Event
    ) -> None:
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                if self._stopped:  # stopped before the task got to run
                    scope.cancel()
                while True:
                    while self._inbox_size >= WATCH_BUFFER:
                        self._space_wakeup = space = anyio.Event()
                        await space.wait()
                    try:
                        data = await stream.receive(READ_SIZE)
                    except _RECEIVE_ERRORS:
                        data = b""
                    self._inbox.append(data)
                    self._inbox_size += len(data)
                    if self._inbox_wakeup is not None:
                        self._inbox_wakeup.set()
                    if not data:
                        handler_scope.cancel()
                        return
        finally:
            done.set()
            if self._inbox_wakeup is not None:
                self._inbox_wakeup.set()

    async def receive(self) -> bytes | None:
        """Bytes the task read, waiting for them while it runs; None once none are coming."""
        while True:
            if self._inbox:
                data = self._inbox.popleft()
                self._inbox_size -= len(data)
                if self._space_wakeup is not None:
                    self._space_wakeup.set()
                return data
            if not self.watching:
                return None
            self._inbox_wakeup = wakeup = anyio.Event()
            await wakeup.wait()

    async def stop(self) -> None:
        """End the task and wait for it to have ended."""
        self._stopped = True
        if self._scope is not None:
            self._scope.cancel()
        if self._done is not None:
            await self._done.wait()

    def take_inbox(self) -> bytes:
        """What the task read and nobody took yet (for a protocol switch)."""
        data = b"".join(self._inbox)
        self._inbox.clear()
        self._inbox_size = 0
        return data


class _Connection(ConnectionInfo):
    """One client connection: its parser, state, timeouts and the request loop.

    It is also what its requests hold (``request.transport``): their
    responses get their writer here, and a WebSocket takes the stream over.
    """

    __slots__ = (
        "_expect",
        "_handler_scope",
        "_idle_scope",
        "_scope_taken",
        "_task_group",
        "_ticket",
        "_upgrade",
        "_watcher",
        "_websocket",
        "head_deadline",
        "parser",
        "secure",
        "server",
        "state",
        "stream",
    )

    def __init__(self, server: Server, stream: ByteStream) -> None:
        config = server.config
        ssl_object = stream.extra(TLSAttribute.ssl_object, None)
        super().__init__(
            peername=stream.extra(SocketAttribute.remote_address, None),
            sockname=stream.extra(SocketAttribute.local_address, None),
            ssl_object=ssl_object,
        )
        self.server = server
        self.stream = stream
        self.parser: ServerParser = server._parser_class(
            max_line_size=config.max_line_size,
            max_field_size=config.max_field_size,
            max_headers=config.max_headers,
        )
        self.secure = ssl_object is not None
        self.state = _CLOSING if server.closing else _IDLE
        #: When waiting for the current request head stops being acceptable.
        self.head_deadline = _INF
        self._idle_scope: anyio.CancelScope | None = None
        # The cancel scope the handlers share (see _serve_requests), whether
        # the current request's handler took it, and which request is current.
        self._handler_scope: anyio.CancelScope | None = None
        self._scope_taken = False
        self._ticket = 0
        self._expect = _EXPECT_NONE
        self._task_group: TaskGroup | None = None
        self._watcher: _DisconnectWatcher | None = None
        self._websocket: WebSocketEngine | None = None
        self._upgrade: RequestHead | None = None  # an upgrade request _serve_requests handed over

    def _move_to(self, state: ConnectionState) -> None:
        assert state in _TRANSITIONS[self.state], (self.state, state)
        self.state = state

    def is_closing(self) -> bool:
        """True once no further request will be taken on this connection."""
        return self.state is _CLOSING or self.state is _CLOSED

    def time_out(self) -> None:
        """The client took too long to send a request head: close."""
        if self._idle_scope is not None:
            self.server.config.logger.debug("Closing %s: no request head in time", self.peername)
            self._idle_scope.cancel()

    def close_when_idle(self) -> None:
        """Close now if between requests, else after the current response.

        A WebSocket is told the server is going away (1001).
        """
        if self.is_closing():
            return
        idle = self.state is _IDLE
        self._move_to(_CLOSING)
        websocket = self._websocket
        if websocket is not None and not websocket.closed and self._task_group is not None:
            self._task_group.start_soon(websocket.close, WSCloseCode.GOING_AWAY)
        if idle and not self._request_waiting() and self._idle_scope is not None:
            self._idle_scope.cancel()

    def _request_waiting(self) -> bool:
        """True when bytes of a next request arrived (read or not), as far as a look shows."""
        watcher = self._watcher
        return (
            self.parser.buffered > 0
            or (watcher is not None and watcher.has_inbox)
            or unread_pending(self.stream)
        )

    def closed(self) -> None:
        """The connection ended (its stream is closed next)."""
        if self.state is not _CLOSED:
            self._move_to(_CLOSED)

    # -- the loop -------------------------------------------------------------------

    async def run(self) -> None:
        """Serve requests until the connection ends."""
        # The connection's task group, where the disconnect watcher and a
        # WebSocket's reader/heartbeat tasks run, so nothing outlives the
        # connection. It exists only where such tasks may come: a task group
        # is a kilobyte and more that each idle keep-alive connection held.
        # (No helper frame in between: an idle connection waits in this one.)
        if self.server.config.handler_cancellation and self._task_group is None:
            async with anyio.create_task_group() as tg:
                self._task_group = tg
                self._watcher = _DisconnectWatcher()
                await self.run()
            return
        # Requests share a scope (see _serve_requests), which is also the one
        # a keep-alive timeout or shutdown cancels while the connection waits
        # for a head (_idle_scope): one scope less for an idle connection.
        timeout = self.server.config.keepalive_timeout
        for last_call in (False, True):
            if self.is_closing() and not self._request_waiting():
                return
            while await self._serve_requests(timeout):
                if self._upgrade is not None and not await self._handle_upgrade():
                    return
            scope = self._idle_scope
            if scope is None or not scope.cancelled_caught:
                return
            if last_call or self.state is not _CLOSING:
                return
            # Shutdown closed it between requests while a request was
            # arriving: answer that one (Connection: close), not drop it.
            timeout = LINGER

    async def _handle_upgrade(self) -> bool:
        """:meth:`_handle` for the upgrade request, with a task group for a WebSocket's tasks.

        Outside the scope of :meth:`_serve_requests`, which handed it over:
        a WebSocket's whole life is one scope and one frame lighter. True
        to go on with the next request.
        """
        head, self._upgrade = self._upgrade, None
        assert head is not None
        # The ended scope of _serve_requests is no longer the one to cancel
        # for an idle connection: let it go rather than hold it as long.
        self._idle_scope = None
        keep_alive = False
        async with anyio.create_task_group() as tg:
            self._task_group = tg
            try:
                # The handler's scope is the task group's own (one scope less
                # for each WebSocket to hold): the WebSocket's tasks are
                # shielded from it (adopt_websocket), so cancelling the
                # handler leaves them to finish its close, which _handle's
                # finally waits for.
                keep_alive = await self._handle(head, tg.cancel_scope)
            finally:
                self._task_group = None
        if not keep_alive or self.state is not _BUSY:
            return False
        self.state = _IDLE
        self.parser.start_next_cycle()
        return True

    async def _serve_requests(self, timeout: float | None) -> bool:
        """Serve requests whose handlers share one cancel scope; True to go on in a new one.

        Entering a cancel scope per request costs more than anything else
        the loop does per request (trio's most of all), and a scope nobody
        asked for cannot be cancelled but by the connection. So requests
        share this one until a handler takes it (``request.cancel_scope``):
        the next request gets a new one, so that a cancel or a deadline meant
        for one request never reaches the next. Cancelling it ends the
        connection, as cancelling any handler's scope does.
        """
        parser = self.parser
        now = clock()
        with anyio.CancelScope() as scope:
            self._handler_scope = self._idle_scope = scope
            self._scope_taken = False
            try:
                while True:
                    if timeout is not None:
                        self.head_deadline = now() + timeout
                    # The next head (read here, not in a coroutine of its own:
                    # one call less per request, one frame less held while idle).
                    head: RequestHead | None = None
                    try:
                        while head is None:
                            event = parser.next_event()
                            if type(event) is RequestHead:
                                head = event
                            elif event is NEED_DATA:
                                if self._watcher is None:
                                    try:
                                        data = await self.stream.receive(READ_SIZE)
                                    except _RECEIVE_ERRORS:
                                        data = b""
                                else:
                                    data = await self._receive()
                                parser.feed(data)
                            elif event is CONNECTION_CLOSED:
                                return False
                            else:  # pragma: no cover - the parser yields heads first
                                raise BadHttpMessage(f"Unexpected {event!r} before a request head")
                    except HttpProcessingError as exc:
                        await self._send_bad_request(exc)
                        return False
                    # IDLE -> BUSY -> IDLE are the per-request moves (assigned, not checked)
                    if self.state is _IDLE:
                        self.state = _BUSY
                    self.head_deadline = _INF
                    if head.upgrade and self._task_group is None:
                        self._upgrade = head  # for run() to handle (_handle_upgrade)
                        return True
                    keep_alive = await self._handle(head, scope)
                    if not keep_alive or self.state is not _BUSY:
                        return False
                    self.state = _IDLE
                    parser.start_next_cycle()
                    if self._scope_taken:
                        return True
            finally:
                self._handler_scope = None
        return False  # a handler's scope was cancelled: the connection ends

    def handler_scope(self, scope: anyio.CancelScope, ticket: int) -> anyio.CancelScope:
        """The cancel scope for the request ``ticket`` that was given ``scope``.

        While the request is handled it is the shared scope, which the next
        request then does not share. Asked for after its request ended, while
        that scope still serves the connection, it is a scope of its own that
        was never entered: cancelling it cancels nothing, as cancelling the
        scope of a finished request does.
        """
        if scope is self._handler_scope:
            if ticket != self._ticket:
                return anyio.CancelScope()
            self._scope_taken = True
        return scope

    # -- reading --------------------------------------------------------------------

    async def _receive(self) -> bytes:
        """The next bytes from the peer; b"" once it closed or broke."""
        watcher = self._watcher
        if watcher is not None:
            data = await watcher.receive()
            if data is not None:
                return data
        try:
            return await self.stream.receive(READ_SIZE)
        except _RECEIVE_ERRORS:
            return b""

    async def _read_body_chunk(self) -> bytes:
        """The body source of the request's StreamReader."""
        parser = self.parser
        while True:
            event = parser.next_event()
            if type(event) is bytes:
                return event
            if event is not NEED_DATA:
                return b""  # END_OF_MESSAGE (or PAUSED after an upgrade request)
            if self._expect is _EXPECT_PENDING:
                # "A server that receives a 100-continue expectation ... MAY
                # omit sending a 100 response if it has already received some
                # or all of the content" -- RFC 9110 10.1.1; we send it when
                # the handler first needs content that has not arrived.
                self._expect = _EXPECT_NONE
                await self._send_raw(_CONTINUE)
            parser.feed(await self._receive())

    # -- protocol switch (WebSocket) ---------------------------------------------

    async def take_over(self) -> tuple[ByteStream, bytes]:
        """Hand the stream to a new protocol, with the bytes already read past the request."""
        inbox = b""
        if self._watcher is not None:
            await self._watcher.stop()
            inbox = self._watcher.take_inbox()
        parser = self.parser
        while True:  # an upgrade request has no body: step over its end
            event = parser.next_event()
            if event is NEED_DATA or type(event) is not bytes:
                break
        # The parser holds what came first; the watcher read on from there.
        return self.stream, parser.trailing_data + inbox

    def adopt_websocket(self, websocket: WebSocketEngine) -> None:
        """Run ``websocket``'s tasks in this connection's task group."""
        if self._task_group is None:
            raise RuntimeError("A WebSocket can only start on a request that asked to upgrade")
        self._websocket = websocket
        # Shielded: the upgrade's task group's scope is the handler's (see
        # _handle_upgrade), and _handle's finally stops the WebSocket,
        # whatever ended the handler.
        websocket.start(self._task_group, shielded=True)

    async def _end_websocket(self, going_away: bool) -> None:
        """The handler is done with its WebSocket: make sure it is closed."""
        websocket, self._websocket = self._websocket, None
        assert websocket is not None
        with anyio.move_on_after(websocket.close_timeout):
            if not websocket.closed:
                code = WSCloseCode.GOING_AWAY if going_away else WSCloseCode.INTERNAL_ERROR
                await websocket.close(code)
            else:
                # Closing already (by the peer, or by another task such as a
                # /logout handler): let that closing handshake finish.
                await websocket.wait_closed()
        await websocket.stop()

    # -- writing --------------------------------------------------------------------

    async def _send_raw(self, data: bytes) -> None:
        await send_all(self.stream, data)

    def new_writer(self) -> StreamWriter:
        """The writer of the current request's response."""
        # From here on the final response replaces 100 Continue; a client that
        # still holds its body back keeps holding it.
        if self._expect is _EXPECT_PENDING:
            self._expect = _EXPECT_WITHHELD
        return StreamWriter(self.stream)

    async def _send_bad_request(self, exc: HttpProcessingError) -> None:
        """Answer a request we could not parse, then the connection closes."""
        logger = self.server.config.logger
        if isinstance(exc, BadHttpMethod):
            # Usually not HTTP at all (TLS, port scans): not worth a warning.
            logger.debug("Bad request from %s: %s", self.peername, exc)
        else:
            logger.info("Bad request from %s: %s", self.peername, exc)
        status = exc.code or 400
        body = (exc.message or HTTPStatus(status).phrase).encode("utf-8")
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            ("Server", SERVER_SOFTWARE),
        ]
        try:
            await self._send_raw(
                serialize_head(f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", headers) + body
            )
        except ConnectionResetError:
            pass

    # -- one request ----------------------------------------------------------------

    def response_keep_alive(self, request: BaseRequest) -> bool:
        """Whether the response may promise to keep the connection open."""
        if not request._head.keep_alive or self.is_closing():
            return False
        payload = request._payload
        if payload.is_eof():
            return True
        if self._expect is not _EXPECT_NONE:
            return False  # the client holds the body back: we cannot skip it
        length = request.content_length
        return length is not None and length - payload.total_bytes <= MAX_DRAIN

    async def _handle(self, head: RequestHead, scope: anyio.CancelScope) -> bool:
        """Run the handler in ``scope`` and send its response; True to keep the connection."""
        server = self.server
        if head.chunked or head.content_length:
            payload: StreamReader = StreamReader(self._body_source(head))
        else:
            payload = EMPTY_PAYLOAD
        self._expect = _EXPECT_PENDING if head.expect_continue else _EXPECT_NONE
        request = server.request_factory(head, payload, self, self.secure)
        access_logger = server.config.access_logger
        started = time.monotonic() if access_logger is not None else 0.0
        request._cancel_scope = scope
        self._ticket += 1
        request._scope_ticket = self._ticket
        watcher = self._watcher
        if watcher is not None:
            assert self._task_group is not None
            watcher.start(self._task_group, self.stream, scope)
        try:
            try:
                resp = await server.handler(request)
            except Exception as exc:
                resp = self._handler_raised(request, exc)
            else:
                # (an exact-type test first: isinstance on StreamResponse, an ABC, is slow)
                if type(resp) is not Response and not isinstance(resp, StreamResponse):
                    error = RuntimeError(
                        f"Web-handler should return a response instance, got {resp!r}"
                    )
                    resp = server.handle_error(request, 500, error)
            message = resp._whole_message(request) if type(resp) is Response else None
            if message is None:
                keep_alive = await self._finish(request, resp)
            else:  # the common response, in one piece
                writer = request._writer
                assert writer is not None
                try:
                    await writer.write_whole(message)
                    keep_alive = bool(resp._keep_alive)
                except ConnectionResetError:
                    keep_alive = False
        except anyio.get_cancelled_exc_class():
            if scope.cancel_called:
                server.config.logger.debug(
                    "Handler for %s %s was cancelled", request.method, request.raw_path
                )
            raise
        finally:
            self._ticket += 1  # the request is over: its ticket no longer fits
            if watcher is not None or self._websocket is not None:  # else no scope needed
                with anyio.CancelScope(shield=True):
                    if watcher is not None:
                        await watcher.stop()
                    if self._websocket is not None:
                        await self._end_websocket(scope.cancel_called or self.is_closing())
        if access_logger is not None and access_logger.enabled:
            access_logger.log(request, resp, time.monotonic() - started)
        if payload is not EMPTY_PAYLOAD:
            # A task still holding the request (in app.task_group, say) must
            # not read the next request's bytes as this body.
            payload.set_exception(PayloadAccessError())
        if not keep_alive:
            return False
        if head.upgrade and resp.status == 101:
            return False  # the stream belongs to the new protocol's handler
        if payload is not EMPTY_PAYLOAD and not payload.is_eof():
            return await self._drain()
        return True

    def _body_source(self, head: RequestHead) -> Callable[[], Awaitable[bytes]]:
        """The request body as the handler reads it: decoded if it came compressed.

        A body that does not decode or is badly framed fails the read with
        RequestPayloadError, as aiohttp (the handler runs either way).
        """
        encoding = head.headers.get("Content-Encoding", "").strip().lower()
        source: Callable[[], Awaitable[bytes]] = self._read_body_chunk
        if encoding in DECODABLE and (encoding != "br" or brotli_available()):
            source = DecodingSource(source, encoding)

        async def read() -> bytes:
            try:
                return await source()
            except HttpProcessingError as exc:
                raise RequestPayloadError(str(exc)) from exc

        return read

    def _handler_raised(self, request: BaseRequest, exc: Exception) -> StreamResponse:
        """The answer to a handler that raised ``exc`` (an HTTPException is its own)."""
        if isinstance(exc, HTTPException):
            return exc
        if isinstance(exc, HttpProcessingError | RequestPayloadError):
            cause = exc.__cause__ if isinstance(exc, RequestPayloadError) else exc
            if isinstance(cause, HttpProcessingError):
                # A broken body (bad chunk, short body, bad gzip) the handler let through.
                self.server.config.logger.info(
                    "Bad request body from %s: %s", request.remote, cause
                )
                bad = Response(status=cause.code or 400, text=cause.message or "Bad Request")
                bad.force_close()
                return bad
        return self._handler_failed(request, exc)

    def _handler_failed(self, request: BaseRequest, exc: Exception) -> StreamResponse:
        """The answer to a handler that raised: 500, or 504 for a timeout (as aiohttp)."""
        if not on_asyncio():
            note_asyncio_under_trio(exc)  # before it is logged, below
        server = self.server
        writer = request.writer
        if writer is not None and writer.output_size:
            # Part of a response (or a 101 and a WebSocket) is out: no 500
            # can follow, the connection just ends.
            server.config.logger.error(
                "Error handling request from %s", request.remote, exc_info=exc
            )
            return _ABANDONED
        if isinstance(exc, TimeoutError):
            # The handler's own deadline (fail_after) or an upstream's timeout.
            server.config.logger.debug("Request handler timed out", exc_info=exc)
            return server.handle_error(request, 504)
        return server.handle_error(request, 500, exc)

    async def _finish(self, request: BaseRequest, resp: StreamResponse) -> bool:
        """Send the response; True when the connection may be reused."""
        if resp is _ABANDONED:
            return False
        try:
            await resp.prepare(request)
            await resp.write_eof()
        except ConnectionResetError:
            return False
        except Exception as exc:
            writer = request.writer
            if writer is not None and writer.output_size:
                self.server.config.logger.error(
                    "Error sending the response to %s", request.remote, exc_info=exc
                )
                return False  # half a response is out: only closing is honest
            request._writer = None
            error = self.server.handle_error(request, 500, exc)
            try:
                await error.prepare(request)
                await error.write_eof()
            except ConnectionResetError:
                pass
            return False
        writer = request._writer
        return bool(resp._keep_alive) and writer is not None and writer.complete

    async def _drain(self) -> bool:
        """Skip an unread body (up to MAX_DRAIN) so the connection can be reused."""
        if self._expect is not _EXPECT_NONE:
            return False
        timeout = self.server.config.keepalive_timeout
        skipped = 0
        with anyio.move_on_after(timeout if timeout is not None else _INF):
            try:
                while chunk := await self._read_body_chunk():
                    skipped += len(chunk)
                    if skipped > MAX_DRAIN:
                        return False
            except HttpProcessingError:
                return False
            return True
        return False
